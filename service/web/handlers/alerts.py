"""The notification centre: the signed-in user's alerts (newest first, paged), read marks, and the
live toasts every panel page opens (server-sent events, woken by the EventsHub after each commit)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from service.errors import InvalidInput, NotFound
from service.permissions import Permission
from service.store import alert_inbox
from service.store.alert_inbox import InboxAlert
from service.web import page_json, sessions
from service.web.access import requires
from service.web.alert_links import panel_link
from service.web.forms import parse_form
from service.web.json_view import iso, respond
from service.web.keys import db_key, events_hub_key
from service.web.query_params import MAX_ID, route_id, whole_number

PAGE_SIZE = 50
LIVE_BATCH = 50
KEEPALIVE_SECONDS = 10.0


class ReadAllForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    through: int = Field(ge=0, le=MAX_ID, title="The newest alert shown")


def _user_id(request: web.Request) -> int:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    return session.user.id


def alert_row(alert: InboxAlert) -> dict[str, Any]:
    """One alert as the page, the JSON twin and the live toasts show it."""
    return {"id": alert.id, "kind": alert.kind, "kind_label": alert.kind_label, "raised_at": alert.raised_at,
            "title": alert.title, "body": alert.body, "link": panel_link(alert), "username": alert.username,
            "quiet": alert.quiet, "read": alert.read}  # fmt: skip


@requires(Permission.VIEW_STATS)
async def alerts(request: web.Request) -> web.StreamResponse:
    user_id = _user_id(request)
    before = whole_number(request.query.get("before"), "before", minimum=1, maximum=MAX_ID)
    unread_only = request.query.get("unread") == "1"
    async with request.app[db_key].read() as conn:
        found = await alert_inbox.list_for_user(
            conn, user_id, before_id=before, limit=PAGE_SIZE + 1, unread_only=unread_only
        )
        newest = await alert_inbox.latest_id(conn)
        choices = await alert_inbox.get_preferences(conn, user_id)
    rows = [alert_row(alert) for alert in found[:PAGE_SIZE]]
    extra = {"unread": "1"} if unread_only else {}
    older = (
        str(request.rel_url.with_query({**extra, "before": str(rows[-1]["id"])}))
        if len(found) > PAGE_SIZE
        else None
    )
    hidden = [alert_inbox.ALERT_KINDS[kind] for (channel, kind), wanted in choices.items()
              if channel == "panel" and not wanted]  # fmt: skip
    context = {"rows": rows, "older_url": older, "unread_only": unread_only, "before": before,
               "through": newest, "hidden_kinds": hidden, "active": "alerts"}  # fmt: skip
    return await respond(request, "alerts/index.html", context, page_json.alerts)


def _back(request: web.Request) -> web.HTTPSeeOther:
    """Back to the list the button was pressed on (only the notification centre's own pages)."""
    origin = f"{request.scheme}://{request.host}"
    target = request.headers.get("Referer", "").removeprefix(origin)
    return web.HTTPSeeOther(target if target == "/alerts" or target.startswith("/alerts?") else "/alerts")


@requires(Permission.VIEW_STATS)
async def alert_read(request: web.Request) -> web.StreamResponse:
    alert_id = route_id(request, "alert_id")
    async with request.app[db_key].transaction() as conn:
        if not await alert_inbox.alert_exists(conn, alert_id):
            raise NotFound(f"There is no alert {alert_id}.")
        await alert_inbox.mark_read(conn, _user_id(request), alert_id)
    raise _back(request)


@requires(Permission.VIEW_STATS)
async def alerts_read_all(request: web.Request) -> web.StreamResponse:
    try:
        form = await parse_form(request, ReadAllForm)
    except InvalidInput as exc:
        raise InvalidInput(
            "Mark all read needs the newest alert the page showed.", details=exc.details
        ) from None
    async with request.app[db_key].transaction() as conn:
        marked = await alert_inbox.mark_all_read(conn, _user_id(request), through_id=form.through)
    await sessions.flash(request, f"{marked} alert(s) marked read." if marked else "Nothing was unread.")
    raise _back(request)


def _sse(alert: InboxAlert) -> bytes:
    row = alert_row(alert)
    row["raised_at"] = iso(alert.raised_at)
    data = json.dumps(row, separators=(",", ":"))
    return f"id: {alert.id}\nevent: alert\ndata: {data}\n\n".encode()


@requires(Permission.VIEW_STATS)
async def alerts_live(request: web.Request) -> web.StreamResponse:
    """Server-sent events: each alert newer than `after` (or Last-Event-ID) for this user, as raised."""
    user_id = _user_id(request)
    raw = request.headers.get("Last-Event-ID") or request.query.get("after")
    after = whole_number(raw, "after", minimum=0, maximum=MAX_ID)
    db, hub = request.app[db_key], request.app[events_hub_key]
    if after is None:
        async with db.read() as conn:
            after = await alert_inbox.latest_id(conn)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    try:
        await response.write(b"retry: 3000\n\n")
        while not hub.closed and request.transport is not None and not request.transport.is_closing():
            mark = hub.mark()  # before the read: an alert committed after it still wakes this feed
            async with db.read() as conn:
                found = await alert_inbox.new_for_user(conn, user_id, after_id=after, limit=LIVE_BATCH)
            for alert in found:
                await response.write(_sse(alert))
                after = alert.id
            if len(found) < LIVE_BATCH and not await hub.wait(KEEPALIVE_SECONDS, since=mark):
                await response.write(b": keepalive\n\n")
    except ConnectionResetError:
        pass  # the page was left or closed
    return response
