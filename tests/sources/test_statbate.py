"""Statbate Plus client against the fake /api on loopback."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from service.sources.base import SourceAuthError, SourceNotFoundError
from service.sources.http import RateLimiter, RetryPolicy, SourceUnavailableError
from service.sources.statbate import StatbateClient
from tests.fakes import ARRIVAL_SLACK, Fault
from tests.fakes.statbate import StatbateFake, make_app, make_tips

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
TOKEN = "eyJhbGciOiJIUzI1NiJ9.fake-statbate-token.c2lnbmF0dXJl"
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 1, 2, tzinfo=UTC)


async def _client(aiohttp_server, http, fake: StatbateFake, token: str = TOKEN, **kwargs) -> StatbateClient:
    server = await aiohttp_server(make_app(fake))
    kwargs.setdefault("limiter", RateLimiter(0))
    return StatbateClient(http, str(server.make_url("/api")), token, retry=FAST, **kwargs)


async def test_members_info_batch(aiohttp_server, http) -> None:
    """POST with names+UTC and Bearer auth; known members typed, unknown ones carry error and no did."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    batch = await client.members_info_batch(["fan_42", "ghost_9", "big_whale"])
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/api/members/chaturbate/info/batch")
    assert request.json() == {"names": ["fan_42", "ghost_9", "big_whale"], "timezone": "UTC"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (batch.found, batch.requested) == (2, 3)
    fan, ghost, whale = batch.members
    assert fan.found
    assert fan.did == 5512309877
    assert fan.all_time_tokens == 48210
    assert not ghost.found
    assert ghost.did is None
    assert ghost.error == "Member not found"
    assert whale.did == 9007199254740993  # beyond int32 and even float precision: kept exact
    assert whale.first_message_date is None
    assert [m.name for m in batch.known()] == ["fan_42", "big_whale"]


async def test_batch_limits(aiohttp_server, http) -> None:
    """Over 100 names raise ValueError, none sends nothing; both without a request."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(ValueError, match="at most 100"):
        await client.members_info_batch([f"m{i}" for i in range(101)])
    empty = await client.members_info_batch([])
    assert empty.members == []
    assert empty.requested == 0
    assert fake.requests == []


async def test_member_info(aiohttp_server, http) -> None:
    """Member info dates are UTC-aware; per-day tokens are typed."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    info = await client.member_info("fan_42")
    assert info.first_tip_date == datetime(2024, 3, 2, 20, 1, 13, tzinfo=UTC)
    assert info.per_day_tokens[0].date == date(2026, 1, 1)
    assert info.models_tipped_2weeks_list == ["my_room"]
    assert fake.requests[0].path == "/api/members/chaturbate/fan_42/info"
    assert fake.requests[0].param("timezone") == "UTC"


async def test_member_tips_follow_pagination(aiohttp_server, http) -> None:
    """450 tips at 200 per page take pages 1..3 with literal range[0]/range[1] in UTC text."""
    fake = StatbateFake(tips={"fan_42": make_tips(450)})
    client = await _client(aiohttp_server, http, fake)
    start = datetime(2025, 12, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    tips = await client.member_tips("fan_42", start, END)
    assert len(tips) == 450
    assert [r.param("page") for r in fake.requests] == ["1", "2", "3"]
    first = fake.requests[0]
    assert first.param("range[0]") == "2025-12-01 00:00:00"
    assert first.param("range[1]") == "2026-01-02 00:00:00"
    assert first.param("per_page") == "200"
    assert tips[0].time.tzinfo is not None
    assert tips[0].rid == 90123
    assert tips[0].usd == 0.5


async def test_member_tips_single_page(aiohttp_server, http) -> None:
    """One page (current_page == last_page) means one request."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    tips = await client.member_tips("fan_42", START, END)
    assert [t.tokens for t in tips] == [50]
    assert len(fake.requests) == 1


async def test_naive_range_refused(aiohttp_server, http) -> None:
    """Naive datetimes are ambiguous and raise ValueError before sending."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.member_tips("fan_42", datetime(2025, 12, 1), datetime(2026, 1, 2))  # noqa: DTZ001
    assert fake.requests == []


async def test_model_info_and_rank(aiohttp_server, http) -> None:
    """Model info and rank parse their nested shapes; gender stays the raw int."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    info = await client.model_info("my_room", start=START, end=END)
    assert (info.rid, info.gender, info.rank) == (90123, 0, 1830)
    assert info.sessions is not None
    assert info.sessions.count == 24
    assert info.income is not None
    assert info.income.usd == 2010.5
    assert info.tags[0].name == "muscle"
    rank = await client.model_rank("my_room")
    assert rank.summary is not None
    assert rank.summary.trend == "improving"
    assert rank.summary.rank_change_percent == -23.75
    assert [p.rank for p in rank.ranks] == [1830, 1902]
    assert [r.path for r in fake.requests] == [
        "/api/model/chaturbate/my_room/info",
        "/api/model/chaturbate/my_room/rank",
    ]
    assert fake.requests[1].param("range[0]") is None


async def test_unknown_model_is_not_found(aiohttp_server, http) -> None:
    """404 "Model not found" raises SourceNotFoundError at once."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceNotFoundError, match="Model not found"):
        await client.model_info("fan_42")
    assert len(fake.requests) == 1


async def test_bad_token_is_auth_error_and_never_shown(aiohttp_server, http, caplog) -> None:
    """A refused Bearer token raises SourceAuthError; the token is in no message or log line."""
    caplog.set_level(logging.DEBUG)
    fake = StatbateFake()
    wrong = "eyJhbGciOiJIUzI1NiJ9.wrong-token.zzzzzzzz"
    client = await _client(aiohttp_server, http, fake, token=wrong)
    with pytest.raises(SourceAuthError) as caught:
        await client.member_info("fan_42")
    assert wrong not in str(caught.value)
    assert "Unauthenticated" in str(caught.value)
    assert len(fake.requests) == 1
    assert all(wrong not in r.getMessage() for r in caplog.records)


async def test_token_echoed_in_5xx_is_masked(aiohttp_server, http, caplog) -> None:
    """Even an upstream that echoes our Authorization header in errors cannot leak the token."""
    caplog.set_level(logging.DEBUG)
    fake = StatbateFake()
    fake.script(*[Fault(502, f"proxy error for Authorization: Bearer {TOKEN}".encode())] * 3)
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceUnavailableError) as caught:
        await client.member_info("fan_42")
    assert TOKEN not in str(caught.value)
    assert "Bearer ***" in str(caught.value)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("service")]
    assert lines
    assert all(TOKEN not in line for line in lines)


async def test_429_retry_then_success(aiohttp_server, http) -> None:
    """A 429 is retried and the batch succeeds on the next try."""
    fake = StatbateFake()
    fake.script(Fault.rate_limited("0"))
    client = await _client(aiohttp_server, http, fake)
    batch = await client.members_info_batch(["fan_42"])
    assert batch.found == 1
    assert len(fake.requests) == 2


async def test_names_are_path_escaped(aiohttp_server, http) -> None:
    """A name with a slash cannot reach another endpoint: it is percent-encoded in the path."""
    fake = StatbateFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceNotFoundError):
        await client.member_info("fan_42/../../model/chaturbate/my_room")
    assert len(fake.requests) == 1


async def test_default_limiter_one_per_second(aiohttp_server, http) -> None:
    """Without an explicit limiter, consecutive calls arrive about a second apart."""
    fake = StatbateFake()
    server = await aiohttp_server(make_app(fake))
    client = StatbateClient(http, str(server.make_url("/api")), TOKEN, retry=FAST)
    started = time.monotonic()
    await client.member_info("fan_42")
    await client.model_info("my_room")
    assert time.monotonic() - started >= 1.0
    assert fake.gaps()[0] >= 1.0 - ARRIVAL_SLACK
