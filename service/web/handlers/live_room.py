"""The live room (/room/live): who is in the room now, the running totals and the tip feed; its JSON
twin, and its live feed over server-sent events (the whole room again after each committed batch that
changed it; the page shows arrivals, departures and new tips from the difference)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from service.permissions import Permission
from service.web import page_json
from service.web.access import requires
from service.web.json_view import respond
from service.web.keys import db_key, events_hub_key
from service.web.live_room import TOTALS, snapshot

KEEPALIVE_SECONDS = 10.0


@requires(Permission.VIEW_STATS)
async def room_live(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        room = await snapshot(request, conn)
    context: dict[str, Any] = {"room": room, "totals": TOTALS, "active": "room",
                               "stream_url": request.app.router["room_live_stream"].url_for()}  # fmt: skip
    return await respond(request, "room/live.html", context, page_json.live_room)


def _sse(room: dict[str, Any]) -> bytes:
    return f"event: room\ndata: {json.dumps(room, separators=(',', ':'))}\n\n".encode()


@requires(Permission.VIEW_STATS)
async def room_live_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the room now, then again whenever a committed batch changed it."""
    db, hub = request.app[db_key], request.app[events_hub_key]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    sent = ""
    try:
        await response.write(b"retry: 3000\n\n")
        while not hub.closed and request.transport is not None and not request.transport.is_closing():
            mark = hub.mark()  # before the read: a batch committed after it still wakes this feed
            async with db.read() as conn:
                room = await snapshot(request, conn)
            # "as_of" changes every time: compare the rest, send only a room that changed.
            shown = json.dumps({k: v for k, v in room.items() if k != "as_of"}, sort_keys=True)
            if shown != sent:
                await response.write(_sse(room))
                sent = shown
            if not await hub.wait(KEEPALIVE_SECONDS, since=mark):
                await response.write(b": keepalive\n\n")
    except ConnectionResetError:
        pass  # the browser went away
    return response
