"""The panel's login cookie: a random token whose SHA-256 names a row in web_sessions."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from service.clock import utcnow
from service.models import WebSession
from service.security import hash_token, new_token
from service.store import web_sessions
from service.web.keys import db_key, settings_key

SESSION_COOKIE = "mhc_session"
ANON_CSRF_COOKIE = "mhc_csrf"
session_key: web.RequestKey[WebSession | None] = web.RequestKey("session")
# A double-submit token minted during this request, to be set as a cookie on the response.
new_anon_csrf_key: web.RequestKey[str] = web.RequestKey("new_anon_csrf")


def _cookie_options(request: web.Request) -> dict[str, object]:
    return {
        "httponly": True,
        "samesite": "Strict",
        "path": "/",
        # Loopback is plain http; a deployment behind TLS gets Secure cookies.
        "secure": request.secure,
    }


def current(request: web.Request) -> WebSession | None:
    return request.get(session_key)


def current_token_hash(request: web.Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return hash_token(token) if token else None


async def load(request: web.Request) -> WebSession | None:
    token_hash = current_token_hash(request)
    if token_hash is None:
        return None
    async with request.app[db_key].read() as conn:
        return await web_sessions.get_session(conn, token_hash)


async def start(request: web.Request, response: web.StreamResponse, user_id: int) -> None:
    """Open a fresh session (never reuse a pre-login one: that would allow session fixation)."""
    token = new_token()
    hours = request.app[settings_key].session_hours
    async with request.app[db_key].transaction() as conn:
        old = current_token_hash(request)
        if old:
            await web_sessions.delete_session(conn, old)
        await web_sessions.insert_session(
            conn,
            token_hash=hash_token(token),
            user_id=user_id,
            csrf_token=new_token(),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    response.set_cookie(SESSION_COOKIE, token, max_age=hours * 3600, **_cookie_options(request))  # type: ignore[arg-type]
    response.del_cookie(ANON_CSRF_COOKIE, path="/")


async def end(request: web.Request, response: web.StreamResponse) -> None:
    token_hash = current_token_hash(request)
    if token_hash:
        async with request.app[db_key].transaction() as conn:
            await web_sessions.delete_session(conn, token_hash)
    response.del_cookie(SESSION_COOKIE, path="/")


async def flash(request: web.Request, message: str) -> None:
    """A one-line notice shown on the next page the user sees."""
    token_hash = current_token_hash(request)
    if token_hash:
        async with request.app[db_key].transaction() as conn:
            await web_sessions.set_flash(conn, token_hash, message)


async def pop_flash(request: web.Request) -> str | None:
    session = current(request)
    token_hash = current_token_hash(request)
    if session is None or session.flash is None or token_hash is None:
        return None
    async with request.app[db_key].transaction() as conn:
        await web_sessions.set_flash(conn, token_hash, None)
    return session.flash


def anon_csrf_token(request: web.Request) -> str:
    """The double-submit token for forms shown before login (login, setup)."""
    token = request.cookies.get(ANON_CSRF_COOKIE)
    if not token:
        token = request.get(new_anon_csrf_key) or new_token()
        request[new_anon_csrf_key] = token
    return token


def remember_anon_csrf(request: web.Request, response: web.StreamResponse) -> None:
    token = request.get(new_anon_csrf_key)
    if token:
        response.set_cookie(ANON_CSRF_COOKIE, token, **_cookie_options(request))  # type: ignore[arg-type]
