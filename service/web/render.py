"""Jinja2 rendering of the panel: one environment over the top-level templates/ folder."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from service import __version__
from service.permissions import Permission
from service.store.alert_inbox import Bell
from service.store.db import Connection
from service.store.room import StreamState
from service.web import sessions
from service.web.admin_sections import ADMIN_SECTIONS
from service.web.alert_bell import bell
from service.web.alert_bell import shown as bell_shown
from service.web.keys import config_key, db_key, templates_key
from service.web.list_reasons import list_reason
from service.web.stream_view import needing_attention, stream_warning, warned

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def _formatted(moment: datetime, fmt: str) -> str:
    """moment.strftime(fmt); the two formats every shown time uses by %-formatting, a third of the
    cost of strftime or of format specifiers (a Directory page shows 100 of them)."""
    m = moment
    if fmt == MINUTES:
        return "%d-%02d-%02d %02d:%02d" % (m.year, m.month, m.day, m.hour, m.minute)  # noqa: UP031
    if fmt == SECONDS:
        return "%d-%02d-%02d %02d:%02d:%02d" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031
    return moment.strftime(fmt)


def localtime(moment: datetime | None, fmt: str = MINUTES) -> str:
    """UTC is stored; the panel shows the machine's local time (the user's own machine)."""
    if moment is None:
        return "—"
    return _formatted(moment.astimezone(), fmt)


def utctime(moment: datetime | None) -> str:
    """The hover text of every shown time: the stored UTC moment, to the second."""
    if moment is None:
        return ""
    return _formatted(moment if moment.tzinfo is UTC else moment.astimezone(UTC), SECONDS) + " UTC"


def text(value: object) -> str:
    """`value` escaped for HTML exactly as markupsafe.escape does (Markup passes through), as a
    plain str: pages of many rows build their cells from these and wrap the result once with html(),
    rather than allocate a Markup per value."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return (
        str(value).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
        .replace("'", "&#39;").replace('"', "&#34;")
    )  # fmt: skip


def html(written: str) -> Markup:
    """Markup the caller wrote from constants and text()-escaped values: an f-string and text() cost
    a fraction of Markup.format's pure-Python formatter, which pages of many rows feel."""
    return Markup(written)  # noqa: S704 — every interpolated value was escaped by the caller


def time_text(moment: datetime | None, seconds: bool = False) -> str:
    """A stored moment as `<time>` (localize.js shows it in the reader's zone), UTC on hover; a dash
    for none. HTML as a str, for callers that build a larger fragment (time_tag is the Markup)."""
    if not moment:
        return "&mdash;"
    # Digits and separators only (a datetime's own formats): nothing here needs escaping.
    shown = localtime(moment, SECONDS if seconds else MINUTES)
    precision = "seconds" if seconds else "minutes"
    return (
        f'<time datetime="{moment.isoformat()}" data-precision="{precision}" '
        f'title="{utctime(moment)}">{shown}</time>'
    )


def time_tag(moment: datetime | None, seconds: bool = False) -> Markup:
    """time_text as Markup: the `when` macro (_partials.html) is this."""
    return html(time_text(moment, seconds))


def pretty_json(value: Any) -> str:
    """A stored record as indented JSON text (the profile's raw records)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def number_text(value: float | None, fmt: str = "{:,}") -> str:
    """A figure as `<data class="num">`: grouped here ("1,234"), in the reader's locale by localize.js.
    HTML as a str (number, the `num` filter, is the Markup)."""
    if value is None:
        return "&mdash;"
    if type(value) is int and fmt == "{:,}":  # digits and commas: the common case, nothing to escape
        return f'<data class="num" value="{value}">{value:,}</data>'
    return f'<data class="num" value="{text(value)}">{text(fmt.format(value))}</data>'


def number(value: float | None, fmt: str = "{:,}") -> Markup:
    return html(number_text(value, fmt))


def ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            break
    else:
        text = f"{seconds} s"
    return f"in {text}" if future else f"{text} ago"


def create_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(("html",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the program and change only with it (a restart): not checking each
        # one's file on every use saves a stat() per template a page uses (seven on the Directory).
        auto_reload=False,
    )
    env.filters["localtime"] = localtime
    env.filters["ago"] = ago
    env.filters["utctime"] = utctime
    env.filters["num"] = number
    env.filters["pretty_json"] = pretty_json
    env.filters["list_reason"] = list_reason
    env.globals["time_tag"] = time_tag
    env.globals["version"] = __version__
    env.globals["Permission"] = Permission
    env.globals["ADMIN_SECTIONS"] = ADMIN_SECTIONS
    return env


def base_context(request: web.Request) -> dict[str, Any]:
    session = sessions.current(request)
    user = session.user if session else None
    csrf = session.csrf_token if session else sessions.anon_csrf_token(request)
    broadcaster = request.app[config_key].current.broadcaster
    return {
        "request": request,
        "user": user,
        "permissions": user.permissions if user else frozenset(),
        "csrf_token": csrf,
        "room_label": broadcaster or "My Room",
        "broadcaster": broadcaster,
        "flash": None,
        "active": "",
        "stream_warning": None,
        "bell": None,
    }


Header = tuple[StreamState | None, Bell | None]
# A page that reads on a reader's thread anyway puts read_header's answer here, in its context, and
# render() then reads nothing for the header.
HEADER_KEY = "header"


def _permissions(request: web.Request) -> Collection[str]:
    session = sessions.current(request)
    return session.user.permissions if session else frozenset()


async def read_header(
    request: web.Request, conn: Connection, page_state: StreamState | None = None
) -> Header:
    """The header's stream warning and bell for this user, read on `conn`."""
    permissions = _permissions(request)
    return (
        await stream_warning(request, conn, permissions, page_state),
        await bell(request, conn, permissions),
    )


async def _header(
    request: web.Request, permissions: Collection[str], page_state: StreamState | None
) -> Header:
    """The header's stream warning and bell, read in one trip to a reader's thread (every page
    shows them), or none when this user is shown neither."""
    if not bell_shown(request, permissions) and not (warned(permissions) and page_state is None):
        return (needing_attention(page_state) if warned(permissions) else None), None
    return await request.app[db_key].read_on_thread(lambda conn: read_header(request, conn, page_state))


async def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    values = base_context(request)
    values["flash"] = await sessions.pop_flash(request)
    context = context or {}
    header = context.get(HEADER_KEY) or await _header(request, values["permissions"], context.get("stream"))
    values["stream_warning"], values["bell"] = header
    values.update(context)
    html = request.app[templates_key].get_template(template).render(values)
    response = web.Response(text=html, status=status, content_type="text/html")
    sessions.remember_anon_csrf(request, response)
    return response


def render_error_page(
    request: web.Request, status: int, title: str, message: str, details: list[str]
) -> web.Response:
    """Error pages must render even when the database or the session is the problem."""
    env = request.app[templates_key]
    try:
        template = env.select_template([f"errors/{status}.html", "errors/error.html"])
        values = base_context(request)
    except Exception:  # a broken template or state must not hide the original error
        values = {"user": None, "permissions": frozenset(), "csrf_token": "", "room_label": "My Room",
                  "stream_warning": None, "bell": None}  # fmt: skip
        template = env.get_template("errors/error.html")
    values.update(
        {"status": status, "title": title, "message": message, "details": details, "flash": None,
         "active": ""}
    )  # fmt: skip
    return web.Response(text=template.render(values), status=status, content_type="text/html")
