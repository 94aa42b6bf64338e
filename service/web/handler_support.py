"""What several handlers ask about a request: who is acting, what they may do, and whether the
Scrape Profile buttons can be offered. Handlers share these through here, never through each other."""

from __future__ import annotations

from aiohttp import web

from service.permissions import Permission
from service.store import extension
from service.store.db import Connection
from service.web import sessions


def acting_user(request: web.Request) -> str | None:
    """The signed-in user's name, recorded as who asked for a change."""
    session = sessions.current(request)
    return session.user.username if session else None


def may(request: web.Request, *permissions: Permission) -> bool:
    """Whether the signed-in user holds any of these permissions."""
    session = sessions.current(request)
    return bool(session and any(p in session.user.permissions for p in permissions))


def can_enqueue(request: web.Request) -> bool:
    """Queueing a lookup and asking Statbate for tips both need manage_priorities."""
    return may(request, Permission.MANAGE_PRIORITIES)


async def scrape_availability(request: web.Request, conn: Connection) -> tuple[bool, str]:
    """(enabled, tooltip) of the Scrape Profile buttons: scrapes run in the user's own browser, so
    they need the permission and a paired (not revoked) Chrome extension to hand the task to."""
    if not may(request, Permission.SCRAPE_PROFILES):
        return False, "your role cannot ask for scrapes"
    if not await extension.has_active_client(conn):
        return False, "needs the Chrome extension"
    return True, "ask the Chrome extension to read this profile page"
