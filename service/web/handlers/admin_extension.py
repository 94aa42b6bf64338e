"""Admin › Extension: a one-time pairing code, the paired browsers with their last contact, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from service.ingest import pairing
from service.permissions import Permission
from service.store import extension as ext_store
from service.web import sessions
from service.web.access import requires
from service.web.handler_support import acting_user
from service.web.keys import db_key, settings_key
from service.web.query_params import route_id
from service.web.render import render


async def _page(
    request: web.Request, *, code: str | None = None, expires: datetime | None = None
) -> web.Response:
    async with request.app[db_key].read() as conn:
        clients = await ext_store.list_clients(conn)
        live = await ext_store.get_live_pairing_code(conn)
        tasks = await ext_store.list_tasks(conn, limit=15)
    context: dict[str, Any] = {
        "active": "admin", "admin_section": "extension", "clients": clients, "code": code,
        "code_expires": expires, "live_code": live, "tasks": tasks,
    }  # fmt: skip
    return await render(request, "admin/extension.html", context)


@requires(Permission.MANAGE_JOBS)
async def admin_extension(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@requires(Permission.MANAGE_JOBS)
async def admin_extension_code(request: web.Request) -> web.StreamResponse:
    """Shown once, in this response only: the code is stored hashed, like a password."""
    code, expires = await pairing.new_pairing_code(
        request.app[db_key],
        by=acting_user(request),
        minutes=request.app[settings_key].ext_pair_code_minutes,
    )
    return await _page(request, code=code, expires=expires)


@requires(Permission.MANAGE_JOBS)
async def admin_extension_revoke(request: web.Request) -> web.StreamResponse:
    client_id = route_id(request, "client_id")
    async with request.app[db_key].transaction() as conn:
        revoked = await ext_store.revoke_client(conn, client_id)
    await sessions.flash(
        request,
        f"Extension #{client_id} revoked: its token no longer works." if revoked else "Already revoked.",
    )
    raise web.HTTPSeeOther(request.app.router["admin_extension"].url_for())
