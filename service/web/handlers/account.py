"""A signed-in user's own account: changing their password, their personal API keys, and which alerts
they receive in the panel and on the desktop."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.errors import InvalidInput, NotFound
from service.security import hash_token, password_problem
from service.store import alert_inbox, system_users, web_sessions
from service.store import api_keys as key_store
from service.web import api_keys, sessions
from service.web.access import Access, requires
from service.web.forms import parse_form
from service.web.keys import db_key, passwords_key
from service.web.query_params import route_id
from service.web.render import render


class PasswordChangeForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(max_length=1024)
    new_password_again: str = Field(max_length=1024)


class ApiKeyForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=key_store.MAX_NAME_LENGTH)


class AlertPreferencesForm(BaseModel):
    """The checked kinds per channel; an unchecked kind is not wanted there."""

    model_config = ConfigDict(extra="forbid")
    panel: list[str] = Field(title="In the panel")
    desktop: list[str] = Field(title="On the desktop")

    @field_validator("panel", "desktop")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = sorted(set(kinds) - set(alert_inbox.ALERT_KINDS))
        if unknown:
            raise ValueError(f"unknown alert kind {', '.join(unknown)}")
        return kinds


async def _account_page(
    request: web.Request, *, status: int = 200, errors: list[str] | None = None, **extra: object
) -> web.Response:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    async with request.app[db_key].read() as conn:
        keys = await key_store.list_keys(conn, session.user.id)
        choices = await alert_inbox.get_preferences(conn, session.user.id)
    context = {"errors": errors or [], "changed": False, "keys": keys, "key_errors": [], "new_key": None,
               "alert_kinds": alert_inbox.ALERT_KINDS, "alert_choices": choices,
               "alert_errors": []}  # fmt: skip
    context.update(extra)
    return await render(request, "account/index.html", context, status=status)


@requires(Access.AUTHENTICATED)
async def account(request: web.Request) -> web.StreamResponse:
    return await _account_page(request, changed=request.query.get("changed") == "1")


@requires(Access.AUTHENTICATED)
async def account_password(request: web.Request) -> web.StreamResponse:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    try:
        form = await parse_form(request, PasswordChangeForm)
        problems = []
        if (problem := password_problem(form.new_password)) is not None:
            problems.append(f"New password: {problem}.")
        if form.new_password != form.new_password_again:
            problems.append("The two new passwords differ.")
        async with request.app[db_key].read() as conn:
            credentials = await system_users.get_credentials(conn, session.user.username)
        passwords = request.app[passwords_key]
        if credentials is None or not passwords.verify(credentials.password_hash, form.current_password):
            problems.append("That is not your current password.")
        if problems:
            raise InvalidInput("The form has errors", details=problems)
    except InvalidInput as exc:
        return await _account_page(request, errors=exc.details, status=400)
    async with request.app[db_key].transaction() as conn:
        await system_users.set_password_hash(conn, session.user.id, passwords.hash(form.new_password))
        # Other devices signed in with the old password are signed out.
        await web_sessions.delete_user_sessions(conn, session.user.id)
    response = web.HTTPSeeOther(request.app.router["account"].url_for().with_query(changed="1"))
    await sessions.start(request, response, session.user.id)
    raise response


@requires(Access.AUTHENTICATED)
async def account_api_key_create(request: web.Request) -> web.StreamResponse:
    """Make a key and show it on this response only: the service keeps just its hash."""
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    try:
        form = await parse_form(request, ApiKeyForm)
    except InvalidInput as exc:
        return await _account_page(request, key_errors=exc.details, status=400)
    key = api_keys.new_key()
    async with request.app[db_key].transaction() as conn:
        await key_store.insert_key(conn, user_id=session.user.id, name=form.name, token_hash=hash_token(key))
    return await _account_page(request, new_key={"name": form.name, "key": key})


@requires(Access.AUTHENTICATED)
async def account_api_key_revoke(request: web.Request) -> web.StreamResponse:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    key_id = route_id(request, "key_id")
    async with request.app[db_key].transaction() as conn:
        revoked = await key_store.revoke_key(conn, key_id=key_id, user_id=session.user.id)
    if not revoked:
        raise NotFound(f"You have no working API key {key_id}.")
    await sessions.flash(request, "API key revoked: scripts using it are refused from now on.")
    raise web.HTTPSeeOther(request.app.router["account"].url_for())


@requires(Access.AUTHENTICATED)
async def account_alert_preferences(request: web.Request) -> web.StreamResponse:
    """Every kind on each channel is stored: checked = wanted, unchecked = not wanted."""
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    try:
        form = await parse_form(request, AlertPreferencesForm, lists=("panel", "desktop"))
    except InvalidInput as exc:
        return await _account_page(request, alert_errors=exc.details, status=400)
    chosen = {"panel": set(form.panel), "desktop": set(form.desktop)}
    wanted = {
        (channel, kind): kind in chosen[channel] for channel in chosen for kind in alert_inbox.ALERT_KINDS
    }
    async with request.app[db_key].transaction() as conn:
        await alert_inbox.set_preferences(conn, session.user.id, wanted)
    await sessions.flash(request, "Alert choices saved.")
    raise web.HTTPSeeOther(request.app.router["account"].url_for().with_fragment("alert-preferences"))
