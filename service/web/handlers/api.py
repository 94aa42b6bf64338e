"""The panel's JSON API (a session cookie or a personal API key; the same permissions as the pages)."""

from __future__ import annotations

from aiohttp import web

from service import __version__
from service.permissions import Permission
from service.redaction import mask
from service.store import jobs as job_store
from service.web.access import requires
from service.web.keys import db_key, runner_key, secrets_key


@requires(Permission.VIEW_STATS)
async def api_status(request: web.Request) -> web.StreamResponse:
    runner = request.app[runner_key]
    # The runner masks errors as it records them; this covers text any other writer stored.
    secrets = request.app[secrets_key].values()
    async with request.app[db_key].read() as conn:
        states = await job_store.list_states(conn)
    jobs = []
    for name in runner.specs:
        state = states.get(name)
        jobs.append(
            {
                "name": name,
                "paused": state.paused if state else False,
                "running": runner.is_running(name),
                "last_ok_at": state.last_ok_at.isoformat() if state and state.last_ok_at else None,
                "last_status": state.last_status if state else None,
                "last_error": mask(state.last_error, secrets) if state and state.last_error else None,
            }
        )
    return web.json_response({"ok": True, "service": "mhc", "version": __version__, "jobs": jobs})
