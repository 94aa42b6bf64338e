"""Personal API keys on requests: `Authorization: Bearer <key>` reads the JSON pages as the key's owner.

A key is read-only by construction: it is refused (403) on any method but GET/HEAD and on any
route that is not JSON, before a handler runs, so it can never change state, never reach a form
and never be handed a cookie (the JSON responses set none). Cookie sessions, with their CSRF and
Origin rules, are untouched; a request that carries a key is judged by the key alone.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from service.clock import utcnow
from service.errors import Forbidden, NotAuthenticated
from service.models import WebSession
from service.security import hash_token, new_token
from service.store import api_keys
from service.web.json_view import wants_json
from service.web.keys import db_key

# Keys start with this, so a leaked one is recognisable in a log or a scanner's report.
KEY_PREFIX = "mhc_"
READ_METHODS = frozenset({"GET", "HEAD"})
# Last use is shown to the minute; a script polling every second must not write every time.
TOUCH_EVERY = timedelta(seconds=60)


def new_key() -> str:
    return KEY_PREFIX + new_token()


def presented(request: web.Request) -> str | None:
    """The key a request presents, or None when it carries no bearer credential."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip()


async def authenticate(request: web.Request, key: str) -> WebSession:
    """The key owner's identity for this one request, or a 401/403 saying why not."""
    if request.method not in READ_METHODS:
        raise Forbidden("API keys are read-only: they never change anything.")
    if not wants_json(request):
        raise Forbidden("API keys only read the JSON pages (…/<page>.json and /api/).")
    db = request.app[db_key]
    async with db.read() as conn:
        owner = await api_keys.key_owner(conn, hash_token(key)) if key else None
    if owner is None:
        raise NotAuthenticated("Unknown or revoked API key.")
    if owner.last_used_at is None or utcnow() - owner.last_used_at > TOUCH_EVERY:
        async with db.transaction() as conn:
            await api_keys.touch_key(conn, owner.key_id)
    # No form is ever served to a key, so there is no CSRF token; the identity lasts one request.
    return WebSession(user=owner.user, csrf_token="", expires_at=utcnow(), flash=None)
