"""CBHours client against the fake /api.php on loopback."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from service.sources.base import SourceNotFoundError, SourceResponseError
from service.sources.cbhours import CBHoursClient, CBHoursNotTrackedError
from service.sources.http import RateLimiter, RetryPolicy
from tests.fakes import ARRIVAL_SLACK, Fault, load_fixture
from tests.fakes.cbhours import PATH, CBHoursFake, make_app

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)


async def _client(
    aiohttp_server, http, fake: CBHoursFake, limiter: RateLimiter | None = None
) -> CBHoursClient:
    server = await aiohttp_server(make_app(fake))
    return CBHoursClient(http, str(server.make_url(PATH)), retry=FAST, limiter=limiter or RateLimiter(0))


async def test_get_live_shapes(aiohttp_server, http) -> None:
    """Online strings become bools, genders letters; offline entries hold only status; absent names listed."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    live = await client.get_live(["lisbon_lifter", "sleepy_sam", "Tina_T", "nobody_here"])
    assert live.server_up
    lifter = live.rooms["lisbon_lifter"]
    assert (lifter.online, lifter.gender, lifter.rank, lifter.grank, lifter.viewers) == (
        True,
        "m",
        1830,
        212,
        47,
    )
    assert lifter.tags == ["fit"]
    sam = live.rooms["sleepy_sam"]
    assert sam.online is False
    assert (sam.gender, sam.rank, sam.viewers, sam.followers) == (None, None, None, None)
    assert live.missing == ["Tina_T", "nobody_here"]  # the fake is case-sensitive here; CBHours' is unknown
    (request,) = fake.requests
    assert request.path == PATH
    assert request.param("action") == "get_live"
    assert request.param("usernames") == "lisbon_lifter,sleepy_sam,Tina_T,nobody_here"


async def test_get_live_empty_php_array(aiohttp_server, http) -> None:
    """`"data": []` (PHP's empty map) means no rooms, not a crash."""
    client = await _client(aiohttp_server, http, CBHoursFake())
    live = await client.get_live(["nobody_here"])
    assert live.rooms == {}
    assert live.missing == ["nobody_here"]


async def test_get_live_batch_limit(aiohttp_server, http) -> None:
    """More than 50 names raise ValueError before any request; 50 are fine."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(ValueError, match="at most 50"):
        await client.get_live([f"u{i}" for i in range(51)])
    assert fake.requests == []
    await client.get_live([f"u{i}" for i in range(50)])
    assert len(fake.requests) == 1


async def test_get_activity_shapes(aiohttp_server, http) -> None:
    """String numbers become ints ("" → None), types lose their underscore, timestamps are UTC, sorted."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    act = await client.get_activity("lisbon_lifter", date(2026, 1, 1), date(2026, 1, 2))
    assert act.username == "lisbon_lifter"
    assert act.total_minutes == 2 * 60 + 15
    assert act.days_online == [date(2026, 1, 1), date(2026, 1, 2)]
    assert [s.timestamp for s in act.segments] == sorted(s.timestamp for s in act.segments)
    first = act.segments[0]
    assert first.timestamp == datetime(2026, 1, 1, 23, 54, tzinfo=UTC)
    assert (first.show, first.rank, first.grank, first.viewers, first.followers) == (
        "public",
        1990,
        238,
        35,
        9100,
    )
    assert [s.show for s in act.segments] == ["public", "private", "public", "group"]
    assert act.segments[-1].rank is None
    (request,) = fake.requests
    assert request.param("action") == "get_activity"
    assert request.param("domain") == "cbhours"
    assert (request.param("start_date"), request.param("end_date")) == ("2026-01-01", "2026-01-02")
    assert request.param("tzo") == "0"
    assert request.param("include_details") == "true"


async def test_get_activity_converts_tzo_to_utc(aiohttp_server, http) -> None:
    """With tzo=-300 (New York) a 19:03 local sample is 00:03 UTC the next day."""
    client = await _client(aiohttp_server, http, CBHoursFake())
    act = await client.get_activity("lisbon_lifter", date(2026, 1, 2), date(2026, 1, 2), tzo=-300)
    assert act.segments[0].timestamp == datetime(2026, 1, 3, 0, 3, tzinfo=UTC)


async def test_get_activity_span_limit(aiohttp_server, http) -> None:
    """60 days inclusive are allowed; 61 or a reversed range raise ValueError without a request."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    start = date(2025, 11, 1)
    await client.get_activity("lisbon_lifter", start, start + timedelta(days=59))
    assert len(fake.requests) == 1
    with pytest.raises(ValueError, match="60 days"):
        await client.get_activity("lisbon_lifter", start, start + timedelta(days=60))
    with pytest.raises(ValueError, match="before"):
        await client.get_activity("lisbon_lifter", start, start - timedelta(days=1))
    assert len(fake.requests) == 1


async def test_error_300_is_not_tracked(aiohttp_server, http) -> None:
    """`status: "error"` with Error Code:300 raises CBHoursNotTrackedError, a SourceNotFoundError."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(CBHoursNotTrackedError) as caught:
        await client.get_activity("untracked_ann", date(2026, 1, 1), date(2026, 1, 2))
    assert isinstance(caught.value, SourceNotFoundError)
    with pytest.raises(CBHoursNotTrackedError):
        await client.get_months("untracked_ann")
    assert len(fake.requests) == 2  # not retried


async def test_error_300_with_http_error_status(aiohttp_server, http) -> None:
    """The code of error 300 is undocumented: a 404 or 400 carrying it still means not tracked."""
    fake = CBHoursFake()
    fake.script(Fault.answer(404, load_fixture("cbhours", "error_300.json")))
    fake.script(Fault.answer(400, load_fixture("cbhours", "error_300.json")))
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(CBHoursNotTrackedError) as caught:
        await client.get_months("lisbon_lifter")
    assert caught.value.status == 404
    with pytest.raises(CBHoursNotTrackedError):
        await client.get_months("lisbon_lifter")


async def test_other_error_status_is_response_error(aiohttp_server, http) -> None:
    """A different `status: "error"` is a plain SourceResponseError, not "not tracked"."""
    fake = CBHoursFake()
    fake.script(Fault.answer(200, {"status": "error", "message": "Error Code:500 database busy"}))
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError, match="database busy") as caught:
        await client.get_months("lisbon_lifter")
    assert not isinstance(caught.value, CBHoursNotTrackedError)


async def test_get_months(aiohttp_server, http) -> None:
    """The bare array of months comes back as sent."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake)
    assert await client.get_months("lisbon_lifter") == ["2026-01", "2025-12", "2025-11"]
    assert fake.requests[0].param("action") == "get_months"


async def test_429_then_success(aiohttp_server, http) -> None:
    """A burst-block 429 is retried after Retry-After."""
    fake = CBHoursFake()
    fake.script(Fault.rate_limited("0.1"))
    server = await aiohttp_server(make_app(fake))
    retry = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=1.0)
    client = CBHoursClient(http, str(server.make_url(PATH)), retry=retry, limiter=RateLimiter(0))
    assert await client.get_months("lisbon_lifter")
    assert len(fake.requests) == 2
    assert fake.gaps()[0] >= 0.09


async def test_default_limiter_is_one_per_second(aiohttp_server, http) -> None:
    """Without an explicit limiter two calls arrive about a second apart."""
    fake = CBHoursFake()
    server = await aiohttp_server(make_app(fake))
    client = CBHoursClient(http, str(server.make_url(PATH)), retry=FAST)
    started = time.monotonic()
    await client.get_months("lisbon_lifter")
    await client.get_months("lisbon_lifter")
    assert time.monotonic() - started >= 1.0
    assert fake.gaps()[0] >= 1.0 - ARRIVAL_SLACK


async def test_shared_limiter_spaces_calls(aiohttp_server, http) -> None:
    """Mixed calls through one limiter arrive at least its interval apart."""
    fake = CBHoursFake()
    client = await _client(aiohttp_server, http, fake, limiter=RateLimiter(0.1))
    started = time.monotonic()
    await client.get_live(["lisbon_lifter"])
    await client.get_months("lisbon_lifter")
    await client.get_activity("lisbon_lifter", date(2026, 1, 1), date(2026, 1, 2))
    assert time.monotonic() - started >= 2 * 0.1
    assert min(fake.gaps()) >= 0.1 - ARRIVAL_SLACK
