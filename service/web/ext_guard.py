"""Guards of the extension API (/api/ext/v1/…): origin, protocol version, body size, bearer token.

The extension API does not use the panel's cookies, so the CSRF middleware skips it; what stops
a web page from calling it instead is that web origins are refused outright, every call but ping
and pair needs a bearer token from pairing, and no CORS header is ever granted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from aiohttp.typedefs import Handler

from service.clock import utcnow
from service.errors import Forbidden, NotAuthenticated, PayloadTooLarge, ProtocolMismatch
from service.security import hash_token
from service.store import extension as ext_store
from service.web import access
from service.web.keys import db_key, settings_key

log = logging.getLogger(__name__)

EXT_PREFIX = "/api/ext/"
PROTOCOL = "1"
PROTOCOL_HEADER = "X-MHC-Protocol"
# Set on the request for handlers: the id of the paired extension that called.
CLIENT_ID = web.RequestKey("mhc_ext_client_id", int)
TOUCH_EVERY = timedelta(seconds=30)


def _check_origin(request: web.Request) -> None:
    """Browsers send Origin on the extension's fetches (chrome-extension://…); a web page's is http(s)."""
    origin = request.headers.get("Origin", "")
    if origin.lower().startswith(("http:", "https:")) or origin.lower() == "null":
        raise Forbidden("The extension API does not answer web pages.")


def _check_protocol(request: web.Request, *, required: bool) -> None:
    sent = request.headers.get(PROTOCOL_HEADER)
    if sent is None and not required:
        return
    if sent != PROTOCOL:
        raise ProtocolMismatch(
            f"This service speaks extension protocol {PROTOCOL}; the extension sent {sent or 'none'}. "
            "Update the extension or the service so both match."
        )


async def _authenticate(request: web.Request) -> int:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Pair the extension first (Authorization: Bearer token missing).")
    db = request.app[db_key]
    async with db.read() as conn:
        found = await ext_store.client_for_token(conn, hash_token(token.strip()))
    if found is None:
        raise NotAuthenticated("This extension is not paired (unknown or revoked token); pair it again.")
    client_id, last_used = found
    # "Last contact" is shown to the minute; the popup polls every few seconds, so skip most writes.
    if last_used is None or utcnow() - last_used > TOUCH_EVERY:
        async with db.transaction() as conn:
            await ext_store.touch_client(conn, client_id)
    return client_id


@web.middleware
async def ext_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route
    requirement = access.declared(request.match_info.handler)
    if not request.path.startswith(EXT_PREFIX) and requirement is not access.Access.EXTENSION:
        return await handler(request)
    if request.match_info.http_exception is not None:
        return await handler(request)
    _check_origin(request)
    token_route = requirement is access.Access.EXTENSION
    _check_protocol(request, required=token_route)
    limit = request.app[settings_key].ext_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes (MHC_EXT_MAX_BODY_BYTES).")
    # The panel keeps its 1 MiB limit; only the extension's routes may carry big list snapshots.
    request = request.clone(client_max_size=limit)
    if token_route:
        request[CLIENT_ID] = await _authenticate(request)
    elif route.name not in ("ext_ping", "ext_pair"):
        raise Forbidden("This extension route declares no access.")
    return await handler(request)
