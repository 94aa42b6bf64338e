"""Stats API client against the fake /statsapi/ on loopback."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from service.sources.base import SourceAuthError, SourceNotFoundError, SourceResponseError
from service.sources.http import RetryPolicy
from service.sources.stats import StatsClient
from tests.fakes import Fault, load_fixture
from tests.fakes.stats import PATH, StatsFake, make_app

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
TOKEN = "s3cr3t-stats-token-000001"


async def _client(aiohttp_server, http, fake: StatsFake) -> StatsClient:
    server = await aiohttp_server(make_app(fake))
    return StatsClient(http, str(server.make_url(PATH)), retry=FAST)


def _snapshot(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("stats", "statsapi.json")
    body.update(changes)
    return body


async def test_snapshot_shape(aiohttp_server, http) -> None:
    """The captured body parses into typed fields; the request carries username and token."""
    fake = StatsFake()
    client = await _client(aiohttp_server, http, fake)
    snap = await client.get_stats("my_room", TOKEN)
    assert snap.username == "my_room"
    assert snap.token_balance == 1520
    assert snap.satisfaction_score == 97.0
    assert snap.time_online == 48
    assert snap.is_live
    assert snap.num_tokened_viewers == 12
    assert snap.last_broadcast == datetime(2026, 1, 2, 21, 14, 5, 123456, tzinfo=UTC)
    assert snap.fetched_at.tzinfo is not None
    (request,) = fake.requests
    assert (request.method, request.path) == ("GET", PATH)
    assert request.param("username") == "my_room"
    assert request.param("token") == TOKEN


async def test_minus_one_sentinels_become_none(aiohttp_server, http) -> None:
    """-1 for time_online/last_broadcast means not live / never; missing num_tokened_viewers is None."""
    fake = StatsFake(snapshot=load_fixture("stats", "statsapi_offline_never.json"))
    client = await _client(aiohttp_server, http, fake)
    snap = await client.get_stats("my_room", TOKEN)
    assert snap.time_online is None
    assert snap.last_broadcast is None
    assert snap.num_tokened_viewers is None
    assert not snap.is_live


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02T21:14:05+02:00", datetime(2026, 1, 2, 19, 14, 5, tzinfo=UTC)),
        ("2026-01-02T21:14:05", datetime(2026, 1, 2, 21, 14, 5, tzinfo=UTC)),
        (1767388445, datetime(2026, 1, 2, 21, 14, 5, tzinfo=UTC)),
        ("-1", None),
    ],
)
async def test_last_broadcast_str_or_int(aiohttp_server, http, value, expected) -> None:
    """last_broadcast arrives as text (offset or naive=UTC) or a number; stored UTC-aware."""
    fake = StatsFake(snapshot=_snapshot(last_broadcast=value))
    client = await _client(aiohttp_server, http, fake)
    snap = await client.get_stats("my_room", TOKEN)
    assert snap.last_broadcast == expected
    if expected is not None:
        assert snap.last_broadcast is not None
        assert snap.last_broadcast.utcoffset() is not None


async def test_bad_token_is_auth_error_without_token(aiohttp_server, http, caplog) -> None:
    """A refused token raises SourceAuthError; neither the message nor our logs hold it."""
    caplog.set_level(logging.DEBUG)
    fake = StatsFake()
    client = await _client(aiohttp_server, http, fake)
    wrong = "wrong-token-abcdefghijklm"
    with pytest.raises(SourceAuthError) as caught:
        await client.get_stats("my_room", wrong)
    assert wrong not in str(caught.value)
    assert "token=***" in str(caught.value)
    assert len(fake.requests) == 1
    assert all(wrong not in r.getMessage() for r in caplog.records if r.name.startswith("service"))


async def test_unknown_account_is_not_found(aiohttp_server, http) -> None:
    """A 404 raises SourceNotFoundError, not retried."""
    fake = StatsFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceNotFoundError):
        await client.get_stats("somebody_else", TOKEN)
    assert len(fake.requests) == 1


async def test_retries_then_parses(aiohttp_server, http) -> None:
    """429 and 502 are retried; the third answer is used."""
    fake = StatsFake()
    fake.script(Fault.rate_limited("0"), Fault.server_error(502))
    client = await _client(aiohttp_server, http, fake)
    snap = await client.get_stats("my_room", TOKEN)
    assert snap.num_viewers == 61
    assert len(fake.requests) == 3


async def test_missing_required_field_is_response_error(aiohttp_server, http) -> None:
    """A body without token_balance is unusable and says which field is missing."""
    body = _snapshot()
    del body["token_balance"]
    fake = StatsFake(snapshot=body)
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError, match="token_balance"):
        await client.get_stats("my_room", TOKEN)


async def test_malformed_json(aiohttp_server, http) -> None:
    """Broken JSON raises SourceResponseError."""
    fake = StatsFake()
    fake.script(Fault.malformed(b'{"username": "my_room", '))
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError):
        await client.get_stats("my_room", TOKEN)


async def test_empty_credentials_refused(http) -> None:
    """No request is attempted without a username and token."""
    client = StatsClient(http, "http://127.0.0.1:9/statsapi/")
    with pytest.raises(ValueError, match="required"):
        await client.get_stats("my_room", "")


async def test_an_error_page_echoing_the_url_never_shows_the_token(aiohttp_server, http) -> None:
    """A token with + / = & travels percent-encoded; the echoed page shows it so and decoded."""
    token = "Ab+cd/ef=gh&ij-0123456789"
    client = await _client(aiohttp_server, http, StatsFake(echo_url=True))
    with pytest.raises(SourceAuthError) as caught:
        await client.get_stats("my_room", token)
    message = str(caught.value)
    for shown in (token, quote(token, safe=""), quote_plus(token), "Ab%2Bcd", "Ab+cd"):
        assert shown not in message
    assert message.count("***") >= 3  # the URL we name, the URL echoed, the token echoed
