"""Client for the Chaturbate Events API long-poll: one `poll(url)` per request, no loop of its own.

The consumer stores the URL it is about to poll, calls `poll()`, commits `batch.events`,
`batch.invalid` and `batch.next_url` in one transaction, and polls `next_url` next. On an error the
cursor is untouched: `is_fatal(error)` says whether to stop (token rejected, wrong room, a nextUrl
leaving the events host) or to wait `Backoff.next_delay(retry_after(error))` and poll the same URL.

The token sits in every URL, so every message, repr and log line here goes through `redact()`, and
httpx exceptions (which carry the request URL) are never chained onto ours.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from service.redaction import MASK, mask
from service.sources.base import (
    SourceAuthError,
    SourceConnectionError,
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceResponseError,
)
from service.sources.events.models import Event, InvalidEvent, parse_events
from service.sources.http import body_snippet, status_error

logger = logging.getLogger(__name__)

MAX_SERVER_TIMEOUT = 90  # the API's documented upper bound for ?timeout=
_WAITED_TOO_LONG = "waited too long"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RetryableResponseError(SourceResponseError):
    """The server answered badly, but asking the same URL again later may work: back off and retry."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class EventsServerError(RetryableResponseError):
    """A 5xx, including Cloudflare's 520 to 524."""


class MalformedResponseError(RetryableResponseError):
    """A 200 whose body is not the `{"events": [...], "nextUrl": "..."}` envelope (e.g. cut-off JSON)."""


class ForeignNextUrlError(SourceResponseError):
    """A URL outside this room's events path on the configured host: never requested, so the token
    cannot leak to another server. Fatal: the stream stops and the message says where it pointed."""


@dataclass(frozen=True)
class EventBatch:
    """The result of one poll. Commit all three fields together, then poll `next_url`."""

    events: list[Event]  # valid events, in the order the API sent them
    invalid: list[InvalidEvent]  # elements that failed validation, for quarantine
    next_url: str = field(repr=False)  # holds the token: keep it out of reprs
    timed_out: bool = False  # the 400 "waited too long for events" empty poll


def is_fatal(error: BaseException) -> bool:
    """True when retrying cannot help and the stream must stop until someone fixes the settings."""
    return isinstance(error, SourceAuthError | SourceNotFoundError | ForeignNextUrlError)


def retry_after(error: BaseException) -> float | None:
    """The server's requested wait carried by a retryable error, if any (feed it to Backoff)."""
    if isinstance(error, SourceRateLimitedError | RetryableResponseError):
        return error.retry_after
    return None


class _RedactTokens(logging.Filter):
    """Masks registered tokens, in any encoding, in records on the `httpx` logger, which logs each
    full URL at INFO."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = mask(message, self.tokens)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_HTTPX_FILTER = _RedactTokens()


def _protect_httpx_log(token: str) -> None:
    # httpx's own request log is outside our control; a filter on its logger is the one place
    # where its lines can be cleaned before any handler sees them. Tokens stay registered for the
    # life of the process, which holds them in memory anyway.
    _HTTPX_FILTER.tokens.add(token)
    httpx_logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in httpx_logger.filters:
        httpx_logger.addFilter(_HTTPX_FILTER)


class EventsClient:
    """Polls one room's Events API feed over an injected httpx client (which the caller closes)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        username: str,
        token: str,
        server_timeout: int = 30,
        *,
        read_margin: float = 15.0,
        connect_timeout: float = 10.0,
    ) -> None:
        if not username or not token:
            raise ValueError("EventsClient needs a username and a token")
        if not 0 <= server_timeout <= MAX_SERVER_TIMEOUT:
            raise ValueError(f"server_timeout must be 0..{MAX_SERVER_TIMEOUT} seconds")
        if read_margin <= 0:
            raise ValueError("read_margin must be positive: the read timeout has to outlast the server's")
        self._http = http
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._username = username
        self._token = token
        self.server_timeout = server_timeout
        self.read_margin = read_margin
        self.connect_timeout = connect_timeout
        base = httpx.URL(self._base_url)
        self._origin = _origin(base)
        self._path = [*_segments(base.path), username, token]
        _protect_httpx_log(token)

    def __repr__(self) -> str:
        return f"EventsClient(base_url={self._base_url!r}, username={self._username!r}, token='{MASK}')"

    @property
    def read_timeout(self) -> float:
        """Client read timeout for our own `?timeout=`: the server's wait plus a margin."""
        return self.server_timeout + self.read_margin

    def first_url(self) -> str:
        """Where a stream without a stored cursor starts (the API replays its recent backlog)."""
        user, token = quote(self._username, safe=""), quote(self._token, safe="")
        return f"{self._base_url}{user}/{token}/?timeout={self.server_timeout}"

    def redact(self, url: str) -> str:
        """The URL (or any text) with the token, in any encoding, masked: fit for logs, messages, pages."""
        return mask(url, (self._token,))

    def is_own_url(self, url: str) -> bool:
        """Whether `url` is this room's feed on the configured events host (scheme, host and port).

        The consumer should check a stored cursor with this before polling it: after the token or
        username changed, the old cursor is not ours any more and the stream restarts at `first_url()`.
        """
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            return False
        if parsed.userinfo or _origin(parsed) != self._origin:
            return False
        path = _segments(parsed.path)
        if len(path) != len(self._path):
            return False
        # Usernames are case-insensitive upstream; everything else must match exactly.
        user_at = len(self._path) - 2
        return all(
            got.casefold() == want.casefold() if i == user_at else got == want
            for i, (got, want) in enumerate(zip(path, self._path, strict=True))
        )

    def read_timeout_for(self, url: str) -> float:
        """Read timeout for a given URL: a stored cursor may carry a longer `?timeout=` than ours."""
        try:
            asked = int(httpx.URL(url).params.get("timeout", self.server_timeout))
        except (ValueError, httpx.InvalidURL):
            asked = self.server_timeout
        wait = min(max(asked, self.server_timeout), MAX_SERVER_TIMEOUT)
        return wait + self.read_margin

    async def poll(self, url: str) -> EventBatch:
        """GET one Events URL and return its batch; raises a SourceError subclass (see module doc)."""
        if not self.is_own_url(url):
            raise ForeignNextUrlError(f"refusing to request {self.redact(url)}: not this room's events URL")
        response = await self._get(url)
        shown = self.redact(url)
        if response.status_code == 200:
            batch = self._parse_batch(shown, response)
        elif response.status_code == 400:
            batch = self._parse_400(shown, response)
        else:
            raise status_error(response, f"GET {shown}", (self._token,), server_error=EventsServerError)
        logger.debug(
            "GET %s -> %d: %d events, %d invalid",
            shown,
            response.status_code,
            len(batch.events),
            len(batch.invalid),
        )
        return batch

    async def _get(self, url: str) -> httpx.Response:
        shown = self.redact(url)
        read = self.read_timeout_for(url)
        timeout = httpx.Timeout(read, connect=self.connect_timeout)
        try:
            # Redirects are never followed: the next hop could be any host, and the URL has the token.
            return await self._http.get(
                url, timeout=timeout, follow_redirects=False, headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException as error:
            kind = type(error).__name__
            message = f"GET {shown}: {kind} (read timeout {read:g}s)"
        except httpx.RequestError as error:
            message = f"GET {shown}: {type(error).__name__}: {self.redact(str(error))}"
        # Outside the except blocks, so the httpx error (and its request URL) is not chained.
        raise SourceConnectionError(message)

    def _parse_batch(self, shown: str, response: httpx.Response) -> EventBatch:
        body = _json_or_none(response)
        events = body.get("events") if isinstance(body, dict) else None
        next_url = body.get("nextUrl") if isinstance(body, dict) else None
        if not isinstance(events, list) or not isinstance(next_url, str):
            raise MalformedResponseError(
                f"GET {shown}: 200 without an events list and a nextUrl: "
                f"{body_snippet(response, (self._token,))}",
                status=200,
            )
        valid, invalid = parse_events(events)
        return EventBatch(valid, invalid, self._check_next_url(shown, response, next_url))

    def _parse_400(self, shown: str, response: httpx.Response) -> EventBatch:
        body = _json_or_none(response)
        if isinstance(body, dict):
            status, next_url = body.get("status"), body.get("nextUrl")
            if isinstance(status, str) and _WAITED_TOO_LONG in status.lower() and isinstance(next_url, str):
                # Not an error: the empty long-poll. TS treated it as an expired token and hot-looped.
                checked = self._check_next_url(shown, response, next_url)
                return EventBatch([], [], checked, timed_out=True)
        raise status_error(response, f"GET {shown}", (self._token,))

    def _check_next_url(self, shown: str, response: httpx.Response, next_url: str) -> str:
        try:
            resolved = str(response.request.url.join(next_url))
        except httpx.InvalidURL:
            resolved = next_url
        if not self.is_own_url(resolved):
            raise ForeignNextUrlError(
                f"GET {shown}: nextUrl {self.redact(resolved)} leaves {self._base_url}"
                f"{self._username}/{MASK}/; not following it",
                status=response.status_code,
            )
        return resolved


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]
