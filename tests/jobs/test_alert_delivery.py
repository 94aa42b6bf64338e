"""The alert outbox's sender against fake receivers on 127.0.0.1: formats, signature, idempotency key,
retries with backoff, a hanging receiver, giving up, and exactly one send per alert and destination."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from service.clock import now_db
from service.ingest.live_feed import EventsHub
from service.jobs.alert_delivery import AlertDelivery, DeliveryOptions, refresh_secrets, send_test
from service.logs import RedactingFormatter, SecretRegistry
from service.store import alert_destinations, alert_outbox
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.alert_receivers import ReceiverFake, make_app
from tests.support.alert_outbox import FAST, add_destination, config_of, deliveries, raise_one, sender

SECRET = "signing-secret-42"
TOKEN = "Tok3nInThePath"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
def receiver() -> ReceiverFake:
    return ReceiverFake(secret=SECRET)


@pytest.fixture
async def server(aiohttp_server: AiohttpServer, receiver: ReceiverFake) -> TestServer:
    return await aiohttp_server(make_app(receiver), host="127.0.0.1")


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def base(server: TestServer) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_a_webhook_is_signed_keyed_and_sent_once(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """The generic webhook: JSON with the idempotency key, HMAC over the body; never sent twice."""
    dest = await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret=SECRET)
    alert_id = await raise_one(db, 1)
    delivery = sender(db, http, config_of(tmp_path))
    assert await delivery.deliver_due() == 1
    assert await delivery.deliver_due() == 0
    assert receiver.keys() == [f"mhc-alert-{alert_id}-destination-{dest}"]
    message = receiver.accepted[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), message.body, hashlib.sha256).hexdigest()
    assert message.headers["X-MHC-Signature"] == expected
    payload = message.json()
    assert payload["alert"]["title"] == "whale tipped 5,000"
    assert payload["alert"]["url"] == "http://127.0.0.1:8756/profile/whale"
    assert payload["alert"]["kind"] == "big_tip" and payload["test"] is False
    assert [(d.state, d.attempts) for d in await deliveries(db)] == [("sent", 1)]


async def test_a_wrong_signing_secret_is_refused_by_the_receiver(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """The receiver checks the signature: a delivery signed with another secret stays pending."""
    await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret="not-the-secret")
    await raise_one(db, 1)
    await sender(db, http, config_of(tmp_path)).deliver_due()
    [row] = await deliveries(db)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error is not None and row.last_error.startswith("HTTP 401")
    assert receiver.accepted == []


async def test_discord_and_ntfy_shapes(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """Discord gets content + an embed (key in the footer); ntfy the text with Title/Tags/Click."""
    await add_destination(db, "discord", f"{base(server)}/api/webhooks/123/{TOKEN}")
    await add_destination(db, "ntfy", f"{base(server)}/mytopic-{TOKEN}")
    alert_id = await raise_one(db, 1, title="whale_wendy (Diamond) entered your room — at last")
    await sender(db, http, config_of(tmp_path)).deliver_due()
    by_format = {m.format: m for m in receiver.accepted}
    assert set(by_format) == {"discord", "ntfy"}
    discord = by_format["discord"].json()
    assert discord["content"] == "whale_wendy (Diamond) entered your room — at last"
    [embed] = discord["embeds"]
    assert embed["url"] == "http://127.0.0.1:8756/profile/whale"
    assert f"mhc-alert-{alert_id}-destination-1" in embed["footer"]["text"]
    assert discord["allowed_mentions"] == {"parse": []}
    ntfy = by_format["ntfy"]
    assert ntfy.headers["Title"] == "whale_wendy (Diamond) entered your room — at last"
    assert ntfy.headers["Tags"] == "moneybag"
    assert ntfy.headers["Click"] == "http://127.0.0.1:8756/profile/whale"
    assert ntfy.body.decode() == "That is their biggest tip.\n\nhttp://127.0.0.1:8756/profile/whale"
    assert ntfy.idempotency_key == f"mhc-alert-{alert_id}-destination-2"


async def test_a_receiver_failing_twice_gets_each_alert_once_after_backoff(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """Two failures (one echoing the URL) then success: sent on the third attempt, in order, the
    stored error masked; the other alert waited with it instead of failing on its own."""
    url = f"{base(server)}/hook/{TOKEN}"
    await add_destination(db, "webhook", url, secret=SECRET)
    first, second = await raise_one(db, 1), await raise_one(db, 2)
    receiver.script(Fault(502, f"bad gateway for {url}".encode()), Fault.server_error(503))
    secrets = SecretRegistry()
    await refresh_secrets(db, secrets)
    delivery = sender(db, http, config_of(tmp_path), secrets=secrets)
    await delivery.deliver_due()
    [row, waiting] = await deliveries(db)
    assert (row.state, row.attempts, waiting.attempts) == ("pending", 1, 0)
    assert row.last_error is not None and TOKEN not in row.last_error and "***" in row.last_error
    delivery.start()
    try:
        await until(lambda: _all_sent(db))
    finally:
        await delivery.stop()
    assert receiver.keys() == [f"mhc-alert-{first}-destination-1", f"mhc-alert-{second}-destination-1"]
    assert [d.attempts for d in await deliveries(db)] == [3, 1]
    assert len(receiver.requests) == 4


async def _all_sent(db: Database) -> bool:
    return all(d.state == "sent" for d in await deliveries(db))


async def test_a_hanging_receiver_times_out_without_holding_up_others(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path,
    *, aiohttp_server: AiohttpServer,
) -> None:  # fmt: skip
    """A receiver that never answers costs one timeout and a retry; another destination is served
    meanwhile."""
    healthy = ReceiverFake()
    other = await aiohttp_server(make_app(healthy), host="127.0.0.1")
    await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret=SECRET)
    await add_destination(db, "ntfy", f"{base(other)}/topic")
    receiver.script(Fault.slow(30))
    options = DeliveryOptions(retry_first=60, retry_max=60, send_timeout=0.5, poll_seconds=1)
    await raise_one(db, 1)
    started = asyncio.get_running_loop().time()
    await sender(db, http, config_of(tmp_path), options).deliver_due()
    assert asyncio.get_running_loop().time() - started < 5
    rows = {d.destination_id: d for d in await deliveries(db)}
    assert rows[1].state == "pending" and rows[1].last_error == "no answer within 0.5 s"
    assert rows[2].state == "sent" and len(healthy.accepted) == 1


async def test_a_delivery_is_given_up_after_the_give_up_time_with_its_reason(
    db: Database, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A receiver that is never up: retried until the give-up time, then given up with the last error."""
    await add_destination(db, "webhook", f"http://127.0.0.1:9/hook/{TOKEN}")
    await raise_one(db, 1)
    delivery = sender(db, http, config_of(tmp_path, alert_give_up_hours="0.0002"))  # 0.72 s
    delivery.start()
    try:
        await until(lambda: _state_is(db, "gave_up"))
    finally:
        await delivery.stop()
    [row] = await deliveries(db)
    assert row.attempts >= 2
    assert row.last_error is not None and row.last_error.startswith("gave up after 1 s and")
    assert "could not connect" in row.last_error and TOKEN not in row.last_error
    async with db.read() as conn:
        health = (await alert_destinations.health(conn))[1]
        [given_up] = await alert_destinations.recent_given_up(conn)
    assert (health.pending, health.gave_up, health.sent) == (0, 1, 0)
    assert given_up.reason == row.last_error


async def _state_is(db: Database, state: str) -> bool:
    return [d.state for d in await deliveries(db)] == [state]


async def test_retry_after_is_honoured(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """A 429 with Retry-After: the next attempt waits at least that long."""
    await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret=SECRET)
    await raise_one(db, 1)
    receiver.script(Fault.rate_limited(retry_after="120"))
    await sender(db, http, config_of(tmp_path)).deliver_due()
    async with db.read() as conn:
        next_at = await alert_outbox.next_due_at(conn)
        assert await alert_outbox.due(conn, now=now_db()) == []
    assert next_at is not None


def test_backoff_doubles_is_capped_and_jittered() -> None:
    """30 s, 60 s, 120 s … up to the cap; the jitter draws between half and all of it."""
    options = DeliveryOptions(retry_first=30, retry_max=600)
    assert [options.retry_delay(n, lambda: 1.0) for n in (1, 2, 3, 6, 40)] == [30, 60, 120, 600, 600]
    assert options.retry_delay(2, lambda: 0.0) == 30


async def test_a_disabled_destination_keeps_its_deliveries_waiting(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """Disabled after the alert was raised: nothing is sent until it is enabled again."""
    url = f"{base(server)}/hook/{TOKEN}"
    dest = await add_destination(db, "webhook", url, secret=SECRET)
    await raise_one(db, 1)
    async with db.transaction() as conn:
        await alert_destinations.update_destination(
            conn, dest, name="x", target=url, signing_secret=SECRET, kinds=[], enabled=False
        )
    delivery = sender(db, http, config_of(tmp_path))
    assert await delivery.deliver_due() == 0
    async with db.transaction() as conn:
        await alert_destinations.update_destination(
            conn, dest, name="x", target=url, signing_secret=SECRET, kinds=[], enabled=True
        )
    assert await delivery.deliver_due() == 1
    assert len(receiver.accepted) == 1


async def test_send_test_reports_the_outcome_in_a_sentence(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """The "send test" button: sent now (not through the outbox), answered with a sentence."""
    await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret=SECRET)
    async with db.read() as conn:
        [destination] = await alert_destinations.list_destinations(conn)
    ok, sentence = await send_test(http, destination, config_of(tmp_path), FAST)
    assert ok and sentence == "The test message to “my webhook” was accepted (HTTP 200)."
    assert receiver.accepted[0].json()["test"] is True
    receiver.script(Fault(500, f"no such hook /hook/{TOKEN}".encode()))
    ok, sentence = await send_test(http, destination, config_of(tmp_path), FAST)
    assert not ok and sentence == "The test message to “my webhook” failed: HTTP 500: no such hook ***."
    assert await deliveries(db) == []


async def test_the_logs_mask_destination_urls_and_secrets(db: Database) -> None:
    """After refresh_secrets the log formatter hides the webhook's URL, its token and the secret."""
    await add_destination(db, "discord", f"https://discord.example/api/webhooks/1/{TOKEN}", secret=None)
    await add_destination(db, "webhook", "https://hooks.example/in", secret=SECRET)
    registry = SecretRegistry()
    registry.replace(["settings-token"])
    await refresh_secrets(db, registry)
    formatter = RedactingFormatter("%(message)s", registry.values)
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               f"posting to {json.dumps('/api/webhooks/1/' + TOKEN)} with {SECRET} and "
                               "settings-token; other https://hooks.example/in", None, None)  # fmt: skip
    line = formatter.format(record)
    assert TOKEN not in line and SECRET not in line and "settings-token" not in line
    assert "hooks.example/in" not in line


async def test_a_committed_alert_wakes_the_sender_at_once(
    db: Database, http: httpx.AsyncClient, server: TestServer, receiver: ReceiverFake, tmp_path: Path
) -> None:
    """With a long poll interval, the hub's notice (sent after a commit that raised alerts) is what
    makes the sender look at the outbox."""
    await add_destination(db, "webhook", f"{base(server)}/hook/{TOKEN}", secret=SECRET)
    hub = EventsHub()
    slow_poll = DeliveryOptions(retry_first=1, retry_max=1, send_timeout=2, poll_seconds=60)
    delivery = AlertDelivery(db, http, lambda: config_of(tmp_path), hub, SecretRegistry(), slow_poll)
    delivery.start()
    try:
        await asyncio.sleep(0.2)  # the sender found nothing and sleeps for a minute
        await raise_one(db, 1)
        hub.notify()
        await until(lambda: _all_sent(db), seconds=3)
    finally:
        await delivery.stop()
    assert len(receiver.accepted) == 1
