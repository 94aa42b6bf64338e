"""Request guards, outermost first: errors → foreign Host → session and permission → CSRF/Origin."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from service import __version__
from service.errors import Forbidden, NotAuthenticated, ServiceError
from service.security import same
from service.settings import LOOPBACK_HOSTS
from service.web import access, api_keys, sessions
from service.web.forms import CSRF_FIELD, readable_errors
from service.web.host_header import HostHeader, parse_host, request_host
from service.web.json_view import wants_json
from service.web.keys import settings_key
from service.web.render import render_error_page

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
# The extension API authenticates with bearer tokens, not cookies, so CSRF does not apply there.
EXTENSION_API_PREFIX = "/api/ext/"


def error_response(
    request: web.Request, status: int, title: str, message: str, details: list[str] | None = None
) -> web.Response:
    if wants_json(request):
        body: dict[str, object] = {"ok": False, "error": message}
        if details:
            body["details"] = details
        return web.json_response(body, status=status)
    return render_error_page(request, status, title, message, details or [])


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        return error_response(request, exc.status, exc.reason, message or exc.reason)
    except ServiceError as exc:
        return error_response(request, exc.status, exc.title, exc.message, exc.details)
    except ValidationError as exc:
        return error_response(request, 400, "Invalid input", "The request has errors", readable_errors(exc))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            request, 500, "Something went wrong", "The service hit an error; it is in the service log."
        )


@web.middleware
async def host_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse foreign Host headers: a DNS-rebinding page would otherwise reach us as same-origin."""
    allowed = set(LOOPBACK_HOSTS) | set(request.app[settings_key].allowed_hosts)
    host = request_host(request)
    if host is None or host.name not in allowed:
        raise Forbidden(f"This service only answers requests addressed to {', '.join(sorted(allowed))}.")
    return await handler(request)


def _requirement(request: web.Request) -> access.Requirement | None:
    route = request.match_info.route
    if isinstance(route.resource, web.StaticResource):
        return access.Access.PUBLIC
    return access.declared(request.match_info.handler)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is not None:  # no such route: let it answer 404/405
        return await handler(request)
    requirement = _requirement(request)
    if requirement is None:
        log.error("route %s declares no permission; refusing it", request.path)
        raise Forbidden("This page declares no permission, so it is closed.")
    if requirement is access.Access.EXTENSION:  # ext_guard (earlier in the chain) checked the token
        return await handler(request)
    if isinstance(request.match_info.route.resource, web.StaticResource):
        return await handler(request)  # no session lookup for CSS and scripts
    # A personal API key speaks for its owner on read-only JSON routes; the extension's own
    # bearer tokens live under /api/ext/ and were checked by ext_guard.
    key = None if request.path.startswith(EXTENSION_API_PREFIX) else api_keys.presented(request)
    session = await api_keys.authenticate(request, key) if key is not None else await sessions.load(request)
    request[sessions.session_key] = session
    if requirement is access.Access.PUBLIC:
        return await handler(request)
    if session is None:
        if wants_json(request) or request.method not in SAFE_METHODS:
            raise NotAuthenticated("Sign in first.")
        location = request.app.router["login"].url_for().with_query(next=request.path_qs)
        raise web.HTTPSeeOther(location)
    if requirement is not access.Access.AUTHENTICATED and requirement not in session.user.permissions:
        raise Forbidden(f"Your role does not include the '{requirement.value}' permission.")
    return await handler(request)


def _sent_origin(request: web.Request) -> tuple[str, HostHeader | None] | None:
    """(scheme, host) of the page that sent this request: its Origin header, else its Referer."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return None
    parts = urlsplit(origin)
    return parts.scheme.lower(), parse_host(parts.netloc)


def _same_origin(request: web.Request) -> bool:
    """The sender's origin is this panel as the Host header names it (never the request target's
    authority: an absolute-form `POST http://other/…` must not choose what counts as same-origin)."""
    host = request_host(request)
    scheme, origin_host = _sent_origin(request) or ("", None)
    if host is None or origin_host is None:
        return False
    return (
        scheme == request.scheme
        and origin_host.name == host.name
        and origin_host.effective_port(scheme) == host.effective_port(request.scheme)
    )


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS or request.path.startswith(EXTENSION_API_PREFIX):
        return await handler(request)
    if not _same_origin(request):
        raise Forbidden("Cross-site request refused (Origin does not match this panel).")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    session = sessions.current(request)
    expected = session.csrf_token if session else request.cookies.get(sessions.ANON_CSRF_COOKIE)
    if not sent or not expected or not same(sent, expected):
        raise Forbidden("The form's security token is missing or stale; reload the page and try again.")
    return await handler(request)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: applies to every response, redirects and errors included."""
    headers = response.headers
    headers["X-MHC-Version"] = __version__
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
