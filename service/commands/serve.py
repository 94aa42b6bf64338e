"""`mhc serve`: run the service in the foreground."""

from __future__ import annotations

import gc

from aiohttp import web

from service.app import create_app
from service.logs import configure_logging
from service.settings import Settings
from service.store.files import secure_tree


class ServeError(Exception):
    pass


async def _freeze_startup_objects(_app: web.Application) -> None:
    """Everything made while starting (modules, settings, the open database) lives as long as the
    process: moved out of the collector's view, the full collections that busy panel pages
    trigger scan only what requests made, not the whole program again."""
    gc.freeze()


def run(settings: Settings) -> int:
    if not settings.binds_loopback and not settings.allow_remote:
        raise ServeError(
            f"refusing to listen on {settings.host}: the panel would be reachable from other machines. "
            "Use --allow-remote (and MHC_ALLOWED_HOSTS) if that is really what you want."
        )
    # An older version left the data folder readable by every local user; fix it before starting.
    secure_tree(settings.data_dir)
    app = create_app(settings)
    from service.web.keys import secrets_key  # the registry the app keeps current

    configure_logging(settings.log_level, app[secrets_key])
    app.on_startup.append(_freeze_startup_objects)  # after the startup contexts: the database is open
    print(f"MHC Control Panel on http://{settings.host}:{settings.port}/  (data in {settings.data_dir})")
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except OSError as exc:
        raise ServeError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from exc
    return 0
