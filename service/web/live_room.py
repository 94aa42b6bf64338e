"""The live room's data, one JSON-ready document for the page, its `.json` twin and its live feed.

Who is in the room of the open broadcast (store/live_room.py), sorted by tier, then this broadcast's
tokens; the broadcast's running totals against the average of the ten before it (and that average
pro-rated to the time on air so far); the latest tips and departures. When the Events stream is not
configured, or no broadcast is open, `state` says so and `message` says it in a sentence, so the page
never shows an empty room that is only empty because nothing is listening. A stalled or failing stream
keeps the room (the last known) with a warning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from service.clock import utcnow
from service.permissions import Permission
from service.store import broadcasts, fan_lists, fans, live_room
from service.store.broadcasts import Broadcast
from service.store.db import Connection
from service.store.room import StreamState
from service.web.handler_support import may
from service.web.json_view import iso
from service.web.keys import config_key
from service.web.stream_view import stream_state

# Running totals shown, with their labels (each against the previous ten broadcasts' average).
TOTALS = {
    "tokens": "Tokens", "tips": "Tips", "unique_tippers": "Tippers", "biggest_tip": "Biggest tip",
    "new_followers": "New followers", "fanclub_joins": "Fan-club joins", "unique_visitors": "Visitors",
}  # fmt: skip
_TROUBLE = ("stalled", "stopped", "store_error", "backing_off")


def _stream_problem(state: StreamState | None) -> tuple[str, str] | None:
    """(state, sentence) when the stream cannot say who is here, else None."""
    if state is None or state.state == "not_configured":
        return "not_configured", (
            "The Events stream is not configured, so nobody's arrivals can be seen: an admin sets the "
            "broadcaster and the Events API token in Admin › Settings."
        )
    return None


def _stream_warning(state: StreamState | None) -> str | None:
    if state is None or not (state.stalled or state.state in _TROUBLE):
        return None
    since = f" since {state.last_poll_at:%Y-%m-%d %H:%M} UTC" if state.last_poll_at else ""
    what = "stalled" if state.stalled else state.state.replace("_", " ")
    return (
        f"The Events stream is {what}{since}: who is shown is the last known, and arrivals and tips "
        "after that are missing."
    )


def _totals(live: Broadcast, now: datetime) -> list[dict[str, Any]]:
    elapsed = max(0.0, (now - live.started_at).total_seconds())
    avg_duration = live.averages.get("duration_seconds")
    share = min(1.0, elapsed / avg_duration) if avg_duration else None
    rows = []
    for key, label in TOTALS.items():
        average = live.averages.get(key)
        so_far = average * share if average is not None and share is not None else None
        rows.append({
            "key": key, "label": label, "value": live.figures.get(key) or 0,
            "average": round(average, 1) if average is not None else None,
            "average_so_far": round(so_far, 1) if so_far is not None else None,
        })  # fmt: skip
    return rows


def _present_row(p: live_room.Present, tier: Any, marks: fan_lists.PersonMarks | None) -> dict[str, Any]:
    return {
        "username": p.username, "profile_url": f"/profile/{p.username}",
        "tier": {"rank": tier.rank, "name": tier.name, "threshold": tier.threshold} if tier else None,
        "lifetime_tokens": p.lifetime, "broadcast_tokens": p.broadcast_tokens,
        "follower": p.follower_since is not None, "follower_since": p.follower_since,
        "fanclub": p.fanclub_since is not None, "fanclub_since": p.fanclub_since,
        "lists": [{"id": c.id, "name": c.name, "builtin": c.builtin, "warning": c.is_warning}
                  for c in (marks.lists if marks else ())],
        "pinned_note": marks.pinned_note if marks else None,
        "entered_at": p.entered_at, "last_event_at": p.last_event_at, "previous_visit": p.previous_visit,
    }  # fmt: skip


async def snapshot(request: web.Request, conn: Connection) -> dict[str, Any]:
    """The live room now, as the page, `/room/live.json` and the live feed show it."""
    now = utcnow()
    state = await stream_state(request, conn)
    doc: dict[str, Any] = {
        "state": "live", "message": None, "warning": _stream_warning(state),
        "stream": {"state": state.state, "stalled": state.stalled, "last_poll_at": iso(state.last_poll_at),
                   "last_event_at": iso(state.last_event_at)} if state else None,
        "broadcast": None, "present": [], "tips": [], "departed": [], "as_of": iso(now),
    }  # fmt: skip
    problem = _stream_problem(state)
    live = await broadcasts.open_broadcast(conn)
    if problem is not None and live is None:
        doc["state"], doc["message"] = problem
        return doc
    if live is None:
        doc["state"] = "no_broadcast"
        doc["message"] = "No broadcast is open: the room fills as soon as the Events stream sees you go live."
        return doc
    doc["broadcast"] = {
        "id": live.id, "started_at": iso(live.started_at), "url": f"/room/broadcasts/{live.id}",
        "elapsed_seconds": int((now - live.started_at).total_seconds()), "totals": _totals(live, now),
    }  # fmt: skip
    people = await live_room.present(conn, live.id)
    ids = [p.person_id for p in people]
    tiers = await fans.tiers_for(conn, request.app[config_key].fans.tiers, ids, now=now)
    # Lists and notes are for those who may see people's records (viewers and up).
    marks = await fan_lists.marks_for(conn, ids) if may(request, Permission.VIEW_USERS) else {}
    rows = [_present_row(p, tiers.get(p.person_id), marks.get(p.person_id)) for p in people]
    rows.sort(key=lambda r: (-(r["tier"]["rank"] if r["tier"] else 0), -r["broadcast_tokens"],
                             -r["lifetime_tokens"], r["username"]))  # fmt: skip
    doc["present"] = rows
    doc["tips"] = [
        {"id": t.id, "at": t.at, "username": t.username, "anonymous": t.username is None, "tokens": t.tokens,
         "message": t.message, "profile_url": f"/profile/{t.username}" if t.username else None}
        for t in await live_room.tips(conn, live.id)
    ]  # fmt: skip
    doc["departed"] = [
        {"username": d.username, "left_at": d.left_at} for d in await live_room.departed(conn, live.id)
    ]
    return doc
