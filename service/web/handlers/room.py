"""The broadcaster's room page, one broadcast's detail, and a person's events with the room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from service.errors import NotFound
from service.permissions import Permission
from service.store import broadcasts, persons
from service.store import room as room_store
from service.web import page_json
from service.web.access import requires
from service.web.event_views import PAGE_SIZE, can_reveal, event_row, parse_cursor, reveal_requested
from service.web.fan_badges import badges_for
from service.web.json_view import respond
from service.web.keys import config_key, db_key
from service.web.query_params import route_id, route_username
from service.web.render import render
from service.web.stream_view import stream_state

# Figures in the broadcasts list, with their column titles; each is coloured against the average.
LIST_FIGURES = {
    "duration_seconds": "Duration", "tokens": "Tokens", "tips": "Tips", "unique_tippers": "Tippers",
    "biggest_tip": "Biggest tip", "new_followers": "New followers", "unfollows": "Unfollows",
    "fanclub_joins": "Fan club", "unique_visitors": "Visitors", "peak_viewers": "Peak viewers",
    "avg_viewers": "Avg viewers",
}  # fmt: skip
ACCOUNT_FIGURES = {
    "token_balance": "Token balance", "num_followers": "Followers", "num_viewers": "Viewers",
    "satisfaction_score": "Satisfaction", "votes_up": "Votes up", "votes_down": "Votes down",
}  # fmt: skip
TIMELINE_METHODS = (
    "broadcastStart", "broadcastStop", "tip", "mediaPurchase", "follow", "unfollow", "fanclubJoin",
    "roomSubjectChange",
)  # fmt: skip
# Changes within ±10 % of the average are not coloured: that is an ordinary night.
NOTABLE = 0.10
# The Stats API refreshes every 5 minutes; an answer older than two refreshes no longer says "live".
STATS_LIVE_FRESH = timedelta(minutes=10)


def trend(change: float | None) -> str:
    if change is None:
        return "flat"
    return "up" if change > NOTABLE else ("down" if change < -NOTABLE else "flat")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _account(latest: dict[str, Any] | None, before: dict[str, Any] | None) -> list[dict[str, Any]]:
    if latest is None:
        return []
    rows = []
    for key, label in ACCOUNT_FIGURES.items():
        if key in latest:
            old = before.get(key) if before else None
            change = latest[key] - old if old is not None and latest[key] is not None else None
            rows.append({"label": label, "value": latest[key], "change": change})
    return rows


@requires(Permission.VIEW_STATS)
async def room(request: web.Request) -> web.StreamResponse:
    broadcaster = request.app[config_key].current.broadcaster
    now = datetime.now(UTC)
    async with request.app[db_key].read() as conn:
        live = await broadcasts.open_broadcast(conn)
        recent = await broadcasts.list_broadcasts(conn, limit=50)
        last_end = next((b.ended_at for b in recent if b.ended_at), None)
        latest, before = await broadcasts.account_stats(conn, since=last_end)
        state = await stream_state(request, conn)
        # The Stats API can say "live" while the Events stream is down or never saw the start.
        stats_live = await broadcasts.stats_live(conn, room=broadcaster, now=now, fresh=STATS_LIVE_FRESH)
    if live:
        live_seconds: float | None = (now - live.started_at).total_seconds()
    else:
        live_seconds = stats_live.minutes_online * 60 if stats_live else None
    viewers = stats_live.viewers if stats_live else (latest.get("num_viewers") if latest and live else None)
    context = {"live": live, "stats_live": stats_live, "live_duration": duration(live_seconds),
               "live_viewers": viewers,
               "broadcasts": recent, "figures": LIST_FIGURES, "trend": trend, "duration": duration,
               "account": _account(latest, before), "account_known": latest is not None,
               "stream": state, "active": "room"}  # fmt: skip
    return await render(request, "room/index.html", context)


@requires(Permission.VIEW_STATS)
async def room_broadcast(request: web.Request) -> web.StreamResponse:
    broadcast_id = route_id(request, "broadcast_id")
    reveal = reveal_requested(request)
    broadcaster = request.app[config_key].current.broadcaster
    async with request.app[db_key].read() as conn:
        found = await broadcasts.get_broadcast(conn, broadcast_id)
        if found is None:
            raise NotFound(f"There is no broadcast {broadcast_id}.")
        in_broadcast = room_store.EventFilter(broadcast_id=found.id, methods=TIMELINE_METHODS)
        timeline = await room_store.list_events(conn, in_broadcast, limit=500)
        tippers = await broadcasts.top_tippers(conn, found.id, reveal=reveal)
        follow_filter = room_store.EventFilter(broadcast_id=found.id, methods=("follow", "unfollow"))
        follow_changes = await room_store.list_events(conn, follow_filter, limit=500)
        seen = await broadcasts.visitors(conn, found.id, exclude=broadcaster, reveal=reveal)
        timeline_rows = [event_row(e, reveal=reveal) for e in reversed(timeline)]
        follow_rows = [event_row(e, reveal=reveal) for e in follow_changes]
        shown = ([t.username for t in tippers] + [v.username for v in seen]
                 + [row["username"] for row in timeline_rows + follow_rows])  # fmt: skip
        badges = await badges_for(request, conn, shown)
    # Still running: it has lasted until now, as the Room page says, not until its last event.
    running = duration((datetime.now(UTC) - found.started_at).total_seconds()) if found.live else None
    context = {"broadcast": found, "running_duration": running,
               "timeline": timeline_rows, "tippers": tippers, "follows": follow_rows, "badges": badges,
               "visitors": seen, "figures": LIST_FIGURES, "trend": trend, "duration": duration,
               "reveal": reveal, "can_reveal": can_reveal(request), "active": "room"}  # fmt: skip
    return await respond(request, "room/broadcast.html", context, page_json.broadcast)


@requires(Permission.VIEW_USERS)
async def profile_room(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    reveal = reveal_requested(request)
    before = parse_cursor(request.query.get("before"), "before")
    async with request.app[db_key].read() as conn:
        person_id = await persons.get_person_id(conn, username)
        if person_id is None:
            raise NotFound(f"{username} has not been seen yet.")
        stats = await room_store.get_person_room_stats(conn, person_id)
        days = await room_store.tips_by_day(conn, person_id, include_anonymous=reveal)
        # Without reveal an anonymous tip must not appear under its sender's name, not even here.
        mine = room_store.EventFilter(person_id=person_id, hide_anonymous=not reveal)
        found = await room_store.list_events(conn, mine, before=before, limit=PAGE_SIZE + 1)
    rows = [event_row(e, reveal=reveal) for e in found[:PAGE_SIZE]]
    older = f"?before={rows[-1]['id']}" + ("&reveal=1" if reveal else "") if len(found) > PAGE_SIZE else None
    peak = max((tokens for _, _, tokens in days), default=0)
    context = {"username": username, "stats": stats, "days": days, "peak": peak, "rows": rows,
               "older_url": older, "reveal": reveal, "can_reveal": can_reveal(request),
               "active": "profile"}  # fmt: skip
    return await render(request, "profile/room.html", context)
