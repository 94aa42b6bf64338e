"""One Events API batch into history: events, quarantine, people, follows, broadcasts and the cursor.

Everything runs inside the transaction the caller is given, so a batch and the `nextUrl` after it
land together or not at all: a restart at any moment resumes at the stored cursor, and a replayed
batch stores nothing twice because the event id is the primary key and only ids not stored yet
count towards people, follows and summaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from service.fan_tiers import DEFAULT_RULES, FanRules
from service.ingest import alerting, broadcast_summary, fan_ledger, follows, presence
from service.ingest.broadcast_stitching import Stitcher, StitchPolicy
from service.ingest.room_people import resolve_people, room_figures
from service.store import broadcast_reports, room_events, stream_state
from service.store.db import Connection
from service.store.room_events import IncomingEvent, QuarantineItem


@dataclass(frozen=True, slots=True)
class BatchResult:
    stored: int
    duplicates: int
    quarantined: int
    broadcast_ids: frozenset[int] = field(default_factory=frozenset)
    # The touched broadcasts that are closed after the batch: their written summaries are due.
    summaries_due: frozenset[int] = field(default_factory=frozenset)
    alerts: int = 0  # raised by this batch: wake the listeners after the commit


async def ingest_events(
    conn: Connection,
    events: Sequence[IncomingEvent],
    invalid: Sequence[QuarantineItem],
    cursor: str,
    *,
    cursor_fingerprint: str | None = None,
    broadcaster: str,
    policy: StitchPolicy,
    received_at: str,
    fan_rules: FanRules = DEFAULT_RULES,
) -> BatchResult:
    """Store one polled batch, mapped to store rows (`event_rows.to_incoming`), and the cursor after it
    (call inside a write transaction; the Events stream runs it whole on the writer's thread).

    `cursor` is the nextUrl without the token (`sources.events.without_token`); the table refuses one
    without the placeholder. `cursor_fingerprint` names the token it was read with.
    """
    fresh = await _fresh(conn, events)
    ids = await resolve_people(conn, fresh, broadcaster)
    stitcher = await Stitcher.load(conn, policy, broadcaster or None)
    assignments = await stitcher.feed(fresh)
    if not fresh:
        await stitcher.close_if_stale(received_at)
    touched = stitcher.touched()
    broadcaster_id = ids.get(broadcaster)
    summaries = await broadcast_summary.prepare(
        conn, fresh, assignments, ids, touched=touched, rebuilt=stitcher.rebuilt(),
        broadcaster_id=broadcaster_id,
    )  # fmt: skip
    stored = await room_events.insert_events(conn, fresh, ids, assignments, received_at=received_at)
    # Only what the store kept counts for people (an event it refused, a clash of (ms, seq), is not theirs).
    counted = fresh if stored == len(fresh) else await _stored_of(conn, fresh)
    figures = room_figures(counted, ids, broadcaster)
    await fan_ledger.record(
        conn, counted, ids, assignments, figures, broadcaster=broadcaster, rebuilt=stitcher.rebuilt()
    )
    await room_events.add_room_figures(conn, figures)
    await fan_ledger.rebuild(conn, stitcher.rebuilt(), broadcaster_id)
    await fan_ledger.match_imported(conn, counted, ids, broadcaster=broadcaster)
    await follows.apply_room_events(conn, fresh, ids, broadcaster)
    rebuilt = stitcher.rebuilt()
    await presence.update(conn, counted, ids, assignments, broadcaster=broadcaster, rebuilt=rebuilt)
    raised = await alerting.evaluate(conn, counted, ids, broadcaster=broadcaster, fan_rules=fan_rules)
    quarantined = await room_events.insert_quarantine(conn, invalid, received_at=received_at)
    await broadcast_summary.apply(conn, summaries, broadcaster_id, all_stored=stored == len(fresh))
    # Their written summaries are regenerated after the batch (jobs/broadcast_reports.py), not in it.
    due = await broadcast_reports.mark_stale(conn, touched)
    last = events[-1] if events else None
    await stream_state.record_cursor(
        conn, cursor, fingerprint=cursor_fingerprint, last_event_id=last.id if last else None,
        last_event_at=last.at if last else None, at=received_at,
    )  # fmt: skip
    return BatchResult(
        len(fresh),
        len(events) - len(fresh),
        quarantined,
        frozenset(touched),
        summaries_due=due,
        alerts=raised,
    )


async def _stored_of(conn: Connection, events: Sequence[IncomingEvent]) -> list[IncomingEvent]:
    stored = await room_events.known_event_ids(conn, (event.id for event in events))
    return [event for event in events if event.id in stored]


async def _fresh(conn: Connection, events: Sequence[IncomingEvent]) -> list[IncomingEvent]:
    """The events not stored yet, each id once, in arrival order."""
    known = await room_events.known_event_ids(conn, (event.id for event in events))
    fresh: list[IncomingEvent] = []
    for event in events:
        if event.id not in known:
            known.add(event.id)
            fresh.append(event)
    return fresh
