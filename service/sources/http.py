"""Shared request machinery for the clients: retries, pacing, redaction, and the one error path.

Every upstream answer that is not a success becomes an exception through `status_error()`, whose
message carries a body snippet masked by `service.redaction`: the REST clients reach it through
`request_json()`, the Events long-poll and the image downloads call it directly. So every
upstream gets the same mapping and the same guarantee that no token reaches a message or a log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from service.redaction import MASK, mask
from service.sources.base import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceResponseError,
    SourceTimeoutError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Query parameters whose values are credentials wherever they appear (the Stats API takes
# `token` in the query string).
SECRET_PARAMS = frozenset({"token", "api_key", "apikey", "key", "access_token", "password", "secret"})
# Enough of an error body to diagnose a failure without flooding logs and job records.
_BODY_SNIPPET = 200
# How much of an error body is searched for secrets before the snippet is taken.
_MASKED_BODY = 64 * 1024

QueryParams = Mapping[str, str | int] | Sequence[tuple[str, str | int]]


class SourceUnavailableError(SourceConnectionError):
    """The upstream kept answering 5xx after the retries; `status` is the last one seen."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ServerErrorType(Protocol):
    """How a client names a 5xx: retried here by `request_json()`, by its caller for the Events API."""

    def __call__(self, message: str, *, status: int, retry_after: float | None) -> SourceError: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry 429/5xx/timeouts/connection errors."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays cannot be negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            # The server said how long; obey it, but never stall a job beyond our cap.
            return min(max(retry_after, 0.0), self.max_delay)
        # Exponent capped so a huge attempt count cannot overflow the float.
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 60))
        # Full jitter (AWS architecture blog): spreads retries of concurrent clients. Not crypto.
        return random.uniform(0.0, ceiling)  # noqa: S311


# One attempt, no retries: a connection test answers at once.
ONCE = RetryPolicy(max_attempts=1)


class RateLimiter:
    """Spaces request *starts* at least `min_interval` seconds apart, across concurrent callers."""

    def __init__(self, min_interval: float = 1.0) -> None:
        if min_interval < 0:
            raise ValueError("min_interval cannot be negative")
        self.min_interval = min_interval
        self._next_start = -math.inf
        # FIFO: concurrent callers queue in arrival order, one slot each.
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the caller may start its request."""
        async with self._lock:
            delay = self._next_start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # Measured after waking, not from the planned slot: a late wake-up (busy loop) must
            # not let the next caller start early. A cancelled waiter leaves the slot unused.
            self._next_start = time.monotonic() + self.min_interval


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """The URL with secret query values, userinfo and any known secret (e.g. in the path) masked."""
    parts = urlsplit(str(url))
    query = urlencode(
        [
            (key, MASK if key.lower() in SECRET_PARAMS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*[]",
    )
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    return mask(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), secrets)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date); None when absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def to_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken to be UTC already (callers say why)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def validation_summary(error: ValidationError) -> str:
    """`loc: msg` pairs without the offending input, which could echo anything (URLs, tokens)."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)[:5]
    ]
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def validate_as(adapter: TypeAdapter[T], data: Any, *, source: str, what: str, context: Any = None) -> T:
    """Validate parsed JSON into a model, turning pydantic's error into SourceResponseError."""
    try:
        return adapter.validate_python(data, context=context)
    except ValidationError as exc:
        raise SourceResponseError(f"{source}: unexpected {what} shape: {validation_summary(exc)}") from None


@dataclass
class _Failure:
    """A retryable failure of one attempt, ready to raise if it was the last."""

    error: SourceError
    retry_after: float | None = None


def body_snippet(response: httpx.Response, secrets: Sequence[str], body: bytes | None = None) -> str:
    """The start of a response body on one line, every known secret masked.

    `body` is what was read of a streamed response; otherwise the response must have been read.
    """
    content = response.content if body is None else body
    # Masked before it is cut: a cut through an echoed token would leave its start unmasked.
    text = mask(content[:_MASKED_BODY].decode("utf-8", "replace"), secrets)
    text = " ".join(text.split())
    if len(text) > _BODY_SNIPPET:
        text = text[:_BODY_SNIPPET] + "…"
    return text or "<empty body>"


def status_error(
    response: httpx.Response,
    where: str,
    secrets: Sequence[str],
    *,
    server_error: ServerErrorType = SourceUnavailableError,
    body: bytes | None = None,
) -> SourceError:
    """The exception for a non-2xx answer, the same for every upstream.

    401/403 SourceAuthError, 404 SourceNotFoundError, 429 SourceRateLimitedError, 5xx
    `server_error`, any other status SourceResponseError; `where` names the request (its URL
    already redacted) and `secrets` are masked in the body snippet.
    """
    status = response.status_code
    message = f"{where}: HTTP {status}: {body_snippet(response, secrets, body)}"
    # 503s may carry Retry-After too (RFC 9110 §10.2.3), so it is read for every retryable status.
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        return SourceRateLimitedError(message, retry_after=retry_after)
    if status >= 500:
        return server_error(message, status=status, retry_after=retry_after)
    if status in (401, 403):
        return SourceAuthError(message, status=status)
    if status == 404:
        return SourceNotFoundError(message, status=status)
    return SourceResponseError(message, status=status)


async def _attempt(http: httpx.AsyncClient, request: httpx.Request, where: str) -> httpx.Response | _Failure:
    try:
        return await http.send(request)
    except httpx.TimeoutException as exc:
        return _Failure(SourceTimeoutError(f"{where} timed out ({type(exc).__name__})"))
    except httpx.TransportError as exc:
        # Only the class name: httpx messages are safe today, but we don't vouch for the future.
        return _Failure(SourceConnectionError(f"{where} failed to connect ({type(exc).__name__})"))
    except httpx.HTTPError as exc:
        # Not worth retrying: redirect loops, undecodable content encoding and the like.
        raise SourceResponseError(f"{where} failed ({type(exc).__name__})") from None


async def request_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    source: str,
    retry: RetryPolicy,
    limiter: RateLimiter | None = None,
    params: QueryParams | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    secrets: Sequence[str] = (),
    parse: Callable[[bytes], Any] = json.loads,
    request_timeout: float | None = None,
) -> Any:
    """Send one request with retries and pacing; return `parse(body)` of the 2xx answer.

    Raises the base.py exceptions: 401/403 SourceAuthError, 404 SourceNotFoundError, other 4xx
    SourceResponseError (not retried); 429 SourceRateLimitedError and 5xx SourceUnavailableError
    once `retry.max_attempts` are used up; timeouts/transport SourceConnectionError; a body that
    `parse` rejects (ValueError, which includes JSON and pydantic errors) SourceResponseError.
    `secrets` are masked in every message besides the standard secret query parameters. `request_timeout`
    (seconds) replaces the client's own for this request.
    """
    request = http.build_request(
        method, url, params=_query(params), json=json_body, headers=headers,
        timeout=httpx.USE_CLIENT_DEFAULT if request_timeout is None else request_timeout,
    )  # fmt: skip
    where = f"{source}: {method} {redact_url(request.url, secrets)}"
    failure: _Failure | None = None
    for attempt in range(1, retry.max_attempts + 1):
        if failure is not None:
            pause = retry.delay(attempt - 1, failure.retry_after)
            logger.warning("%s; attempt %d/%d in %.2fs", failure.error, attempt, retry.max_attempts, pause)
            await asyncio.sleep(pause)
        if limiter is not None:
            await limiter.wait()
        outcome = await _attempt(http, request, where)
        if isinstance(outcome, _Failure):
            failure = outcome
            continue
        if not outcome.is_success:
            error = status_error(outcome, where, secrets)
            if not isinstance(error, SourceRateLimitedError | SourceUnavailableError):
                raise error
            failure = _Failure(error, error.retry_after)
            continue
        return _parse_body(outcome, parse, where)
    assert failure is not None  # the loop runs at least once and only falls through on failure
    raise failure.error


def _query(params: QueryParams | None) -> httpx.QueryParams | None:
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    return httpx.QueryParams([(key, str(value)) for key, value in items])


def _parse_body(response: httpx.Response, parse: Callable[[bytes], Any], where: str) -> Any:
    try:
        return parse(response.content)
    except ValidationError as exc:
        raise SourceResponseError(
            f"{where} returned an unusable body: {validation_summary(exc)}", status=response.status_code
        ) from None
    except ValueError as exc:
        # JSONDecodeError's message is a position ("Expecting value: line 1 column 1"), no data.
        raise SourceResponseError(
            f"{where} returned malformed JSON: {exc}", status=response.status_code
        ) from None


def check_names(names: Sequence[str], *, limit: int, what: str) -> list[str]:
    """Validate a batch of usernames: a real list (not one str), non-empty names, at most `limit`."""
    if isinstance(names, str):
        raise TypeError(f"{what}: pass a sequence of names, not one string")
    cleaned = [n.strip() for n in names]
    if any(not n for n in cleaned):
        raise ValueError(f"{what}: empty username in batch")
    if len(cleaned) > limit:
        raise ValueError(f"{what}: at most {limit} names per request, got {len(cleaned)}")
    return cleaned
