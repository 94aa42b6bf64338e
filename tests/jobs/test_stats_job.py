"""The Stats API job against the fake on loopback: distinct snapshots, offline pacing, errors."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from service.jobs import stats
from service.jobs.base import JobContext
from service.store.db import Database
from tests.fakes import Fault, load_fixture
from tests.fakes.stats import DEFAULT_TOKEN, PATH, StatsFake, make_app
from tests.support.upstreams import FAST, context, rows, run_via_runner


async def _ctx(aiohttp_server: Any, db: Database, http: httpx.AsyncClient, fake: StatsFake) -> JobContext:
    server = await aiohttp_server(make_app(fake))
    return context(
        db, http, stats_url=str(server.make_url(PATH)), stats_token=DEFAULT_TOKEN, broadcaster="my_room"
    )


async def _poll(ctx: JobContext) -> str:
    return await stats.poll(ctx, retry=FAST)


SPEC = dataclasses.replace(stats.SPEC, run=_poll)


async def test_each_distinct_snapshot_is_stored_once(aiohttp_server, db, http) -> None:
    """Same figures twice: one row (time moved); a change: a second row; followers feed the state."""
    fake = StatsFake()
    ctx = await _ctx(aiohttp_server, db, http, fake)
    assert "new snapshot stored" in await _poll(ctx)
    assert "unchanged" in await _poll(ctx)
    fake.snapshot = {**fake.snapshot, "num_followers": 8125}
    await _poll(ctx)
    snaps = await rows(
        db, "SELECT num_followers, fetched_at, last_fetched_at FROM stats_snapshots ORDER BY id"
    )
    assert [s["num_followers"] for s in snaps] == [8123, 8125]
    assert snaps[0]["last_fetched_at"] > snaps[0]["fetched_at"]
    (state,) = await rows(
        db, "SELECT followers, followers_source FROM person_state WHERE username = 'my_room'"
    )
    assert (state["followers"], state["followers_source"]) == (8125, "stats")
    assert len(await rows(db, "SELECT * FROM follower_history WHERE source = 'stats'")) == 3


async def test_offline_room_is_asked_less_often(aiohttp_server, db, http) -> None:
    """-1 sentinels become NULL; while offline the next run within 15 minutes makes no request."""
    fake = StatsFake()
    fake.snapshot = {**fake.snapshot, "time_online": -1, "last_broadcast": -1}
    ctx = await _ctx(aiohttp_server, db, http, fake)
    assert (await _poll(ctx)).startswith("offline,")
    assert "next check after" in await _poll(ctx)
    assert len(fake.requests) == 1
    (snap,) = await rows(db, "SELECT time_online, last_broadcast FROM stats_snapshots")
    assert (snap["time_online"], snap["last_broadcast"]) == (None, None)


async def test_faults_retried_and_bad_token_recorded_without_the_token(aiohttp_server, db, http) -> None:
    """429 + Retry-After and 500 are retried; a 401 is the job's error, the token never shown."""
    fake = StatsFake()
    fake.script(Fault.rate_limited(retry_after="2"), Fault.server_error())
    ctx = await _ctx(aiohttp_server, db, http, fake)
    assert (await run_via_runner(SPEC, ctx))[0] == "ok"
    bad = dataclasses.replace(ctx, config=ctx.config.replace(stats_token="wrong-token-123"))
    status, message, last_error = await run_via_runner(SPEC, bad)
    assert status == "error" and last_error is not None
    assert "wrong-token-123" not in message and "wrong-token-123" not in last_error


async def test_malformed_and_slow_answers(aiohttp_server, db, http) -> None:
    fake = StatsFake()
    fake.script(Fault.malformed(b'{"username": "my_room", '), Fault.slow(0.3))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, _, last_error = await run_via_runner(SPEC, ctx)
    assert status == "error" and last_error is not None
    status, _, last_error = await run_via_runner(SPEC, ctx)
    assert (status, last_error) == ("ok", None)


async def test_not_configured_without_token_or_broadcaster(db, http) -> None:
    status, message, _ = await run_via_runner(stats.SPEC, context(db, http, broadcaster="me"))
    assert (status, message) == ("skipped", "not configured: no Stats API token")
    status, message, _ = await run_via_runner(stats.SPEC, context(db, http, stats_token="t"))
    assert (status, message) == ("skipped", "not configured: no broadcaster username")


async def test_implausible_figures_are_refused_or_nulled(aiohttp_server, db, http) -> None:
    """followers -5 refuses the snapshot with a clear reason; an optional figure out of range is NULL."""
    fake = StatsFake(snapshot={**load_fixture("stats", "statsapi.json"), "num_tokened_viewers": -3})
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, message, _ = await run_via_runner(SPEC, ctx)
    assert status == "ok" and message.endswith("; 1 out-of-range value nulled (num_tokened_viewers 1)")
    (row,) = await rows(db, "SELECT num_tokened_viewers, num_followers FROM stats_snapshots")
    assert row == {"num_tokened_viewers": None, "num_followers": 8123}
    fake.snapshot["num_followers"] = -5
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM stats_snapshots")
    status, _, last_error = await run_via_runner(SPEC, ctx)
    assert status == "error" and last_error is not None
    assert "num_followers" in last_error and "plausible range" in last_error
