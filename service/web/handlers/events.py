"""The Events page (newest first, filtered, keyset-paginated) and its live feed (server-sent events)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from service.permissions import Permission
from service.store import persons, room
from service.store.db import Connection
from service.web import page_json
from service.web.access import requires
from service.web.event_views import (
    LABELS,
    PAGE_SIZE,
    EventQuery,
    can_reveal,
    event_row,
    json_row,
    parse_cursor,
    parse_query,
    reveal_requested,
)
from service.web.fan_badges import badges_for
from service.web.json_view import respond
from service.web.keys import db_key, events_hub_key
from service.web.stream_view import stream_state

LIVE_BATCH = 200
KEEPALIVE_SECONDS = 10.0


async def _matching(
    conn: Connection, query: EventQuery, *, reveal: bool, **where: Any
) -> tuple[room.EventFilter | None, list[room.RoomEvent]]:
    """The filter for this query (None: a username nobody has) and the events it selects."""
    person_id = await persons.get_person_id(conn, query.username) if query.username else None
    if query.username and person_id is None:
        return None, []
    chosen = query.filter(person_id, reveal=reveal)
    return chosen, await room.list_events(conn, chosen, **where)


@requires(Permission.VIEW_STATS)
async def events(request: web.Request) -> web.StreamResponse:
    query = parse_query(request.query)
    before = parse_cursor(request.query.get("before"), "before")
    reveal = reveal_requested(request)
    async with request.app[db_key].read() as conn:
        _, found = await _matching(conn, query, reveal=reveal, before=before, limit=PAGE_SIZE + 1)
        state = await stream_state(request, conn)
        rows = [event_row(event, reveal=reveal) for event in found[:PAGE_SIZE]]
        badges = await badges_for(request, conn, (row["username"] for row in rows))
    extra = {"reveal": "1"} if reveal else {}
    older = query.url(request.path, before=rows[-1]["id"], **extra) if len(found) > PAGE_SIZE else None
    # The live feed continues the first page only; older pages are history.
    live = (
        None if before else query.url("/events/live", **({"after": rows[0]["id"]} if rows else {}), **extra)
    )
    context = {"rows": rows, "query": query, "types": LABELS, "older_url": older, "live_url": live,
               "newest_url": query.url(request.path, **extra) if before else None, "reveal": reveal,
               "can_reveal": can_reveal(request), "stream": state, "active": "events",
               "badges": badges}  # fmt: skip
    return await respond(request, "events/index.html", context, page_json.events)


def _sse(event: room.RoomEvent, *, reveal: bool) -> bytes:
    data = json.dumps(json_row(event_row(event, reveal=reveal)), separators=(",", ":"))
    return f"id: {event.id}\nevent: room-event\ndata: {data}\n\n".encode()


@requires(Permission.VIEW_STATS)
async def events_live(request: web.Request) -> web.StreamResponse:
    """Server-sent events: every stored event newer than `after` (or Last-Event-ID), as it arrives."""
    query = parse_query(request.query)
    after = parse_cursor(request.headers.get("Last-Event-ID") or request.query.get("after"), "after")
    reveal = reveal_requested(request)
    db, hub = request.app[db_key], request.app[events_hub_key]
    if after is None:
        async with db.read() as conn:
            after = await room.latest_key(conn) or (0, 0)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    try:
        await response.write(b"retry: 3000\n\n")
        while not hub.closed and request.transport is not None and not request.transport.is_closing():
            mark = hub.mark()  # before the read: a batch committed after it still wakes this feed
            async with db.read() as conn:
                chosen, found = await _matching(conn, query, reveal=reveal, after=after, limit=LIVE_BATCH)
            for event in found:
                await response.write(_sse(event, reveal=reveal))
                after = (event.ms, event.seq)
            caught_up = chosen is None or len(found) < LIVE_BATCH
            if caught_up and not await hub.wait(KEEPALIVE_SECONDS, since=mark):
                await response.write(b": keepalive\n\n")
    except ConnectionResetError:
        pass  # the browser went away (tab closed, page left): nothing to clean up
    return response
