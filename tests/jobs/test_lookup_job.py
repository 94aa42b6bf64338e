"""The priority-1 lookup job: every pending entry ends done or not_found, with the reason."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from service.clock import now_db
from service.jobs import lookup as lookup_job
from service.jobs.base import JobContext
from service.store import affiliate as affiliate_store
from service.store import lookup, persons
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.cbhours import PATH as CB_PATH
from tests.fakes.cbhours import CBHoursFake
from tests.fakes.cbhours import make_app as cb_app
from tests.fakes.statbate import DEFAULT_TOKEN, PREFIX, StatbateFake
from tests.fakes.statbate import make_app as sb_app
from tests.support.upstreams import FAST, NO_PACING, context, rows


async def _ctx(
    aiohttp_server: Any, db: Database, http: httpx.AsyncClient, cb: CBHoursFake, **cfg: str
) -> JobContext:
    cb_server = await aiohttp_server(cb_app(cb))
    sb_server = await aiohttp_server(sb_app(StatbateFake()))
    return context(
        db, http, cbhours_url=str(cb_server.make_url(CB_PATH)), statbate_url=str(sb_server.make_url(PREFIX)),
        statbate_token=DEFAULT_TOKEN, **cfg,
    )  # fmt: skip


async def _queue(db: Database, *names: str) -> None:
    async with db.transaction() as conn:
        for name in names:
            await lookup.enqueue(conn, name, 1, "", "owner")


async def _process(ctx: JobContext) -> str:
    return await lookup_job.process(ctx, retry=FAST, limiter=NO_PACING)


async def _entries(db: Database) -> dict[str, tuple[str, str | None]]:
    found = await rows(
        db, "SELECT p.username, q.status, q.reason FROM lookup_queue q JOIN persons p ON p.id = q.person_id"
    )
    return {r["username"]: (r["status"], r["reason"]) for r in found}


async def test_found_and_not_found_without_an_affiliate_feed(aiohttp_server, db, http) -> None:
    """No feed configured: decided at once from CBHours and Statbate."""
    await _queue(db, "lisbon_lifter", "fan_42", "ghost_9")
    ctx = await _ctx(aiohttp_server, db, http, CBHoursFake())
    assert await _process(ctx) == "3 pending: 2 found, 1 not found, 0 waiting; 0 person states refreshed"
    entries = await _entries(db)
    assert entries["lisbon_lifter"] == ("done", "found in cbhours")
    assert entries["fan_42"] == ("done", "found in statbate")
    assert entries["ghost_9"] == (
        "not_found", "no affiliate sweep to look in; not tracked by CBHours; unknown to Statbate",
    )  # fmt: skip
    (state,) = await rows(db, "SELECT lookup_status FROM person_state WHERE username = 'ghost_9'")
    assert state["lookup_status"] == "not_found"
    assert await _process(ctx) == "no pending lookups; 0 person states refreshed"


async def test_waits_for_one_affiliate_sweep_after_queueing(aiohttp_server, db, http) -> None:
    """With the feed configured, an unknown name waits for a sweep, then is not_found; asked once."""
    await _queue(db, "ghost_9")
    cb = CBHoursFake()
    ctx = await _ctx(aiohttp_server, db, http, cb, affiliate_wm="AbCdE")
    assert await _process(ctx) == "1 pending: 0 found, 0 not found, 1 waiting; 0 person states refreshed"
    asked = len(cb.requests)
    assert await _process(ctx) == "1 pending: 0 found, 0 not found, 1 waiting; 0 person states refreshed"
    assert len(cb.requests) == asked  # not asked again while waiting
    async with db.transaction() as conn:
        await affiliate_store.record_sweep(conn, started_at=now_db(), finished_at=now_db(), reported_count=0,
                                           rooms=0, pages=1, duplicates=0, invalid=0, filters="")  # fmt: skip
    assert await _process(ctx) == "1 pending: 0 found, 1 not found, 0 waiting; 0 person states refreshed"
    assert (await _entries(db))["ghost_9"][1] == (
        "not in the affiliate feed; not tracked by CBHours; unknown to Statbate"
    )


async def test_a_failing_source_is_asked_again(aiohttp_server, db, http) -> None:
    await _queue(db, "ghost_9")
    cb = CBHoursFake()
    cb.script(*[Fault.server_error()] * 3)
    ctx = await _ctx(aiohttp_server, db, http, cb, affiliate_wm="AbCdE")
    await _process(ctx)
    (entry,) = await rows(db, "SELECT attempts, status FROM lookup_queue")
    assert (entry["attempts"], entry["status"]) == (0, "pending")
    ctx2 = dataclasses.replace(ctx, config=ctx.config.replace(affiliate_wm=""))
    assert await _process(ctx2) == "1 pending: 0 found, 1 not found, 0 waiting; 0 person states refreshed"


async def test_states_left_behind_by_other_writers_are_refreshed(db, http) -> None:
    """A person created elsewhere gets a person_state row; a moved event count is copied."""
    async with db.transaction() as conn:
        ids = await persons.ensure_persons(conn, ["from_events"])
        await conn.execute(
            "INSERT INTO person_room_stats (person_id, events) VALUES (:p, 3)", {"p": ids["from_events"]}
        )
    ctx = context(db, http)
    assert await _process(ctx) == "no pending lookups; 1 person states refreshed"
    async with db.transaction() as conn:
        await conn.execute("UPDATE person_room_stats SET events = 5")
    assert await _process(ctx) == "no pending lookups; 1 person states refreshed"
    (state,) = await rows(db, "SELECT events_count FROM person_state")
    assert state["events_count"] == 5
    assert await _process(ctx) == "no pending lookups; 0 person states refreshed"


async def test_a_run_asks_the_upstreams_about_at_most_fifty_new_names(aiohttp_server, db, http) -> None:
    """A followers list queued 120 unknown names: one run asks about the 50 queued first; the rest wait
    their turn untouched (not given up on for having waited)."""
    names = [f"fan_{n:03d}" for n in range(120)]
    await _queue(db, *names)
    ctx = await _ctx(aiohttp_server, db, http, CBHoursFake())
    await _process(ctx)
    asked = await rows(db, "SELECT p.username FROM lookup_queue q JOIN persons p ON p.id = q.person_id "
                           "WHERE q.attempts > 0 ORDER BY p.username")  # fmt: skip
    assert [r["username"] for r in asked] == names[: lookup_job.ASKED_PER_RUN]
    untouched = await rows(
        db, "SELECT count(*) AS n FROM lookup_queue WHERE attempts = 0 AND status = 'pending'"
    )
    assert untouched[0]["n"] == 120 - lookup_job.ASKED_PER_RUN
