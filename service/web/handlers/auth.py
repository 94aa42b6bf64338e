"""Login, logout and the first-run setup of the owner's admin account."""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator
from yarl import URL

from service.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from service.security import hash_token, password_problem
from service.store import system_users, web_sessions
from service.usernames import ACCOUNT_NAME_HINT, ACCOUNT_NAME_PATTERN
from service.web import sessions
from service.web.access import Access, requires
from service.web.forms import parse_form
from service.web.keys import db_key, login_limiter_key, passwords_key
from service.web.render import render

log = logging.getLogger(__name__)


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    next: str = ""


class SetupForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)
    username: str = Field(
        pattern=ACCOUNT_NAME_PATTERN,
        description=ACCOUNT_NAME_HINT,
    )
    password: str
    password_again: str

    @field_validator("password")
    @classmethod
    def _strong_enough(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value


# Browsers (and yarl, which builds our Location header) silently drop these inside a URL, so
# "/<TAB>/evil.example" would be read as "//evil.example": remove them before judging the target.
_URL_IGNORED = str.maketrans("", "", "\t\n\r")
# Leading/trailing C0 controls and spaces are stripped by the URL parsers too.
_URL_STRIPPED = "".join(chr(code) for code in range(0x21))


def safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would let a link bounce users to another site.

    The target is normalised the way the URL parser will read it, then judged, and the normalised
    form is what we redirect to, so the check and the redirect see the same URL.
    """
    cleaned = target.translate(_URL_IGNORED).strip(_URL_STRIPPED)
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return "/"
    try:
        parsed = URL(cleaned)
    except ValueError:
        return "/"
    normalised = str(parsed)
    if (
        parsed.scheme
        or parsed.host is not None
        or not normalised.startswith("/")
        or normalised.startswith("//")
    ):
        return "/"
    return normalised


@requires(Access.PUBLIC)
async def login(request: web.Request) -> web.StreamResponse:
    if sessions.current(request):
        raise web.HTTPSeeOther(safe_next(request.query.get("next", "/")))
    notice = SETUP_DONE if request.query.get("setup") == "complete" else None
    context = {"next": request.query.get("next", ""), "error": None, "notice": notice}
    return await render(request, "auth/login.html", context)


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


@requires(Access.PUBLIC)
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await parse_form(request, LoginForm)
    limiter = request.app[login_limiter_key]
    account_key = form.username.lower()
    wait = limiter.retry_after(account_key)
    if wait:
        raise TooManyRequests(
            f"Too many failed sign-ins for this account. Wait {_wait_text(wait)} and try again."
        )
    limiter.record_attempt(account_key)
    async with request.app[db_key].read() as conn:
        credentials = await system_users.get_credentials(conn, form.username)
    passwords = request.app[passwords_key]
    ok = passwords.verify(credentials.password_hash if credentials else None, form.password)
    if not ok or credentials is None or credentials.disabled:
        log.info("failed sign-in for %r from %s", form.username, request.remote)
        context = {"next": form.next, "error": "Wrong username or password, or the account is disabled."}
        return await render(request, "auth/login.html", context, status=401)
    limiter.clear(account_key)
    response = web.HTTPSeeOther(safe_next(form.next or "/"))
    async with request.app[db_key].transaction() as conn:
        await system_users.record_login(conn, credentials.user_id)
        if passwords.needs_rehash(credentials.password_hash):
            await system_users.set_password_hash(conn, credentials.user_id, passwords.hash(form.password))
    await sessions.start(request, response, credentials.user_id)
    raise response


@requires(Access.AUTHENTICATED)
async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther(request.app.router["login"].url_for())
    await sessions.end(request, response)
    raise response


SETUP_DONE = "Setup is already complete: the panel has an account. Sign in with it."


async def _require_setup_open(request: web.Request, token: str) -> None:
    async with request.app[db_key].read() as conn:
        if await system_users.count_users(conn) > 0:
            raise NotFound("Setup is complete: an account already exists. Sign in instead.")
        if not token or not await web_sessions.setup_token_valid(conn, hash_token(token)):
            raise Forbidden(
                "This setup link is invalid or has expired. Restart the service to print a new one, "
                "or create an account with 'mhc user add NAME --role admin --password-stdin'."
            )


@requires(Access.PUBLIC)
async def setup(request: web.Request) -> web.StreamResponse:
    token = request.query.get("token", "")
    async with request.app[db_key].read() as conn:
        done = await system_users.count_users(conn) > 0
    if done:
        # An old setup link (a bookmark, the terminal's scrollback) leads to where the account is used.
        raise web.HTTPSeeOther("/" if sessions.current(request) else "/login?setup=complete")
    await _require_setup_open(request, token)
    return await render(request, "auth/setup.html", {"token": token, "errors": [], "username": ""})


@requires(Access.PUBLIC)
async def setup_submit(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    token = str(posted.get("token", ""))
    await _require_setup_open(request, token)
    try:
        form = await parse_form(request, SetupForm)
        if form.password != form.password_again:
            raise InvalidInput("The form has errors", details=["The two passwords differ."])
    except InvalidInput as exc:
        context = {"token": token, "errors": exc.details, "username": str(posted.get("username", ""))}
        return await render(request, "auth/setup.html", context, status=400)
    password_hash = request.app[passwords_key].hash(form.password)
    async with request.app[db_key].transaction() as conn:
        # Re-checked inside the write transaction: two tabs racing with one link get one account.
        if await system_users.count_users(conn) > 0 or not await web_sessions.use_setup_token(
            conn, hash_token(form.token)
        ):
            raise Forbidden("This setup link was already used.")
        user_id = await system_users.insert_user(
            conn, username=form.username, password_hash=password_hash, roles=["admin"]
        )
    log.info("first admin account %r created through the setup link", form.username)
    response = web.HTTPSeeOther("/")
    await sessions.start(request, response, user_id)
    raise response
