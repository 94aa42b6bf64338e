"""The header's bell: the signed-in user's unread alerts and where the page's live toasts start."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from aiohttp import web

from service.clock import utcnow
from service.permissions import Permission
from service.store import alert_inbox
from service.store.alert_inbox import Bell
from service.web import sessions
from service.web.keys import db_key

# Older alerts stay in the list but no longer count as news in the header.
UNREAD_WINDOW = timedelta(days=30)


async def bell(request: web.Request, permissions: Collection[str]) -> Bell | None:
    """The bell's figures for whoever may read the alerts (View stats), else None. One statement."""
    session = sessions.current(request)
    if session is None or Permission.VIEW_STATS not in permissions:
        return None
    async with request.app[db_key].read() as conn:
        return await alert_inbox.bell(conn, session.user.id, since=utcnow() - UNREAD_WINDOW)
