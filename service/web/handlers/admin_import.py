"""Admin › Import: upload the site's token history CSV; the import runs in the background.

The upload is streamed to a private file (never held in memory, never through the panel's 1 MiB
form limit) up to MHC_IMPORT_MAX_BODY_BYTES, the import is recorded and started, and the page polls
`/admin/import/{id}.json` for its progress. The page sends the CSRF token as a header, so the body
is only read here. A refused file is recorded as failed with its sentence; nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.web_request import FileField

from service.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from service.ingest.token_import import begin_import
from service.permissions import Permission
from service.store import token_history
from service.store.token_history import TokenImport
from service.web.access import requires
from service.web.json_view import iso, respond, wants_json
from service.web.keys import db_key, import_tasks_key, settings_key
from service.web.middlewares import CSRF_HEADER
from service.web.sessions import flash

FILE_FIELD = "file"
CHUNK = 1 << 16
_CHOOSE = "Choose a token history file (a CSV) to upload."


def _new_upload(directory: Path) -> tuple[int, Path]:
    """A new private (0600) file in a private folder of the data directory."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="token-history-", suffix=".csv", dir=directory)
    return handle, Path(name)


def _discard(path: Path) -> None:
    _discard(path)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MiB, the upload limit.")


def import_json(item: TokenImport) -> dict[str, Any]:
    return {
        "id": item.id, "filename": item.filename, "status": item.status, "error": item.error,
        "started_at": iso(item.started_at), "finished_at": iso(item.finished_at),
        "rows_read": item.rows_read, "rows_added": item.rows_added, "rows_known": item.rows_known,
        "rows_matched": item.rows_matched, "rows_not_spending": item.rows_not_spending,
    }  # fmt: skip


def _page_json(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    return {"imports": [import_json(item) for item in context["imports"]]}


@requires(Permission.MANAGE_JOBS)
async def admin_import(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        imports = await token_history.list_imports(conn)
    limit = request.app[settings_key].import_max_body_bytes
    context = {"active": "admin", "admin_section": "import", "imports": imports,
               "limit_mib": limit // (1024 * 1024), "limit_bytes": limit}  # fmt: skip
    return await respond(request, "admin/import.html", context, _page_json)


@requires(Permission.MANAGE_JOBS)
async def admin_import_status(request: web.Request) -> web.StreamResponse:
    try:
        import_id = int(request.match_info["import_id"])
    except ValueError:
        raise NotFound("No such import.") from None
    async with request.app[db_key].read() as conn:
        item = await token_history.get_import(conn, import_id)
    if item is None:
        raise NotFound("No such import.")
    return web.json_response({"ok": True, "import": import_json(item)})


def _copy_posted(field: FileField, directory: Path) -> tuple[Path, int]:
    handle, path = _new_upload(directory)
    lines = 0
    with os.fdopen(handle, "wb") as out:
        while chunk := field.file.read(CHUNK):
            lines += chunk.count(b"\n")
            out.write(chunk)
    return path, lines


async def _save_posted(request: web.Request, directory: Path) -> tuple[Path, str, int]:
    """A plain form (no script): the CSRF check has read the body, within the panel's form limit."""
    field = (await request.post()).get(FILE_FIELD)
    if not isinstance(field, FileField) or not field.filename:
        raise InvalidInput(_CHOOSE)
    path, lines = await asyncio.to_thread(_copy_posted, field, directory)
    return path, Path(field.filename).name, lines


async def _save_upload(request: web.Request, directory: Path, limit: int) -> tuple[Path, str, int]:
    """The uploaded file in a private file of `directory`: (path, its name, its line count)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if request.content_type != "multipart/form-data":
        raise InvalidInput(_CHOOSE)
    if CSRF_HEADER not in request.headers:
        return await _save_posted(request, directory)
    reader = await request.multipart()
    part = await reader.next()
    while part is not None and (not isinstance(part, BodyPartReader) or part.name != FILE_FIELD):
        part = await reader.next()
    if part is None or not part.filename:
        raise InvalidInput(_CHOOSE)
    handle, path = _new_upload(directory)
    size = lines = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                lines += chunk.count(b"\n")
                out.write(chunk)
    except BaseException:
        _discard(path)
        raise
    return path, Path(part.filename).name, lines


@requires(Permission.MANAGE_JOBS)
async def admin_import_upload(request: web.Request) -> web.StreamResponse:
    tasks = request.app[import_tasks_key]
    if tasks.busy:
        raise Conflict("An import is already running; wait for it to finish, then upload the next file.")
    settings = request.app[settings_key]
    path, filename, lines = await _save_upload(request, tasks.upload_dir, settings.import_max_body_bytes)
    try:
        import_id = await begin_import(request.app[db_key], path, filename)
    except BaseException:
        _discard(path)
        raise
    tasks.start(path, import_id)
    if wants_json(request):
        status_url = request.app.router["admin_import_status"].url_for(import_id=str(import_id))
        return web.json_response({"ok": True, "id": import_id, "lines": lines, "status_url": str(status_url)})
    await flash(request, f"Importing {filename}; the list below shows how far it got.")
    raise web.HTTPSeeOther(request.app.router["admin_import"].url_for())
