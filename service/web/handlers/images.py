"""Thumbnails from the local content-addressed store (the pages fall back to the remote URL)."""

from __future__ import annotations

import re

from aiohttp import web

from service.errors import NotFound
from service.permissions import Permission
from service.store import images as image_store
from service.web.access import requires
from service.web.keys import db_key, settings_key

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@requires(Permission.VIEW_USERS)
async def image(request: web.Request) -> web.StreamResponse:
    sha = request.match_info["sha256"].lower()
    if not _SHA256.match(sha):
        raise NotFound("No such image.")
    async with request.app[db_key].read() as conn:
        stored = await image_store.get_image(conn, sha)
    root = (request.app[settings_key].data_dir / "images").resolve()
    path = (request.app[settings_key].data_dir / stored.path).resolve() if stored else None
    if stored is None or path is None or not path.is_relative_to(root) or not path.is_file():
        raise NotFound("No such image.")
    # Content-addressed: the bytes behind this URL can never change.
    headers = {"Cache-Control": "private, max-age=31536000, immutable", "Content-Type": stored.content_type}
    return web.FileResponse(path, headers=headers)
