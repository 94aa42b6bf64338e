"""Entry points of the main navigation that only lead elsewhere."""

from __future__ import annotations

from aiohttp import web

from service.permissions import Permission
from service.web.access import Access, requires


@requires(Access.AUTHENTICATED)
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["users_directory"].url_for())


@requires(Permission.VIEW_USERS)
async def users(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["users_directory"].url_for())
