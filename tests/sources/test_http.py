"""Shared request machinery: retries, Retry-After, pacing, redaction, error mapping."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from datetime import UTC, datetime

import httpx
import pytest

from service.sources.base import (
    SourceAuthError,
    SourceConnectionError,
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceResponseError,
)
from service.sources.events import EventsServerError
from service.sources.http import (
    RateLimiter,
    RetryPolicy,
    SourceUnavailableError,
    parse_retry_after,
    redact_url,
    request_json,
    status_error,
)
from tests.fakes import ARRIVAL_SLACK, Fault
from tests.fakes.stats import PATH, StatsFake, make_app

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
TOKEN = "s3cr3t-stats-token-000001"


async def _start(aiohttp_server, fake: StatsFake) -> str:
    server = await aiohttp_server(make_app(fake))
    return str(server.make_url(PATH))


def _params() -> dict[str, str | int]:
    return {"username": "my_room", "token": TOKEN}


def test_retry_policy_rejects_nonsense() -> None:
    """A policy that could never send a request is refused at construction."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(base_delay=-1)


def test_backoff_is_full_jitter_under_exponential_ceiling() -> None:
    """Delays stay within [0, min(max, base*2^(n-1))] and actually vary."""
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        draws = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 1


def test_retry_after_is_obeyed_but_capped() -> None:
    """A server-given wait replaces the jitter, up to max_delay."""
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    assert policy.delay(1, retry_after=12.0) == 12.0
    assert policy.delay(1, retry_after=3600.0) == 30.0


def test_parse_retry_after_seconds_and_http_date() -> None:
    """Both Retry-After forms parse; garbage and absence give None, the past gives 0."""
    now = datetime(2026, 1, 2, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Fri, 02 Jan 2026 12:00:45 GMT", now) == 45.0
    assert parse_retry_after("Fri, 02 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_redact_url_masks_secret_params_userinfo_and_known_values() -> None:
    """Token query values, credentials and path secrets are masked; the rest stays readable."""
    url = "https://user:pw@example.test/events/my_room/PATHSECRET/?token=abc123&username=my_room&offset=5"
    shown = redact_url(url, secrets=["PATHSECRET"])
    assert "abc123" not in shown
    assert "PATHSECRET" not in shown
    assert "pw" not in shown
    assert "username=my_room" in shown
    assert "offset=5" in shown
    assert "token=***" in shown


async def test_rate_limiter_spaces_starts() -> None:
    """Consecutive waits on one limiter start at least min_interval apart."""
    limiter = RateLimiter(0.05)
    starts = []
    for _ in range(4):
        await limiter.wait()
        starts.append(time.monotonic())
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(starts))


async def test_rate_limiter_spacing_seen_by_upstream(aiohttp_server, http) -> None:
    """Requests paced by a limiter arrive at the fake at least min_interval apart."""
    fake = StatsFake()
    url = await _start(aiohttp_server, fake)
    limiter = RateLimiter(0.1)
    for _ in range(3):
        await request_json(http, "GET", url, source="t", retry=FAST, limiter=limiter, params=_params())
    assert len(fake.requests) == 3
    assert min(fake.gaps()) >= 0.1 - ARRIVAL_SLACK


async def test_rate_limiter_shared_by_concurrent_callers(aiohttp_server, http) -> None:
    """Concurrent requests through one limiter are spread out, not sent as a burst."""
    fake = StatsFake()
    url = await _start(aiohttp_server, fake)
    limiter = RateLimiter(0.1)
    started = time.monotonic()
    await asyncio.gather(
        *(
            request_json(http, "GET", url, source="t", retry=FAST, limiter=limiter, params=_params())
            for _ in range(4)
        )
    )
    assert time.monotonic() - started >= 3 * 0.1
    assert len(fake.requests) == 4
    assert min(fake.gaps()) >= 0.1 - ARRIVAL_SLACK


async def test_500_then_success(aiohttp_server, http) -> None:
    """A transient 500 is retried and the second answer returned."""
    fake = StatsFake()
    fake.script(Fault.server_error(500))
    url = await _start(aiohttp_server, fake)
    body = await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert body["username"] == "my_room"
    assert len(fake.requests) == 2


async def test_429_retry_after_is_honoured(aiohttp_server, http) -> None:
    """After a 429 the retry waits Retry-After (not the tiny jitter), then succeeds."""
    fake = StatsFake()
    fake.script(Fault.rate_limited(retry_after="0.3"))
    url = await _start(aiohttp_server, fake)
    policy = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=5.0)
    body = await request_json(http, "GET", url, source="t", retry=policy, params=_params())
    assert body["token_balance"] == 1520
    assert fake.gaps()[0] >= 0.29


async def test_429_retry_after_capped_by_max_delay(aiohttp_server, http) -> None:
    """An hour-long Retry-After is cut to max_delay rather than stalling the job."""
    fake = StatsFake()
    fake.script(Fault.rate_limited(retry_after="3600"))
    url = await _start(aiohttp_server, fake)
    policy = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.2)
    started = time.monotonic()
    await request_json(http, "GET", url, source="t", retry=policy, params=_params())
    assert fake.gaps()[0] >= 0.19
    assert time.monotonic() - started < 2.0


async def test_gives_up_after_max_attempts_on_5xx(aiohttp_server, http) -> None:
    """Persistent 503s use exactly max_attempts requests, then raise with the status."""
    fake = StatsFake()
    fake.script(*[Fault.server_error(503)] * 5)
    url = await _start(aiohttp_server, fake)
    with pytest.raises(SourceUnavailableError) as caught:
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert isinstance(caught.value, SourceConnectionError)
    assert caught.value.status == 503
    assert len(fake.requests) == FAST.max_attempts


async def test_gives_up_on_persistent_429(aiohttp_server, http) -> None:
    """Persistent 429s end in SourceRateLimitedError carrying the last Retry-After."""
    fake = StatsFake()
    fake.script(*[Fault.rate_limited(retry_after="0")] * 3)
    url = await _start(aiohttp_server, fake)
    with pytest.raises(SourceRateLimitedError) as caught:
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert caught.value.retry_after == 0.0
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, SourceAuthError), (403, SourceAuthError), (404, SourceNotFoundError), (400, SourceResponseError)],
)
async def test_4xx_not_retried(aiohttp_server, http, status, error) -> None:
    """Client errors other than 429 raise their own kind after a single request."""
    fake = StatsFake()
    fake.script(Fault.answer(status, {"detail": "nope"}))
    url = await _start(aiohttp_server, fake)
    with pytest.raises(error) as caught:
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert caught.value.status == status
    assert len(fake.requests) == 1


async def test_malformed_json_is_a_response_error(aiohttp_server, http) -> None:
    """A 200 with a truncated body raises SourceResponseError without retrying."""
    fake = StatsFake()
    fake.script(Fault.malformed())
    url = await _start(aiohttp_server, fake)
    with pytest.raises(SourceResponseError, match="malformed JSON"):
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert len(fake.requests) == 1


async def test_slow_upstream_times_out_after_retries(aiohttp_server) -> None:
    """A server slower than the client timeout is retried, then reported as a connection error."""
    fake = StatsFake()
    fake.delay = 0.5
    url = await _start(aiohttp_server, fake)
    async with httpx.AsyncClient(timeout=0.05) as http:
        with pytest.raises(SourceConnectionError, match="timed out"):
            await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert len(fake.requests) == FAST.max_attempts


async def test_one_slow_answer_then_success(aiohttp_server) -> None:
    """A single slow answer costs one retry, not the request."""
    fake = StatsFake()
    fake.script(Fault.slow(0.5))
    url = await _start(aiohttp_server, fake)
    async with httpx.AsyncClient(timeout=0.1) as http:
        body = await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert body["username"] == "my_room"
    assert len(fake.requests) == 2


async def test_connection_refused_is_connection_error(http) -> None:
    """Nothing listening: retried, then SourceConnectionError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceConnectionError, match="failed to connect"):
        await request_json(http, "GET", f"http://127.0.0.1:{port}/statsapi/", source="t", retry=FAST)


async def test_token_never_in_errors_or_logs(aiohttp_server, http, caplog) -> None:
    """Query tokens and secrets echoed by the upstream are masked in messages and our log lines."""
    caplog.set_level(logging.DEBUG)
    fake = StatsFake()
    echo = f"upstream says: bad token {TOKEN}".encode()
    fake.script(Fault(500, echo), Fault(500, echo), Fault(500, echo))
    url = await _start(aiohttp_server, fake)
    with pytest.raises(SourceUnavailableError) as caught:
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params(), secrets=(TOKEN,))
    assert TOKEN not in str(caught.value)
    assert "token=***" in str(caught.value)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("service")]
    assert len(ours) == 2  # one warning per retry
    assert all(TOKEN not in line for line in ours)


async def test_503_retry_after_is_honoured(aiohttp_server, http) -> None:
    """A 503 with Retry-After waits as told before the retry."""
    fake = StatsFake()
    fake.script(Fault(503, b"maintenance", {"Retry-After": "0.2"}))
    url = await _start(aiohttp_server, fake)
    policy = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=5.0)
    await request_json(http, "GET", url, source="t", retry=policy, params=_params())
    assert fake.gaps()[0] >= 0.19


async def test_redirect_is_not_followed(aiohttp_server, http) -> None:
    """A 302 (e.g. to a login page) is an unusable answer, raised at once."""
    fake = StatsFake()
    fake.script(Fault(302, b"", {"Location": "/auth/login/"}))
    url = await _start(aiohttp_server, fake)
    with pytest.raises(SourceResponseError) as caught:
        await request_json(http, "GET", url, source="t", retry=FAST, params=_params())
    assert caught.value.status == 302
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, SourceAuthError), (403, SourceAuthError), (404, SourceNotFoundError), (418, SourceResponseError),
     (429, SourceRateLimitedError), (503, SourceUnavailableError)],
)  # fmt: skip
def test_one_mapping_for_every_upstream_answer(status: int, kind: type[Exception]) -> None:
    """status_error: the class per status, a one-line snippet with the token masked in any encoding."""
    body = f"token={TOKEN}\nagain: {TOKEN.replace('-', '%2D')}\n" + "x" * 500
    response = httpx.Response(status, text=body, headers={"Retry-After": "7"})
    error = status_error(response, "stats: GET https://example.test/", (TOKEN,))
    assert type(error) is kind
    text = str(error)
    assert text.startswith(f"stats: GET https://example.test/: HTTP {status}: token=*** again: ***")
    assert TOKEN not in text and "\n" not in text and text.endswith("…")
    if isinstance(error, SourceRateLimitedError | SourceUnavailableError):
        assert error.retry_after == 7.0


def test_a_client_names_its_own_server_errors() -> None:
    """The Events client keeps its retryable 5xx class, through the same mapping and snippet."""
    response = httpx.Response(502, text="", headers={"Retry-After": "3"})
    error = status_error(response, "GET /events/", (), server_error=EventsServerError)
    assert type(error) is EventsServerError
    assert (error.status, error.retry_after, str(error)) == (502, 3.0, "GET /events/: HTTP 502: <empty body>")
