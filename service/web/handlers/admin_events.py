"""Admin › Events stream: status, last event, recorded gaps and quarantined events."""

from __future__ import annotations

from aiohttp import web

from service.permissions import Permission
from service.store import room
from service.web.access import requires
from service.web.keys import db_key
from service.web.render import render
from service.web.stream_view import stream_state


@requires(Permission.MANAGE_JOBS)
async def admin_events(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        state = await stream_state(request, conn)
        gaps = await room.list_gaps(conn)
        quarantined, items = await room.list_quarantine(conn)
    context = {"stream": state, "gaps": gaps, "quarantined": quarantined, "items": items,
               "active": "admin", "admin_section": "events"}  # fmt: skip
    return await render(request, "admin/events.html", context)
