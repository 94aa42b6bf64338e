"""The Events API consumer against the fake: faults, exactly-once across kills, gaps, status."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.store.db import Connection, Database
from tests.fakes.events import EventsScript, Fault
from tests.support.events import scalar, stored_ids
from tests.support.events_stream import TOKEN, ConfigBox, add_mixed, eventually, fast_backoff

T = TypeVar("T")


async def state_of(db: Database) -> tuple[str | None, str | None]:
    async with db.read() as conn, conn.execute("SELECT state, detail FROM events_stream_state") as cursor:
        row = await cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


async def count_events(db: Database) -> int:
    return int(await scalar(db, "SELECT count(*) FROM room_events"))


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    yield
    # Every phase's records (caplog.text alone holds only this teardown's). The fake upstream's own
    # access log is left out: it shows the URL it was asked, as the real upstream's logs would.
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    ours = [record.getMessage() for record in records if record.name != "aiohttp.access"]
    assert not [message for message in ours if TOKEN in message]


async def test_faults_are_survived_and_every_event_stored_once(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """429, 503, the 400 empty poll and a malformed element: all events stored once, one quarantined."""
    script.batch_size = 50
    add_mixed(script, 220)
    script.fail_request(2, Fault.rate_limited("0"))
    script.fail_request(3, Fault.http_status(503, "upstream down"))
    script.fail_cursor(script.ids[99], Fault.waited_too_long())
    script.fail_request(7, Fault.malformed({"method": "tip", "id": "not-an-id", "object": {}}, position=3))
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _count_is(db, len(script.ids)))
        await eventually(lambda: _quarantined(db, 1))
    finally:
        await stream.stop()
    assert await stored_ids(db) == script.ids
    assert {r.status for r in script.requests} >= {200, 400, 429, 503}
    assert await state_of(db) == ("connected", None)
    reason = await scalar(db, "SELECT reason FROM events_quarantine")
    assert "id" in reason


async def _count_is(db: Database, expected: int) -> bool:
    return await count_events(db) == expected


async def _count_above(db: Database, floor: int) -> bool:
    return await count_events(db) > floor


async def _quarantined(db: Database, expected: int) -> bool:
    return int(await scalar(db, "SELECT count(*) FROM events_quarantine")) == expected


async def test_kill_and_restart_mid_stream_loses_and_doubles_nothing(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """Consumers cancelled at random moments (mid-poll, mid-commit) leave exactly the scripted events."""
    script.batch_size = 37
    add_mixed(script, 600, seed=7)
    rng = random.Random(3)
    seen_at_kill: list[int] = []
    first_requests: list[tuple[int, str | None]] = []  # (request number, last stored id at start)
    for round_number in range(8):
        # The room goes on between the kills: each consumer has events left to store when it is killed.
        add_mixed(script, 150, seed=100 + round_number)
        stored = await stored_ids(db)
        first_requests.append((len(script.requests), stored[-1] if stored else None))
        stream = make_stream()
        stream.start()
        if round_number % 4 != 0:
            # Let at least one batch land, then kill at a random moment of the next poll or commit.
            before = await count_events(db)
            await eventually(lambda before=before: _count_above(db, before))  # type: ignore[misc]
        await asyncio.sleep(rng.uniform(0.0, 0.02))
        await stream.stop()
        seen_at_kill.append(await count_events(db))
        if round_number == 3:
            add_mixed(script, 300, seed=11)  # the room goes on while the service is down
    stored = await stored_ids(db)
    first_requests.append((len(script.requests), stored[-1] if stored else None))
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _count_is(db, len(script.ids)))
    finally:
        await stream.stop()
    assert await stored_ids(db) == script.ids
    # Each consumer's first request resumed at the last stored event (?i=), or at the backlog when
    # nothing was stored yet; a kill before its first request leaves nothing to check.
    for number, last_id in first_requests:
        if number < len(script.requests):
            assert script.requests[number].cursor == last_id
    # The kills really happened mid-stream, with part of the script stored.
    assert any(0 < seen < len(script.ids) for seen in seen_at_kill), seen_at_kill
    # Derived figures were counted once per stored event, not once per delivery.
    # Anonymous tips count for nobody (issue 8 item 4).
    with_user = await scalar(
        db, "SELECT count(*) FROM room_events WHERE person_id IS NOT NULL AND NOT is_anon"
    )
    assert await scalar(db, "SELECT sum(events) FROM person_room_stats") == with_user
    visits = await scalar(db, "SELECT count(*) FROM room_events WHERE method = 'userEnter'")
    assert await scalar(db, "SELECT sum(visits) FROM person_room_stats") == visits
    named_tips = await scalar(db, "SELECT sum(tokens) FROM room_events WHERE method = 'tip' AND NOT is_anon")
    assert await scalar(db, "SELECT sum(tokens_tipped) FROM person_room_stats") == named_tips
    assert await scalar(db, "SELECT count(*) FROM events_gaps") == 0


async def test_foreign_next_url_stops_the_stream(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """A nextUrl on another host is refused, reported, and the batch it came with is not committed."""
    add_mixed(script, 5)
    script.fail_request(1, Fault.foreign_next_url())
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _state_is(db, "stopped"))
    finally:
        await stream.stop()
    _, detail = await state_of(db)
    assert detail and "refused a nextUrl" in detail and "evil.example" in detail and TOKEN not in detail
    assert await count_events(db) == 0


async def _state_is(db: Database, expected: str) -> bool:
    return (await state_of(db))[0] == expected


async def test_token_rejected_then_fixed(
    db: Database, script: EventsScript, config: ConfigBox, make_stream: Callable[[], EventsStream]
) -> None:
    """401 stops the stream with "token rejected"; a corrected token in Settings starts it again."""
    add_mixed(script, 10)
    config.set(events_token="wrong-token")
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _state_is(db, "stopped"))
        assert (await state_of(db))[1].startswith("token rejected")  # type: ignore[union-attr]
        config.set(events_token=TOKEN)
        stream.config_changed()
        await eventually(lambda: _count_is(db, 10))
    finally:
        await stream.stop()
    assert await state_of(db) == ("connected", None)


async def test_not_configured_waits_for_settings(
    db: Database, script: EventsScript, config: ConfigBox, make_stream: Callable[[], EventsStream]
) -> None:
    """Without a token the stream says so and polls nothing until one is set."""
    add_mixed(script, 3)
    config.set(events_token="")
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _state_is(db, "not_configured"))
        assert script.requests == []
        config.set(events_token=TOKEN)
        stream.config_changed()
        await eventually(lambda: _count_is(db, 3))
    finally:
        await stream.stop()


async def test_new_token_records_a_gap_and_restarts_from_the_backlog(
    db: Database, script: EventsScript, config: ConfigBox, make_stream: Callable[[], EventsStream]
) -> None:
    """A replaced token makes the stored cursor foreign: a gap is recorded, the backlog re-read once."""
    add_mixed(script, 20)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _count_is(db, 20))
        script.token = "a-brand-new-token"
        add_mixed(script, 15, seed=5)
        config.set(events_token="a-brand-new-token")
        stream.config_changed()
        await eventually(lambda: _count_is(db, 35))
    finally:
        await stream.stop()
    assert await stored_ids(db) == script.ids
    assert await scalar(db, "SELECT count(*) FROM events_gaps") == 1
    assert await scalar(db, "SELECT last_event_id FROM events_gaps") == script.ids[19]


async def test_backing_off_is_shown_with_its_end(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """While 503s repeat the status says "backing_off" until a time; then the stream recovers."""
    add_mixed(script, 4)
    script.fail_cursor(None, Fault.http_status(503, "busy"), times=30)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _state_is(db, "backing_off"))
        assert await scalar(db, "SELECT until FROM events_stream_state") is not None
        await eventually(lambda: _count_is(db, 4))
        await eventually(lambda: _state_is(db, "connected"))
    finally:
        await stream.stop()


class _CountingDatabase(Database):
    """The real database, counting the Events batches' write transactions; the first waits until the
    stream has polled `hold_until` batches ahead, as it would behind a slow disk."""

    def __init__(self, path: Path, script: EventsScript, hold_until: int) -> None:
        super().__init__(path)
        self.writes = 0
        self._script, self._hold_until = script, hold_until

    async def write_on_thread(self, work: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        if self.writes == 0:
            await eventually(lambda: _requests_at_least(self._script, self._hold_until))
        self.writes += 1
        return await super().write_on_thread(work)


async def _requests_at_least(script: EventsScript, count: int) -> bool:
    return len(script.requests) >= count


async def test_a_backlog_is_stored_several_polled_batches_a_transaction(
    tmp_path: Path, http: httpx.AsyncClient, config: ConfigBox, script: EventsScript
) -> None:
    """While a transaction runs, the stream polls on; the batches waiting then go in together, with the
    cursor after the last of them. Every event stored once."""
    script.batch_size = 50
    add_mixed(script, 600, seed=5)  # 12 batches
    db = _CountingDatabase(tmp_path / "counted.sqlite3", script, hold_until=5)
    await db.open()
    try:
        options = StreamOptions(server_timeout=1, backoff=fast_backoff, polls_ahead=4, events_per_commit=200)
        stream = EventsStream(db, http, lambda: config.current, EventsHub(), options)
        stream.start()
        try:
            await eventually(lambda: _count_is(db, len(script.ids)))
        finally:
            await stream.stop()
        assert await stored_ids(db) == script.ids
        # The first transaction stored one batch (it was polled alone); the four polled meanwhile
        # went in as two transactions of 200 events, not four.
        assert db.writes < 12
        cursor = await scalar(db, "SELECT cursor FROM events_stream_state")
        assert f"i={script.ids[-1]}" in cursor
    finally:
        await db.close()
