"""Every panel page also answers as JSON, the way Datasette serves a page's data under `.json`.

A page handler builds one context dict from its query and hands it to `respond`: the page renders
its template from that dict, `<page>.json` (and the /api/ aliases) turn the same dict into an explicit
JSON document with the page's serialiser (service/web/page_json.py). Same handler, same query, same
permission; the serialiser picks what the page shows, so nothing the page hides leaks by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from service.clock import to_db
from service.web.render import render

JSON_SUFFIX = ".json"
API_PREFIX = "/api/"

Serialiser = Callable[[web.Request, dict[str, Any]], dict[str, Any]]


def wants_json(request: web.Request) -> bool:
    """The JSON side of the panel: the /api/ routes and every page's `.json` twin (errors included)."""
    return request.path.startswith(API_PREFIX) or request.path.endswith(JSON_SUFFIX)


async def respond(
    request: web.Request, template: str, context: dict[str, Any], serialiser: Serialiser, *, status: int = 200
) -> web.Response:
    """The page, or its data as JSON when the URL asks for JSON."""
    if wants_json(request):
        return web.json_response({"ok": True, **serialiser(request, context)}, status=status)
    return await render(request, template, context, status=status)


def iso(moment: datetime | str | None) -> str | None:
    """A time in the one UTC text form the database stores (stored text is already in it)."""
    if moment is None or isinstance(moment, str):
        return moment
    return to_db(moment)
