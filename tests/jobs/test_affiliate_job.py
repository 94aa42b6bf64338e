"""The affiliate job against the fake feed on loopback, storing into a real SQLite file."""

from __future__ import annotations

import dataclasses
import gc
import json
from typing import Any

import httpx
import pytest
from aiohttp import web

from service.clock import now_db
from service.jobs import affiliate
from service.jobs.base import JobContext, JobSpec
from service.settings import all_fields, validate_value
from service.sources.affiliate import AffiliateRoom
from service.store import follows, lookup, persons
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.affiliate import PATH, AffiliateFake, generate_rooms, make_app
from tests.support.upstreams import BLANK, FAST, NO_PACING, context, rows, run_via_runner


async def _ctx(
    aiohttp_server: Any, db: Database, http: httpx.AsyncClient, fake: AffiliateFake, **cfg: str
) -> JobContext:
    server = await aiohttp_server(make_app(fake))
    cfg.setdefault("affiliate_wm", "AbCdE")
    return context(db, http, affiliate_url=str(server.make_url(PATH)), **cfg)


async def _sweep(ctx: JobContext) -> str:
    return await affiliate.sweep(ctx, retry=FAST, limiter=NO_PACING)


async def test_sweep_stores_persons_sessions_and_state(aiohttp_server, db, http) -> None:
    """Each room becomes a model with one session row, a person_state row and its tags."""
    ctx = await _ctx(aiohttp_server, db, http, AffiliateFake())
    summary = await _sweep(ctx)
    assert summary.startswith("4 rooms in 1 pages: 4 new sessions")
    people = await rows(db, "SELECT username, role, last_seen_at FROM persons ORDER BY username")
    assert [(p["username"], p["role"]) for p in people] == [
        ("duo_nights", "model"), ("lisbon_lifter", "model"), ("quiet_rose", "model"), ("tina_t", "model"),
    ]  # fmt: skip
    assert all(p["last_seen_at"] for p in people)
    (lifter,) = await rows(db, "SELECT * FROM person_state WHERE username = 'lisbon_lifter'")
    assert (lifter["is_live"], lifter["live_source"], lifter["followers"], lifter["followers_source"]) == (
        1, "affiliate", 9120, "affiliate",
    )  # fmt: skip
    assert (lifter["age"], lifter["snapshot_count"], json.loads(lifter["tags"])) == (31, 1, ["fit", "muscle"])
    tags = await rows(
        db, "SELECT tag FROM person_tags WHERE person_id = :p ORDER BY tag", {"p": lifter["person_id"]}
    )
    assert [t["tag"] for t in tags] == ["fit", "muscle"]
    (sweep,) = await rows(db, "SELECT rooms, pages, reported_count FROM affiliate_sweeps")
    assert (sweep["rooms"], sweep["pages"], sweep["reported_count"]) == (4, 1, 4)


async def test_polls_update_one_session_and_a_restart_opens_another(aiohttp_server, db, http) -> None:
    """Same broadcast (start drifts a few seconds): updated in place; a new start: a second row."""
    fake = AffiliateFake()
    ctx = await _ctx(aiohttp_server, db, http, fake)
    await _sweep(ctx)
    lifter = fake.rooms[0]
    # A poll later: seconds_online did not advance exactly with the clock (feed lag) → drift.
    lifter.update(seconds_online=lifter["seconds_online"] - 25, num_users=99, num_followers=9130)
    await _sweep(ctx)
    lifter.update(num_users=10, num_followers=9131)
    await _sweep(ctx)
    (session,) = await rows(
        db,
        "SELECT s.* FROM affiliate_api_snapshots s JOIN persons p ON p.id = s.person_id "
        "WHERE p.username = 'lisbon_lifter'",
    )
    assert (session["polls"], session["viewers"], session["peak_viewers"]) == (3, 10, 99)
    assert (session["followers_start"], session["followers_latest"]) == (9120, 9131)
    lifter.update(seconds_online=60)  # the model went off and came back: a new session
    await _sweep(ctx)
    sessions = await rows(
        db,
        "SELECT s.polls FROM affiliate_api_snapshots s JOIN persons p ON p.id = s.person_id "
        "WHERE p.username = 'lisbon_lifter' ORDER BY s.session_start_s",
    )
    assert [s["polls"] for s in sessions] == [3, 1]
    (state,) = await rows(db, "SELECT snapshot_count FROM person_state WHERE username = 'lisbon_lifter'")
    assert state["snapshot_count"] == 2


async def test_paging_drift_never_duplicates_a_person_or_session(aiohttp_server, db, http) -> None:
    """Rooms pushed in while paging repeat on the next page: stored once each."""
    fake = AffiliateFake(generate_rooms(1_600), drift_insert=30)
    ctx = await _ctx(aiohttp_server, db, http, fake)
    summary = await _sweep(ctx)
    assert "duplicates dropped" in summary
    (counts,) = await rows(
        db,
        "SELECT count(*) AS sessions, count(DISTINCT person_id) AS people, "
        "(SELECT count(*) FROM persons) AS persons, (SELECT count(*) FROM person_state) AS states "
        "FROM affiliate_api_snapshots",
    )
    assert counts["sessions"] == counts["people"] == counts["persons"] == counts["states"]
    assert counts["sessions"] >= 1_600
    assert all(r.path == PATH for r in fake.requests)  # never a per-person request


async def test_follower_history_only_for_tracked_persons(aiohttp_server, db, http) -> None:
    """P2, followed, followers and the broadcaster get a history row per sweep; others none."""
    async with db.transaction() as conn:
        await lookup.enqueue(conn, "quiet_rose", 2, "", "owner")
        ids = await persons.ensure_persons(conn, ["duo_nights", "tina_t"])
        await follows.open_period(
            conn, ids["duo_nights"], "following", at=now_db(), source="manual", ref=None
        )
    ctx = await _ctx(aiohttp_server, db, http, AffiliateFake(), broadcaster="lisbon_lifter")
    await _sweep(ctx)
    await _sweep(ctx)
    history = await rows(
        db,
        "SELECT p.username, count(*) AS n FROM follower_history h JOIN persons p ON p.id = h.person_id "
        "WHERE h.source = 'affiliate' GROUP BY p.username ORDER BY p.username",
    )
    assert [(h["username"], h["n"]) for h in history] == [
        ("duo_nights", 2), ("lisbon_lifter", 2), ("quiet_rose", 2),
    ]  # fmt: skip


async def test_filters_are_sent_and_bad_ones_refused(aiohttp_server, db, http) -> None:
    """Settings' gender/tag filters reach the feed; an unknown gender fails before any request."""
    fake = AffiliateFake()
    ctx = await _ctx(aiohttp_server, db, http, fake, affiliate_gender="m,t", affiliate_tags="fit")
    await _sweep(ctx)
    assert fake.requests[0].params("gender") == ["m", "t"]
    assert fake.requests[0].params("tag") == ["fit"]
    (person,) = await rows(db, "SELECT username FROM persons")
    assert person["username"] == "lisbon_lifter"
    bad = dataclasses.replace(ctx, config=ctx.config.replace(affiliate_gender="x"))
    status, message, _ = await run_via_runner(_spec(), bad)
    assert (status, len(fake.requests)) == ("error", 1)
    assert "unknown value(s) x" in message


def _spec() -> JobSpec:
    return dataclasses.replace(affiliate.SPEC, run=_sweep)


async def test_retries_429_and_500_and_tolerates_slow_answers(aiohttp_server, db, http) -> None:
    """429 with Retry-After, then a 500, then a slow page: the sweep still completes."""
    fake = AffiliateFake()
    fake.script(Fault.rate_limited(retry_after="1"), Fault.server_error(), Fault.slow(0.3))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, message, last_error = await run_via_runner(_spec(), ctx)
    assert (status, last_error) == ("ok", None)
    assert message.startswith("4 rooms")
    assert len(fake.requests) == 3


async def test_malformed_json_is_recorded_as_the_jobs_error(aiohttp_server, db, http) -> None:
    """A broken body fails the run, stores nothing, and shows in job_state until a success."""
    fake = AffiliateFake()
    fake.script(Fault.malformed())
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, _message, last_error = await run_via_runner(_spec(), ctx)
    assert status == "error" and last_error is not None and "affiliate" in last_error
    assert await rows(db, "SELECT * FROM affiliate_api_snapshots") == []
    status, _message, last_error = await run_via_runner(_spec(), ctx)
    assert (status, last_error) == ("ok", None)


async def test_without_campaign_slug_the_job_is_not_configured(db, http) -> None:
    """No wm: skipped as not configured, no request, no error."""
    status, message, last_error = await run_via_runner(affiliate.SPEC, context(db, http))
    assert (status, last_error) == ("skipped", None)
    assert message == "not configured: no affiliate campaign slug (wm)"


async def test_pending_lookup_notes_the_affiliate_find(aiohttp_server, db, http) -> None:
    async with db.transaction() as conn:
        await lookup.enqueue(conn, "tina_t", 1, "", "owner")
    await _sweep(await _ctx(aiohttp_server, db, http, AffiliateFake()))
    (entry,) = await rows(db, "SELECT status, found_in FROM lookup_queue")
    assert (entry["status"], entry["found_in"]) == ("pending", "affiliate")


def test_filter_settings_are_normalised_lists() -> None:
    """The Settings form stores "M, t,m" as "m,t"; junk is refused with a message."""
    field = all_fields()["affiliate_gender"]
    assert validate_value(field, "M, t,m") == "m,t"
    assert validate_value(all_fields()["affiliate_tags"], "fit,big-boobs") == "fit,big-boobs"
    with pytest.raises(ValueError, match="comma-separated"):
        validate_value(field, "m;t")
    config = BLANK.replace(affiliate_region="europe_russia,asia", affiliate_tags="a,b,c,d,e,f")
    with pytest.raises(ValueError, match="at most 5 tags"):
        affiliate.feed_filters(config)


async def test_out_of_range_values_cost_a_field_or_a_room_never_the_sweep(aiohttp_server, db, http) -> None:
    """10**30 followers (beyond SQLite's int64) or -5 followers reject only that room; age 999
    becomes unknown and is counted in the run's summary; every other room is stored."""
    rooms = generate_rooms(5, seed=3)
    rooms[0]["num_followers"] = 10**30
    rooms[1]["age"] = 999
    rooms[2]["num_followers"] = -5
    ctx = await _ctx(aiohttp_server, db, http, AffiliateFake(rooms))
    status, message, _ = await run_via_runner(dataclasses.replace(affiliate.SPEC, run=_sweep), ctx)
    assert status == "ok"
    assert message.startswith("3 rooms in 1 pages: 3 new sessions")
    assert "2 invalid skipped" in message
    assert message.endswith("; 1 out-of-range value nulled (age 1)")
    stored = await rows(
        db, "SELECT p.username, s.age FROM affiliate_api_snapshots s JOIN persons p ON p.id = s.person_id"
    )
    ages = {r["username"]: r["age"] for r in stored}
    assert sorted(ages) == sorted(r["username"] for r in rooms[1:2] + rooms[3:])
    assert ages[rooms[1]["username"]] is None


class _CountingFake(AffiliateFake):
    """Counts, as each page is asked for, how many parsed rooms the process still holds."""

    def __init__(self, rooms: list[dict[str, Any]]) -> None:
        super().__init__(rooms)
        self.rooms_alive: list[int] = []

    async def onlinerooms(self, request: web.Request) -> web.Response:
        self.rooms_alive.append(sum(isinstance(o, AffiliateRoom) for o in gc.get_objects()))
        return await super().onlinerooms(request)


async def test_a_sweep_holds_one_page_of_parsed_rooms_at_a_time(aiohttp_server, db, http) -> None:
    """Pages are mapped to compact rows as they arrive: while the fourth page is fetched, at most
    the previous page's 500 rooms are alive, not the 1,500 read so far (issue 14: memory)."""
    fake = _CountingFake(generate_rooms(1_800))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    summary = await _sweep(ctx)
    assert summary.startswith("1800 rooms in 4 pages: 1800 new sessions")
    assert len(fake.rooms_alive) == 4
    assert max(fake.rooms_alive) <= 500, fake.rooms_alive
