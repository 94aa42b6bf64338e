"""What the Events stream's state is, as every page shows it: stored state, running task, staleness.

The stored row says what the stream last managed to record; the running task (if this process runs
one) knows better, also while the database refuses writes. Either way, a stream that has not
completed a poll for longer than a long poll can take is "stalled", whatever it last claimed: that
is how a task that died or hangs shows up instead of a frozen "connected".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from service.jobs.events_stream import LiveStatus
from service.store.room import StreamState

# States in which polls are expected to complete; 'stopped' and 'not_configured' wait for settings.
_RUNNING = ("starting", "connected", "backing_off", "store_error")


def shown_state(
    stored: StreamState | None, live: LiveStatus | None, *, now: datetime, stall_after: timedelta
) -> StreamState | None:
    """The state to show: `live` (the running task) over `stored`, marked stalled when it is."""
    if live is not None:
        polled = [moment for moment in (live.last_poll_at, stored.last_poll_at if stored else None) if moment]
        state = StreamState(
            state=live.state, detail=live.detail, until=live.until,
            last_event_id=stored.last_event_id if stored else None,
            last_event_at=stored.last_event_at if stored else None,
            last_poll_at=max(polled) if polled else None, updated_at=live.since,
        )  # fmt: skip
        # A poll stored before this process started says nothing about this run.
        reference = live.last_poll_at or live.started_at
    elif stored is not None:
        state, reference = stored, stored.last_poll_at or stored.updated_at
    else:
        return None
    if state.state not in _RUNNING or now - reference <= stall_after:
        return state
    if state.state in ("starting", "connected"):
        return replace(state, state="stalled", stalled=True)
    return replace(state, stalled=True)
