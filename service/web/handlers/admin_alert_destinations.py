"""Admin › Alert destinations: webhooks (generic, Discord, ntfy) and e-mail recipients that alerts are
delivered to, each with the alert kinds it takes, a "send test" button and its delivery health.

URLs and signing secrets are write-only: the page shows the host and "set", an edit that leaves them
empty keeps them, and every change refreshes the log masker.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.alert_rules import KIND_LABELS, Kind
from service.clock import now_db
from service.errors import InvalidInput, NotFound
from service.jobs.alert_delivery import refresh_secrets, send_test
from service.permissions import Permission
from service.settings import EMAIL_ADDRESS
from service.store import alert_destinations
from service.store.alert_destinations import Destination
from service.web import sessions
from service.web.access import requires
from service.web.forms import parse_form
from service.web.keys import alert_delivery_key, config_key, db_key, http_key, secrets_key
from service.web.query_params import route_id
from service.web.render import render

log = logging.getLogger(__name__)

DESTINATION_KINDS: dict[str, str] = {
    "webhook": "Webhook (JSON)", "discord": "Discord webhook", "ntfy": "ntfy topic",
    "email": "E-mail",
}  # fmt: skip
MAX_URL_LENGTH = 2000

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class DestinationForm(BaseModel):
    """Create (kind given) or edit (kind absent); an empty target or secret on an edit keeps it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    kind: Literal["webhook", "discord", "ntfy", "email"] | None = Field(default=None, title="Kind")
    name: Text = Field(min_length=1, max_length=100, title="Name")
    target: Text = Field(default="", max_length=MAX_URL_LENGTH, title="URL or address")
    signing_secret: Text = Field(default="", max_length=256, title="Signing secret")
    clear_secret: Literal["1"] | None = None
    kinds: list[Kind] = Field(default_factory=list, title="Alert kinds")
    enabled: Literal["1"] | None = None


def _refused(sentence: str) -> InvalidInput:
    return InvalidInput("The form has errors", details=[sentence])


def _check_target(kind: str, target: str) -> str:
    """The target to store, or InvalidInput with a sentence."""
    if kind == "email":
        if not EMAIL_ADDRESS.match(target):
            raise _refused("Give one e-mail address, e.g. me@example.org.")
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in target):
        raise _refused("The URL must start with http:// or https:// and name a host, without spaces.")
    return target


def _check_secret(secret: str) -> str:
    if secret and (not secret.isascii() or not secret.isprintable() or " " in secret):
        raise _refused("The signing secret must be printable characters without spaces.")
    return secret


async def _page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    editing: Destination | None = None,
) -> web.Response:
    async with request.app[db_key].read() as conn:
        destinations = await alert_destinations.list_destinations(conn)
        health = await alert_destinations.health(conn)
        given_up = await alert_destinations.recent_given_up(conn)
    names = {d.id: d.name for d in destinations}
    context: dict[str, Any] = {
        "active": "admin", "admin_section": "alert_destinations", "destinations": destinations,
        "health": health, "given_up": given_up, "destination_names": names, "errors": errors or [],
        "editing": editing, "alert_kinds": KIND_LABELS, "destination_kinds": DESTINATION_KINDS,
        "delivering": request.app[alert_delivery_key].running,
    }  # fmt: skip
    return await render(request, "admin/alert_destinations.html", context, status=status)


async def _destination(request: web.Request) -> Destination:
    async with request.app[db_key].read() as conn:
        destination = await alert_destinations.get_destination(conn, route_id(request, "destination_id"))
    if destination is None:
        raise NotFound("No such alert destination.")
    return destination


async def _done(request: web.Request, message: str) -> web.StreamResponse:
    await sessions.flash(request, message)
    raise web.HTTPSeeOther(request.app.router["admin_alert_destinations"].url_for())


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destinations(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destination_create(request: web.Request) -> web.StreamResponse:
    try:
        form = await parse_form(request, DestinationForm, lists=("kinds",))
        if form.kind is None:
            raise _refused("Choose a kind of destination.")
        if not form.target:
            raise _refused("Give the URL or address to send to.")
        target = _check_target(form.kind, form.target)
        secret = _check_secret(form.signing_secret) if form.kind == "webhook" else ""
    except InvalidInput as exc:
        return await _page(request, errors=exc.details, status=400)
    async with request.app[db_key].transaction() as conn:
        await alert_destinations.insert_destination(
            conn, kind=form.kind, name=form.name, target=target, signing_secret=secret or None,
            kinds=list(form.kinds), enabled=form.enabled is not None, at=now_db(),
        )  # fmt: skip
    await refresh_secrets(request.app[db_key], request.app[secrets_key])
    log.info("alert destination %r (%s) created", form.name, form.kind)
    return await _done(request, f"Destination “{form.name}” added.")


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destination(request: web.Request) -> web.StreamResponse:
    return await _page(request, editing=await _destination(request))


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destination_save(request: web.Request) -> web.StreamResponse:
    destination = await _destination(request)
    try:
        form = await parse_form(request, DestinationForm, lists=("kinds",))
        if form.kind is not None and form.kind != destination.kind:
            raise _refused("A destination’s kind cannot change; add a new one.")
        target = _check_target(destination.kind, form.target) if form.target else destination.target
        secret = destination.signing_secret
        if destination.kind == "webhook" and form.clear_secret:
            secret = None
        elif destination.kind == "webhook" and form.signing_secret:
            secret = _check_secret(form.signing_secret)
    except InvalidInput as exc:
        return await _page(request, errors=exc.details, status=400, editing=destination)
    async with request.app[db_key].transaction() as conn:
        await alert_destinations.update_destination(
            conn, destination.id, name=form.name, target=target, signing_secret=secret,
            kinds=list(form.kinds), enabled=form.enabled is not None,
        )  # fmt: skip
    await refresh_secrets(request.app[db_key], request.app[secrets_key])
    request.app[alert_delivery_key].wake()
    log.info("alert destination %d saved", destination.id)
    return await _done(request, f"Destination “{form.name}” saved.")


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destination_delete(request: web.Request) -> web.StreamResponse:
    destination = await _destination(request)
    async with request.app[db_key].transaction() as conn:
        await alert_destinations.delete_destination(conn, destination.id)
    await refresh_secrets(request.app[db_key], request.app[secrets_key])
    log.info("alert destination %d deleted", destination.id)
    return await _done(request, f"Destination “{destination.name}” deleted, with its pending deliveries.")


@requires(Permission.MANAGE_JOBS)
async def admin_alert_destination_test(request: web.Request) -> web.StreamResponse:
    destination = await _destination(request)
    app = request.app
    _ok, sentence = await send_test(app[http_key], destination, app[config_key].current,
                                    app[alert_delivery_key].options)  # fmt: skip
    return await _done(request, sentence)
