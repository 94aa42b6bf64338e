"""The Events stream's state for the pages and the header warning (one primary-key read)."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

from service.clock import utcnow
from service.jobs.events_health import shown_state
from service.permissions import Permission
from service.store import room
from service.store.db import Connection
from service.store.room import StreamState
from service.web.keys import events_stream_key

# Who is warned in the header: those who can see the stream's data or fix its settings.
_WARNED = (Permission.VIEW_STATS, Permission.MANAGE_JOBS)


async def stream_state(request: web.Request, conn: Connection) -> StreamState | None:
    stream = request.app[events_stream_key]
    stored = await room.get_stream_state(conn)
    return shown_state(stored, stream.live_status(), now=utcnow(), stall_after=stream.stall_after)


def warned(permissions: Collection[str]) -> bool:
    """Whether this user is shown the stream's warning in the header."""
    return any(permission in permissions for permission in _WARNED)


async def stream_warning(
    request: web.Request,
    conn: Connection,
    permissions: Collection[str],
    page_state: StreamState | None = None,
) -> StreamState | None:
    """The stream's state when it needs attention and this user may see it, else None.
    `page_state`: the state the page read already (Room, Events, Admin), so it is not read twice."""
    if not warned(permissions):
        return None
    return needing_attention(page_state if page_state is not None else await stream_state(request, conn))


def needing_attention(state: StreamState | None) -> StreamState | None:
    """The state when the header warns of it."""
    return state if state is not None and state.needs_attention else None
