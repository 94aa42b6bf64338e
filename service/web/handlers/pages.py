"""Entry points of the main navigation that only lead elsewhere."""

from __future__ import annotations

from aiohttp import web

from service.permissions import Permission
from service.web import onboarding
from service.web.access import Access, requires
from service.web.handler_support import may
from service.web.keys import db_key
from service.web.render import render


@requires(Access.AUTHENTICATED)
async def home(request: web.Request) -> web.StreamResponse:
    """Until the first-run checklist is done, an admin lands on it; then (and everyone else) on the
    Directory."""
    if may(request, Permission.MANAGE_JOBS):
        async with request.app[db_key].read() as conn:
            steps = await onboarding.checklist(request, conn)
        if not steps.complete:
            return await render(request, "home.html", {"checklist": steps, "active": ""})
    raise web.HTTPSeeOther(request.app.router["users_directory"].url_for())


@requires(Permission.VIEW_USERS)
async def users(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["users_directory"].url_for())
