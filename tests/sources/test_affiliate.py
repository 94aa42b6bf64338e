"""Affiliate feed client against the fake online-rooms feed on loopback."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from service.sources.affiliate import AffiliateClient
from service.sources.base import SourceConnectionError, SourceResponseError
from service.sources.http import RateLimiter, RetryPolicy
from tests.fakes import Fault, load_fixture
from tests.fakes.affiliate import PATH, AffiliateFake, generate_rooms, make_app

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
WM = "AbCdE"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


async def _client(aiohttp_server, http, fake: AffiliateFake, **kwargs) -> AffiliateClient:
    server = await aiohttp_server(make_app(fake))
    kwargs.setdefault("limiter", RateLimiter(0))
    return AffiliateClient(http, str(server.make_url(PATH)), WM, retry=FAST, **kwargs)


async def test_room_quirks(aiohttp_server, http) -> None:
    """Comma-string languages become a list, hidden/odd birthdays None, extra keys ignored."""
    client = await _client(aiohttp_server, http, AffiliateFake())
    page = await client.fetch_page()
    rooms = {r.username: r for r in page.rooms}
    assert page.count == 4
    assert page.invalid == 0
    lifter = rooms["lisbon_lifter"]
    assert lifter.spoken_languages == ["English", "Portuguese"]
    assert lifter.birthday == date(1994, 6, 2)
    assert (lifter.age, lifter.country, lifter.tags, lifter.num_users) == (31, "PT", ["fit", "muscle"], 48)
    rose = rooms["quiet_rose"]
    assert rose.birthday is None
    assert rose.age is None
    assert rose.spoken_languages == ["Spanish", "English"]
    duo = rooms["duo_nights"]
    assert duo.birthday is None  # "Nov. 29, 1997" is not a date we can trust
    assert duo.spoken_languages == []
    assert not hasattr(duo, "recorded")


async def test_request_params_and_repeated_keys(aiohttp_server, http) -> None:
    """wm, client_ip, limit, offset are sent; gender/region/tag repeat their key per value."""
    fake = AffiliateFake()
    client = await _client(aiohttp_server, http, fake)
    await client.fetch_page(
        offset=0, limit=250, gender=["m", "t"], region="europe_russia", tag=["fit", "muscle"]
    )
    (request,) = fake.requests
    assert request.path == PATH
    assert request.param("wm") == WM
    assert request.param("client_ip") == "request_ip"
    assert (request.param("limit"), request.param("offset")) == ("250", "0")
    assert request.params("gender") == ["m", "t"]
    assert request.params("region") == ["europe_russia"]
    assert request.params("tag") == ["fit", "muscle"]


@pytest.mark.parametrize(
    "kwargs",
    [{"tag": ["a", "b", "c", "d", "e", "f"]}, {"gender": ["x"]}, {"region": ["mars"]}, {"limit": 501}],
)
async def test_bad_filters_refused_before_sending(aiohttp_server, http, kwargs) -> None:
    """Invalid filters raise ValueError and nothing reaches the upstream."""
    fake = AffiliateFake()
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        await client.fetch_page(**kwargs)
    assert fake.requests == []


async def test_sweep_pages_by_offset(aiohttp_server, http) -> None:
    """1,200 rooms at 500 per page take offsets 0, 500, 1000 and stop at the count."""
    fake = AffiliateFake(generate_rooms(1200))
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all(page_size=500)
    assert [r.param("offset") for r in fake.requests] == ["0", "500", "1000"]
    assert (sweep.pages, len(sweep.rooms), sweep.duplicates, sweep.invalid) == (3, 1200, 0, 0)
    assert sweep.reported_count == 1200
    assert sweep.started_at <= sweep.finished_at
    assert sweep.started_at.tzinfo is not None


async def test_sweep_stops_on_empty_page(aiohttp_server, http) -> None:
    """An empty results list ends the sweep even when count promises more."""
    fake = AffiliateFake(generate_rooms(10))
    fake.script(
        Fault.answer(200, {"count": 10, "results": fake.rooms[:5]}),
        Fault.answer(200, {"count": 99, "results": []}),
    )
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all(page_size=5)
    assert sweep.pages == 2
    assert len(sweep.rooms) == 5


async def test_dedupe_under_paging_drift(aiohttp_server, http) -> None:
    """Rooms pushed down by new arrivals repeat on the next page; each is kept once, latest data."""
    original = generate_rooms(1000)
    names = {r["username"] for r in original}
    fake = AffiliateFake(list(original), drift_insert=7)
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all(page_size=100)
    usernames = [r.username for r in sweep.rooms]
    assert len(usernames) == len(set(usernames))
    assert names <= set(usernames)  # insertions at the front never hide an existing room
    assert sweep.duplicates == 7 * (sweep.pages - 1)
    assert len(usernames) + sweep.duplicates == fake.served  # every record served is kept or counted


async def test_drift_with_removals_does_not_crash(aiohttp_server, http) -> None:
    """Rooms leaving the front make later ones skip a page; the sweep still ends, unique."""
    fake = AffiliateFake(generate_rooms(600), drift_remove=10)
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all(page_size=100)
    usernames = [r.username for r in sweep.rooms]
    assert len(usernames) == len(set(usernames))
    assert sweep.duplicates == 0
    assert 0 < len(usernames) < 600


async def test_invalid_records_skipped_and_counted(aiohttp_server, http, caplog) -> None:
    """A record without username or with a non-numeric count is skipped, counted and logged plainly."""
    caplog.set_level(logging.WARNING)
    fake = AffiliateFake(load_fixture("affiliate", "onlinerooms_invalid_records.json")["results"])
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all()
    assert [r.username for r in sweep.rooms] == ["lisbon_lifter", "tina_t"]
    assert sweep.invalid == 2
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("service")]
    skipped = [line for line in lines if "skipped invalid room" in line]
    assert len(skipped) == 2
    assert any("username" in line for line in skipped)
    assert all("campaign=" not in line for line in lines)  # record values (our wm in URLs) stay out


async def test_malformed_page_raises(aiohttp_server, http) -> None:
    """A truncated page body raises SourceResponseError, not a half sweep."""
    fake = AffiliateFake()
    fake.script(Fault.malformed())
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError, match="malformed JSON"):
        await client.fetch_all()


async def test_broken_envelope_raises(aiohttp_server, http) -> None:
    """Valid JSON without count/results is a response error (the legacy bare-array shape too)."""
    fake = AffiliateFake()
    fake.script(Fault.answer(200, [{"username": "x"}]))
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError, match="unusable body"):
        await client.fetch_page()


async def test_5xx_mid_sweep_is_retried(aiohttp_server, http) -> None:
    """A 503 on page two is retried and the sweep completes."""
    fake = AffiliateFake(generate_rooms(30))
    fake.script(Fault(), Fault.server_error(503))
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all(page_size=10)
    assert len(sweep.rooms) == 30
    assert [r.param("offset") for r in fake.requests] == ["0", "10", "10", "20"]


async def test_sweep_gives_up_when_upstream_stays_down(aiohttp_server, http) -> None:
    """Persistent 500s end the sweep with a connection-kind error after max attempts."""
    fake = AffiliateFake()
    fake.script(*[Fault.server_error()] * 3)
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceConnectionError):
        await client.fetch_all()
    assert len(fake.requests) == 3


async def test_config_error_not_retried(aiohttp_server, http) -> None:
    """A wrong wm answered with 400 fails at once: retrying a config bug is pointless."""
    fake = AffiliateFake(require_wm="OtHeR")
    client = await _client(aiohttp_server, http, fake)
    with pytest.raises(SourceResponseError) as caught:
        await client.fetch_all()
    assert caught.value.status == 400
    assert len(fake.requests) == 1


async def test_pages_are_rate_limited(aiohttp_server, http) -> None:
    """With a 0.1 s limiter the fake sees pages at least 0.1 s apart."""
    fake = AffiliateFake(generate_rooms(40))
    client = await _client(aiohttp_server, http, fake, limiter=RateLimiter(0.1))
    started = time.monotonic()
    await client.fetch_all(page_size=10)
    assert time.monotonic() - started >= 3 * 0.1
    assert len(fake.requests) == 4
    # A request arrives no earlier than the limiter let it leave: the k-th at least k × 0.1 s after the
    # start. (Gaps between arrivals are not a fair measure on a busy machine: the fake shares the event
    # loop, so a late first arrival can land just before the second.)
    offsets = [request.at - started for request in fake.requests]
    assert all(offset >= k * 0.1 - 0.005 for k, offset in enumerate(offsets))


async def test_full_20k_feed_sweep(aiohttp_server, http) -> None:
    """A generated 20,000-room feed is swept in 40 pages into 20,000 unique rooms."""
    fake = AffiliateFake(generate_rooms(20_000))
    client = await _client(aiohttp_server, http, fake)
    sweep = await client.fetch_all()
    assert sweep.pages == 40
    assert len(sweep.rooms) == 20_000
    assert sweep.duplicates == sweep.invalid == 0
