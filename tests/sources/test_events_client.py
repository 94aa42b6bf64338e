"""Events API client against the fake Events API on loopback: parsing, status table, cursor, redaction."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import time
import traceback
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from pytest_aiohttp import AiohttpServer

from service.sources.base import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceResponseError,
)
from service.sources.events import (
    Backoff,
    EventBatch,
    EventsClient,
    EventsServerError,
    ForeignNextUrlError,
    MalformedResponseError,
    MediaPurchaseObject,
    MessageObject,
    RetryableResponseError,
    RoomSubjectObject,
    TipObject,
    UnknownObject,
    is_fatal,
    parse_event_id,
    parse_events,
    parse_retry_after,
    retry_after,
)
from tests.fakes.events import EventsScript, Fault, events_base_url, make_app
from tests.support import paths

FIXTURES = paths.FIXTURES / "events"
TOKEN = "s3cr3t-T0KEN-9f8e7d"
TIP = {"user": {"username": "fan_42"}, "tip": {"tokens": 50, "isAnon": False, "message": ""}}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: a proxy from the environment must never see loopback traffic with the token.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
def script() -> EventsScript:
    return EventsScript(token=TOKEN)


@pytest.fixture
async def server(aiohttp_server: AiohttpServer, script: EventsScript) -> TestServer:
    return await aiohttp_server(make_app(script))


@pytest.fixture
def client(http: httpx.AsyncClient, server: TestServer, script: EventsScript) -> EventsClient:
    return EventsClient(http, events_base_url(server), script.username, script.token, server_timeout=1)


async def poll_error(client: EventsClient, url: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        await client.poll(url)
    return caught.value


# --- URLs and timeouts ---------------------------------------------------------------------------


def test_first_url_and_read_timeout(http: httpx.AsyncClient) -> None:
    """The first URL carries ?timeout=N, and the read timeout outlasts it by the margin."""
    client = EventsClient(http, "https://eventsapi.chaturbate.com/events", "my_room", TOKEN)
    assert client.first_url() == f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN}/?timeout=30"
    assert client.read_timeout == 45
    # A stored cursor may ask the server to wait longer than we would; the read timeout follows it.
    feed = f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN}/"
    assert client.read_timeout_for(feed + "?timeout=90") == 105
    assert client.read_timeout_for(feed + "?timeout=oops") == 45
    assert EventsClient(http, "http://h/events/", "u", "t", 10, read_margin=2).read_timeout == 12
    for bad in ({"server_timeout": 91}, {"server_timeout": -1}, {"read_margin": 0}):
        with pytest.raises(ValueError, match="must be"):
            EventsClient(http, "http://h/events/", "u", "t", **bad)


def test_is_own_url(http: httpx.AsyncClient) -> None:
    """Only this room's path on the configured scheme, host and port counts as ours."""
    client = EventsClient(http, "https://eventsapi.chaturbate.com/events/", "my_room", TOKEN)
    own = f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN}/"
    assert client.is_own_url(own + "?i=1767312000123-0&timeout=30")
    assert client.is_own_url(f"https://EventsAPI.chaturbate.com:443/events/My_Room/{TOKEN}/?timeout=30")
    foreign = [
        f"http://eventsapi.chaturbate.com/events/my_room/{TOKEN}/",
        f"https://eventsapi.chaturbate.com:8443/events/my_room/{TOKEN}/",
        f"https://evil.example/events/my_room/{TOKEN}/",
        f"https://eventsapi.chaturbate.com.evil.example/events/my_room/{TOKEN}/",
        f"https://user@eventsapi.chaturbate.com/events/my_room/{TOKEN}/",
        f"https://eventsapi.chaturbate.com/events/other_room/{TOKEN}/",
        "https://eventsapi.chaturbate.com/events/my_room/other-token/",
        f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN}/extra/",
        f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN}/../../x/y/",
        f"https://eventsapi.chaturbate.com/events/my_room/{TOKEN.upper()}/",
        "not a url at all",
        "",
    ]
    assert [url for url in foreign if client.is_own_url(url)] == []


# --- 200 and parsing -----------------------------------------------------------------------------


async def test_poll_returns_events_in_order_and_next_url(
    client: EventsClient, script: EventsScript, server: TestServer
) -> None:
    """A 200 gives the events in order and a nextUrl on the fake's own loopback host."""
    sent = [script.add("tip", TIP), script.add("follow", {"user": {"username": "b"}})]
    batch = await client.poll(client.first_url())
    assert [event.id for event in batch.events] == [payload["id"] for payload in sent]
    assert [event.raw for event in batch.events] == sent
    assert batch.invalid == []
    assert not batch.timed_out
    assert batch.next_url.startswith(f"http://127.0.0.1:{server.port}/events/my_room/{TOKEN}/")
    assert f"i={sent[-1]['id']}" in batch.next_url
    assert script.requests[0].query == {"timeout": "1"}


BATCH_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.json") if "400" not in path.name)


@pytest.mark.parametrize("name", BATCH_FIXTURES)
async def test_fixture_batches_parse_through_the_fake(
    name: str, client: EventsClient, script: EventsScript
) -> None:
    """Every captured shape parses without quarantine and keeps its raw dict."""
    payloads = fixture(name)["events"]
    script.extend_raw(payloads)
    batch = await client.poll(client.first_url())
    assert batch.invalid == []
    assert [event.raw for event in batch.events] == payloads
    assert [json.loads(event.raw_json) for event in batch.events] == payloads
    assert all(event.known and event.broadcaster == "my_room" for event in batch.events)


def test_tip_fixture_details() -> None:
    """Anonymous tips keep the real username; two identical tips in one second are two events."""
    events, invalid = parse_events(fixture("tips.json")["events"])
    assert invalid == []
    first, anon, twin_a, twin_b = events
    assert isinstance(first.object, TipObject)
    assert first.object.tip.message == "| nice"
    assert first.user is not None
    assert first.user.recent_tips == "some"
    assert first.user.color_group == "tr"
    assert isinstance(anon.object, TipObject)
    assert anon.object.tip.is_anon
    assert anon.username == "shy_fan"
    assert twin_a.raw["object"] == twin_b.raw["object"]
    assert twin_a.id != twin_b.id
    assert twin_a.timestamp == twin_b.timestamp == datetime(2026, 1, 2, 0, 0, 2, 500_000, tzinfo=UTC)
    assert (twin_a.sequence, twin_b.sequence) == (0, 1)


def test_other_fixture_details() -> None:
    """Media ids int or str, subject without user, PM direction, top-level broadcaster fallback."""
    media = parse_events(fixture("media_purchase.json")["events"])[0]
    assert [e.object.media.id for e in media if isinstance(e.object, MediaPurchaseObject)] == [88, "v-1203"]
    (subject,) = parse_events(fixture("room_subject_change.json")["events"])[0]
    assert isinstance(subject.object, RoomSubjectObject)
    assert (subject.object.subject, subject.user) == ("Goal: 500 tokens", None)
    pm = parse_events(fixture("private_message.json")["events"])[0][0]
    assert isinstance(pm.object, MessageObject)
    assert (pm.object.message.from_user, pm.object.message.to_user) == ("fan_42", "my_room")
    assert pm.object.message.bg_color is None
    stop = parse_events(fixture("broadcast.json")["events"])[0][1]
    assert "broadcaster" not in stop.raw["object"]
    assert stop.broadcaster == "my_room"
    (chat,) = parse_events(fixture("chat_message.json")["events"])[0]
    assert chat.user is not None
    assert (chat.user.is_mod, chat.user.language) == (True, "en")
    assert chat.raw["object"]["user"]["hasDarkmode"] is True


def test_lenient_descriptive_fields_and_unknown_methods() -> None:
    """Odd descriptive values become None; an unknown method is kept as a generic event."""
    raw = [
        {
            "method": "tip",
            "id": "1-0",
            "object": {
                "user": {"username": "a", "recentTips": 3, "gender": ["m"]},
                "tip": {"tokens": 5, "isAnon": False, "message": None},
            },
        },
        {"method": "chatReaction", "id": "2-0", "object": {"user": {"username": "b"}, "emoji": "x"}},
        {"method": "somethingNew", "id": "3-0", "object": {"user": {"nick": "c"}}},
    ]
    events, invalid = parse_events(raw)
    assert invalid == []
    tip, reaction, bare = events
    assert tip.user is not None
    assert (tip.user.recent_tips, tip.user.gender) == (None, None)
    assert isinstance(tip.object, TipObject)
    assert tip.object.tip.message == ""
    assert isinstance(reaction.object, UnknownObject)
    assert (reaction.known, reaction.username, reaction.raw["object"]["emoji"]) == (False, "b", "x")
    assert bare.user is None


async def test_malformed_events_are_quarantined_and_good_ones_kept_in_order(
    client: EventsClient, script: EventsScript
) -> None:
    """Bad elements come back as InvalidEvent with a reason; the valid ones keep their order."""
    good = [script.add("tip", TIP)]
    script.add_raw({"method": "tip", "id": "1767312009999-0", "object": {"user": {"username": "x"}}})
    script.add_raw("oops")
    good.append(script.add("follow", {"user": {"username": "b"}}))
    script.add_raw({"method": "tip", "id": "not-an-id", "object": TIP})
    script.add_raw({"method": "tip", "id": "1767312019999-0", "object": {**TIP, "user": {"gender": "m"}}})
    good.append(script.add("chatMessage", {"user": {"username": "c"}, "message": {"message": "hi"}}))
    script.fail_request(1, Fault.malformed({"method": "mediaPurchase", "id": "5-0"}, position=1))
    batch = await client.poll(client.first_url())
    assert [event.raw for event in batch.events] == good
    reasons = {item.index: item.reason for item in batch.invalid}
    assert list(reasons) == [1, 2, 3, 5, 6]
    assert reasons[1].startswith("object.user: Field required")
    assert reasons[2] == "object.tip: Field required"
    assert reasons[3] == "not a JSON object but str"
    assert reasons[5].startswith("id: String should match pattern")
    assert reasons[6] == "object.user.username: Field required"
    ids = [item.id for item in batch.invalid]
    assert ids == ["5-0", "1767312009999-0", None, "not-an-id", "1767312019999-0"]
    assert all(json.loads(item.raw_json) == item.raw for item in batch.invalid)


async def test_two_identical_tips_in_one_second_are_both_kept(
    client: EventsClient, script: EventsScript
) -> None:
    """Same user, same amount, same second, different ids: two tips, not a duplicate."""
    first = script.add("tip", TIP, at_ms=1_767_312_100_000)
    second = script.add("tip", TIP, at_ms=1_767_312_100_000)
    third = script.add("tip", TIP, at_ms=1_767_312_100_400)
    batch = await client.poll(client.first_url())
    assert [event.id for event in batch.events] == [first["id"], second["id"], third["id"]]
    assert len({event.id for event in batch.events}) == 3
    assert len({event.timestamp.replace(microsecond=0) for event in batch.events}) == 1


# --- cursor --------------------------------------------------------------------------------------


async def test_resume_by_cursor_across_a_restart(
    client: EventsClient, script: EventsScript, server: TestServer
) -> None:
    """Following nextUrl walks the stream; a new client on the stored URL resumes with no gap or repeat."""
    script.batch_size = 2
    for n in range(5):
        script.add("userEnter", {"user": {"username": f"u{n}"}})
    seen: list[str] = []
    url = client.first_url()
    for _ in range(2):
        batch = await client.poll(url)
        seen += [event.id for event in batch.events]
        url = batch.next_url
    async with httpx.AsyncClient(trust_env=False) as fresh_http:
        restarted = EventsClient(fresh_http, events_base_url(server), "my_room", TOKEN, server_timeout=1)
        batch = await restarted.poll(url)
        seen += [event.id for event in batch.events]
        caught_up = await restarted.poll(batch.next_url)
        assert caught_up.events == []
        assert caught_up.next_url == batch.next_url
        late = script.add("userLeave", {"user": {"username": "u4"}})
        batch = await restarted.poll(caught_up.next_url)
        seen += [event.id for event in batch.events]
    assert seen == script.ids
    assert seen[-1] == late["id"]
    assert [request.cursor for request in script.requests] == [None, *seen[1:5:2], seen[4], seen[4]]


async def test_held_poll_wakes_when_an_event_is_appended(client: EventsClient, script: EventsScript) -> None:
    """A caught-up poll is held open by the fake and answered as soon as an event arrives."""
    script.hold_empty = 5
    started = time.monotonic()
    task = asyncio.create_task(client.poll(client.first_url()))
    await asyncio.sleep(0.1)
    payload = script.add("tip", TIP)
    batch = await task
    assert [event.id for event in batch.events] == [payload["id"]]
    assert time.monotonic() - started < 1


# --- status table --------------------------------------------------------------------------------


async def test_400_waited_too_long_is_an_empty_batch(client: EventsClient, script: EventsScript) -> None:
    """The 400 empty poll returns its nextUrl and no error; polling it again goes on normally."""
    script.empty_as_400 = True
    batch = await client.poll(client.first_url())
    assert (batch.events, batch.invalid, batch.timed_out) == ([], [], True)
    assert client.is_own_url(batch.next_url)
    assert script.requests[0].status == 400
    script.add("tip", TIP)
    script.fail_request(2, Fault.waited_too_long())
    assert (await client.poll(batch.next_url)).timed_out
    assert len((await client.poll(batch.next_url)).events) == 1


@pytest.mark.parametrize(
    "body",
    [{"status": "bad things"}, {"status": "waited too long for events"}, "plain text", {"nextUrl": "x"}],
)
async def test_other_400_is_a_response_error(client: EventsClient, script: EventsScript, body: Any) -> None:
    """Any other 400 is a plain SourceResponseError: back off, not fatal, not silently empty."""
    script.fail_request(1, Fault.http_status(400, body))
    error = await poll_error(client, client.first_url())
    assert type(error) is SourceResponseError
    assert error.status == 400
    assert not is_fatal(error)


@pytest.mark.parametrize("status", [401, 403])
async def test_401_403_are_auth_errors(client: EventsClient, script: EventsScript, status: int) -> None:
    """A rejected token stops the stream."""
    script.fail_request(1, Fault.http_status(status))
    error = await poll_error(client, client.first_url())
    assert isinstance(error, SourceAuthError)
    assert (error.status, is_fatal(error)) == (status, True)


async def test_wrong_token_and_wrong_username(
    http: httpx.AsyncClient, server: TestServer, script: EventsScript
) -> None:
    """The fake answers a bad token with 401 and an unknown room with 404, like the real one."""
    base = events_base_url(server)
    bad_token = EventsClient(http, base, script.username, "revoked-token", server_timeout=1)
    assert isinstance(await poll_error(bad_token, bad_token.first_url()), SourceAuthError)
    bad_user = EventsClient(http, base, "nobody_here", TOKEN, server_timeout=1)
    error = await poll_error(bad_user, bad_user.first_url())
    assert isinstance(error, SourceNotFoundError)
    assert (error.status, is_fatal(error)) == (404, True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (None, None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)],
)
async def test_429_carries_retry_after(
    client: EventsClient, script: EventsScript, header: str | None, expected: float | None
) -> None:
    """429 is rate limiting with the server's Retry-After (a past date means now)."""
    script.fail_request(1, Fault.rate_limited(header))
    error = await poll_error(client, client.first_url())
    assert isinstance(error, SourceRateLimitedError)
    assert (error.status, error.retry_after, retry_after(error)) == (429, expected, expected)
    assert not is_fatal(error)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 521, 522, 523, 524])
async def test_5xx_is_retryable_and_the_same_url_loses_nothing(
    client: EventsClient, script: EventsScript, status: int
) -> None:
    """5xx (Cloudflare's 52x included) is retryable; retrying the same URL then delivers the events."""
    payload = script.add("tip", TIP)
    script.fail_request(1, Fault.http_status(status, "<html>cloudflare</html>", {"Retry-After": "3"}))
    url = client.first_url()
    error = await poll_error(client, url)
    assert isinstance(error, EventsServerError)
    assert isinstance(error, RetryableResponseError)
    assert (error.status, retry_after(error), is_fatal(error)) == (status, 3.0, False)
    assert [event.id for event in (await client.poll(url)).events] == [payload["id"]]


async def test_invalid_json_is_retryable(client: EventsClient, script: EventsScript) -> None:
    """A cut-off 200 body is a retryable malformed response, not an empty batch."""
    payload = script.add("tip", TIP)
    script.fail_cursor(None, Fault.invalid_json())
    error = await poll_error(client, client.first_url())
    assert isinstance(error, MalformedResponseError)
    assert (error.status, is_fatal(error)) == (200, False)
    assert [event.id for event in (await client.poll(client.first_url())).events] == [payload["id"]]


async def test_network_error_is_a_connection_error(http: httpx.AsyncClient) -> None:
    """Nothing listening: SourceConnectionError, retryable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = EventsClient(http, f"http://127.0.0.1:{port}/events/", "my_room", TOKEN, server_timeout=1)
    error = await poll_error(client, client.first_url())
    assert type(error) is SourceConnectionError
    assert not is_fatal(error)


async def test_read_timeout_is_a_connection_error_but_a_held_poll_is_not(
    http: httpx.AsyncClient, server: TestServer, script: EventsScript
) -> None:
    """A poll held for the whole server timeout completes; only a slower answer times out."""
    script.hold_empty = 1
    client = EventsClient(http, events_base_url(server), script.username, TOKEN, 1, read_margin=0.5)
    started = time.monotonic()
    assert (await client.poll(client.first_url())).events == []
    assert time.monotonic() - started >= 1
    script.fail_request(2, Fault.slow(2.5))
    started = time.monotonic()
    error = await poll_error(client, client.first_url())
    assert type(error) is SourceConnectionError
    assert "ReadTimeout" in str(error)
    assert 1.4 < time.monotonic() - started < 2.4


async def test_foreign_next_url_is_refused(client: EventsClient, script: EventsScript) -> None:
    """A nextUrl on another host is never followed, and a foreign URL is never requested."""
    script.add("tip", TIP)
    script.fail_request(1, Fault.foreign_next_url("evil.example"))
    error = await poll_error(client, client.first_url())
    assert isinstance(error, ForeignNextUrlError)
    assert is_fatal(error)
    assert "evil.example" in str(error)
    error = await poll_error(client, f"http://evil.example/events/my_room/{TOKEN}/?timeout=1")
    assert isinstance(error, ForeignNextUrlError)
    assert len(script.requests) == 1


# --- redaction -----------------------------------------------------------------------------------


async def test_token_never_reaches_logs_messages_or_reprs(
    caplog: pytest.LogCaptureFixture, client: EventsClient, script: EventsScript, http: httpx.AsyncClient
) -> None:
    """Success, auth, 5xx, 400, malformed, foreign and connection failures all keep the token out."""
    caplog.set_level(logging.DEBUG)
    # httpx's own level too: the service's configure_logging (run by other tests in this process) quiets it.
    caplog.set_level(logging.DEBUG, logger="httpx")
    script.add("tip", TIP)
    for number, fault in enumerate(
        [
            Fault.http_status(401, {"url": f"/events/my_room/{TOKEN}/"}),
            Fault.http_status(503),
            Fault.http_status(400, f"bad {TOKEN}"),
            Fault.invalid_json(),
            Fault.foreign_next_url(),
        ],
        start=1,
    ):
        script.fail_request(number, fault)
    url = client.first_url()
    errors = [await poll_error(client, url) for _ in range(5)]
    batch = await client.poll(url)
    closed = EventsClient(http, "http://127.0.0.1:9/events/", "my_room", TOKEN, server_timeout=1)
    errors.append(await poll_error(closed, closed.first_url()))
    # aiohttp.* is the fake upstream's own access log: the server side, which knows the token anyway.
    ours = [record.getMessage() for record in caplog.records if not record.name.startswith("aiohttp")]
    texts = [*ours, repr(client), repr(batch), client.redact(url)]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert any("HTTP Request" in line for line in ours)  # httpx logged the URLs; the filter cleaned them
    assert [text for text in texts if TOKEN in text] == []
    assert "/events/my_room/***/" in client.redact(url)


# --- backoff -------------------------------------------------------------------------------------


def test_backoff_grows_to_the_cap_and_resets() -> None:
    """Without jitter the ceiling doubles from 1 s and stops at 300 s; reset starts over."""
    backoff = Backoff(jitter=False)
    delays = [backoff.next_delay() for _ in range(12)]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert backoff.failures == 12
    backoff.reset()
    assert (backoff.failures, backoff.next_delay()) == (0, 1)
    with pytest.raises(ValueError, match="base <= cap"):
        Backoff(base=0)
    with pytest.raises(ValueError, match="factor >= 1"):
        Backoff(factor=0.5)


def test_backoff_full_jitter_stays_within_bounds() -> None:
    """With a seeded source each delay lies in [0, ceiling] and the draws are reproducible."""
    runs = []
    for _ in range(2):
        backoff = Backoff(base=0.5, cap=20, rand=random.Random(1234).random)
        runs.append([backoff.next_delay() for _ in range(40)])
    assert runs[0] == runs[1]
    ceilings = [min(20, 0.5 * 2**n) for n in range(40)]
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(runs[0], ceilings, strict=True))
    assert len(set(runs[0])) == 40  # jittered, not a constant
    assert Backoff(rand=lambda: 7.0).next_delay() == 1  # a bad source is clamped, never over the ceiling
    assert Backoff(rand=lambda: -1.0).next_delay() == 0


def test_backoff_honours_retry_after_up_to_the_cap() -> None:
    """Retry-After is a floor, but never beyond the cap."""
    backoff = Backoff(rand=lambda: 0.0)
    assert backoff.next_delay(retry_after=12) == 12
    assert backoff.next_delay(retry_after=10_000) == 300
    assert backoff.next_delay(retry_after=float("inf")) == 0
    assert backoff.next_delay(retry_after=-5) == 0


@given(
    seed=st.integers(0, 2**32),
    failures=st.integers(1, 2_000),
    wait=st.none() | st.floats(-1e6, 1e6),
    cap=st.floats(1, 1e4),
)
def test_backoff_properties(seed: int, failures: int, wait: float | None, cap: float) -> None:
    """Any number of failures: 0 <= delay <= cap, and a Retry-After below the cap is respected."""
    backoff = Backoff(cap=cap, rand=random.Random(seed).random)
    for _ in range(failures - 1):
        backoff.next_delay()
    delay = backoff.next_delay(wait)
    assert 0 <= delay <= cap
    if wait is not None:
        assert delay >= min(wait, cap)


def test_parse_retry_after() -> None:
    """Delta-seconds and HTTP-dates; garbage and non-finite values are None, negatives are 0."""
    now = datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Fri, 02 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 02 Jan 2026 00:00:30", now=now) == 30.0
    for bad in (None, "", "soon", "inf", "nan"):
        assert parse_retry_after(bad) is None


def test_event_id_helpers() -> None:
    """Ids split into (ms, sequence) and order numerically, not as strings."""
    assert parse_event_id("1767312000123-0") == (1_767_312_000_123, 0)
    assert parse_event_id("999-10") > parse_event_id("999-9")
    with pytest.raises(ValueError, match="not an Events API id"):
        parse_event_id("abc")


def test_retry_helpers_classify_errors() -> None:
    """is_fatal is true only for auth, not-found and foreign-URL errors."""
    fatal = [SourceAuthError("x", status=401), SourceNotFoundError("x", status=404), ForeignNextUrlError("x")]
    retry = [
        SourceConnectionError("x"),
        SourceResponseError("x", status=400),
        SourceRateLimitedError("x", retry_after=1),
        EventsServerError("x", status=503),
        MalformedResponseError("x", status=200),
    ]
    assert [is_fatal(error) for error in fatal + retry] == [True] * 3 + [False] * 5
    assert retry_after(ValueError()) is None
    assert isinstance(EventBatch([], [], "u"), EventBatch)


def test_redact_masks_the_token_in_any_encoding(http: httpx.AsyncClient) -> None:
    """A token with + / = & is masked raw, percent-encoded (either hex case) and form-encoded."""
    token = "Ab+cd/ef=gh&ij-0123456789"
    client = EventsClient(http, "http://127.0.0.1:9/events/", "my_room", token)
    for shown in (
        token,
        "Ab%2Bcd%2Fef%3Dgh%26ij-0123456789",
        "Ab%2bcd%2fef%3dgh%26ij-0123456789",
        "Ab+cd%2Fef%3Dgh%26ij-0123456789",
    ):
        assert (
            client.redact(f"page echoed /events/my_room/{shown}/ here")
            == "page echoed /events/my_room/***/ here"
        )
