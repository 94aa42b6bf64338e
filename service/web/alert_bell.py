"""The header's bell: the signed-in user's unread alerts and where the page's live toasts start."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from aiohttp import web

from service.clock import utcnow
from service.permissions import Permission
from service.store import alert_inbox
from service.store.alert_inbox import Bell
from service.store.db import Connection
from service.web import sessions

# Older alerts stay in the list but no longer count as news in the header.
UNREAD_WINDOW = timedelta(days=30)


def shown(request: web.Request, permissions: Collection[str]) -> bool:
    """Whether the header has a bell: for whoever may read the alerts (View stats)."""
    return sessions.current(request) is not None and Permission.VIEW_STATS in permissions


async def bell(request: web.Request, conn: Connection, permissions: Collection[str]) -> Bell | None:
    """The bell's figures when the header has one, else None. One statement."""
    session = sessions.current(request)
    if session is None or not shown(request, permissions):
        return None
    return await alert_inbox.bell(conn, session.user.id, since=utcnow() - UNREAD_WINDOW)
