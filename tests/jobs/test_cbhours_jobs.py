"""CBHours jobs against the fake on loopback: live batches, activity backfill, error 300 flags."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import httpx

from service.clock import utcnow
from service.jobs import cbhours
from service.jobs.base import JobContext, JobResult
from service.store import lookup, persons
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.cbhours import PATH, CBHoursFake, make_app
from tests.support.upstreams import FAST, NO_PACING, context, rows, run_via_runner


async def _ctx(aiohttp_server: Any, db: Database, http: httpx.AsyncClient, fake: CBHoursFake) -> JobContext:
    server = await aiohttp_server(make_app(fake))
    return context(db, http, cbhours_url=str(server.make_url(PATH)), broadcaster="lisbon_lifter")


async def _track(db: Database, *names: str) -> None:
    async with db.transaction() as conn:
        for name in names:
            await lookup.enqueue(conn, name, 2, "", "owner")


async def _live_result(ctx: JobContext) -> JobResult:
    return await cbhours.live(ctx, retry=FAST, limiter=NO_PACING)


async def _live(ctx: JobContext) -> str:
    return (await _live_result(ctx)).summary


async def _activity(ctx: JobContext) -> str:
    return (await cbhours.activity(ctx, retry=FAST, limiter=NO_PACING)).summary


def _activity_body(name: str, day: date, points: list[tuple[str, str]]) -> dict[str, Any]:
    details = [
        {"timestamp": f"{day.isoformat()}T{hhmm}", "type": "_public", "rank": rank, "followers": "9100",
         "viewers": "3", "gender": "m", "grank": "20"}
        for hhmm, rank in points
    ]  # fmt: skip
    total = {"hours": 0, "minutes": 3 * len(points)}
    return {"status": True, "model": name, "serverStatus": True, "activity": {day.isoformat(): "x"},
            "total_time": total, "details": {day.isoformat(): details}}  # fmt: skip


async def test_live_batches_of_fifty_store_rows_and_flag_unknown_names(aiohttp_server, db, http) -> None:
    """120 tracked names: 3 requests; answers stored, followers kept, absent names flagged."""
    fake = CBHoursFake()
    extra = [f"extra_{i:03d}" for i in range(117)]
    await _track(db, "tina_t", "sleepy_sam", *extra)
    ctx = await _ctx(aiohttp_server, db, http, fake)
    summary = await _live(ctx)
    assert summary == "checked 120 tracked persons: 3 answered, 117 not tracked by CBHours"
    assert [len(r.param("usernames").split(",")) for r in fake.requests] == [50, 50, 20]  # type: ignore[union-attr]
    (lifter,) = await rows(db, "SELECT * FROM person_state WHERE username = 'lisbon_lifter'")
    assert (lifter["rank"], lifter["followers"], lifter["followers_source"]) == (1830, 9120, "cbhours")
    assert (lifter["is_live"], lifter["live_source"], lifter["gender"]) == (1, "cbhours", "m")
    (sam,) = await rows(
        db, "SELECT is_live, live_source, role FROM person_state WHERE username = 'sleepy_sam'"
    )
    assert (sam["is_live"], sam["live_source"], sam["role"]) == (0, "cbhours", "model")
    flagged = await rows(
        db,
        "SELECT cbhours_untracked_reason FROM person_source_flags WHERE cbhours_untracked_until IS NOT NULL",
    )
    assert len(flagged) == 117
    fake.requests.clear()
    await _live(ctx)  # flagged names are not asked again for a while
    assert len(fake.requests) == 1


async def test_live_survives_429_500_slow_and_records_malformed(aiohttp_server, db, http) -> None:
    fake = CBHoursFake()
    await _track(db, "tina_t")
    fake.script(Fault.rate_limited(retry_after="1"), Fault.server_error(), Fault.slow(0.3))
    ctx = await _ctx(aiohttp_server, db, http, fake)
    spec = dataclasses.replace(cbhours.LIVE_SPEC, run=_live)
    assert (await run_via_runner(spec, ctx))[0] == "ok"
    fake.script(Fault.malformed(b'{"server_status": "up", "data": {'))
    status, _, last_error = await run_via_runner(spec, ctx)
    assert status == "error" and last_error is not None and "cbhours" in last_error


async def test_activity_backfill_is_unique_per_segment_and_resumes(aiohttp_server, db, http) -> None:
    """Segments stored once (UTC, tzo=0); a rerun refetches only from the last day stored."""
    today = utcnow().date()
    fake = CBHoursFake(
        activity={
            "lisbon_lifter": _activity_body("lisbon_lifter", today, [("00:00", "1900"), ("00:03", "1850")])
        }
    )
    ctx = await _ctx(aiohttp_server, db, http, fake)
    summary = await _activity(ctx)
    assert summary.startswith("2 new 3-minute segments for 1 persons")
    (first,) = fake.requests
    assert (first.param("tzo"), first.param("end_date")) == ("0", today.isoformat())
    assert first.param("start_date") == (today - timedelta(days=59)).isoformat()
    assert (await _activity(ctx)).startswith("0 new")
    assert fake.requests[1].param("start_date") == today.isoformat()
    segments = await rows(db, "SELECT segment_at, rank FROM cbhours_activity ORDER BY segment_at")
    assert [s["segment_at"] for s in segments] == [
        f"{today.isoformat()}T00:00:00.000Z",
        f"{today.isoformat()}T00:03:00.000Z",
    ]
    (state,) = await rows(db, "SELECT rank, rank_source FROM person_state WHERE username = 'lisbon_lifter'")
    assert (state["rank"], state["rank_source"]) == (1850, "cbhours")


async def test_error_300_flags_the_person_and_does_not_fail_the_job(aiohttp_server, db, http) -> None:
    fake = CBHoursFake(activity={})
    ctx = await _ctx(aiohttp_server, db, http, fake)
    assert "1 not tracked by CBHours" in await _activity(ctx)
    (flag,) = await rows(
        db, "SELECT cbhours_untracked_until, cbhours_untracked_reason FROM person_source_flags"
    )
    assert flag["cbhours_untracked_reason"] == "Error Code 300"
    assert await _activity(ctx) == "no tracked persons to backfill"


async def test_cbhours_jobs_need_tracked_persons_only(db, http) -> None:
    """CBHours needs no credentials: with nobody tracked the job does nothing, successfully."""
    async with db.transaction() as conn:
        await persons.ensure_persons(conn, ["someone"])
    assert (await cbhours.live(context(db, http, cbhours_url="http://127.0.0.1:9/api.php"))).summary == (
        "no tracked persons to check"
    )


async def _refused_setup(aiohttp_server, db, http, refuse: str) -> tuple[CBHoursFake, JobContext, list[str]]:
    """49 untracked names sorted before the broadcaster and two tracked models (the following
    list imported: most followed rooms are not in CBHours' trophy database)."""
    fake = CBHoursFake(refuse_untracked=refuse)  # type: ignore[arg-type]
    untracked = [f"aa_{i:03d}" for i in range(49)]
    await _track(db, *untracked, "tina_t", "sleepy_sam")
    return fake, await _ctx(aiohttp_server, db, http, fake), untracked


async def test_a_batch_refused_with_error_300_is_split_so_tracked_names_are_still_checked(
    aiohttp_server, db, http
) -> None:
    """CBHours refusing every batch that holds an untracked name fails neither the job nor the
    tracked names: halves are asked until the untracked names stand alone and are flagged."""
    fake, ctx, untracked = await _refused_setup(aiohttp_server, db, http, "any")
    spec = dataclasses.replace(cbhours.LIVE_SPEC, run=_live)
    status, message, last_error = await run_via_runner(spec, ctx)
    assert (status, last_error) == ("ok", None)
    assert message == "checked 52 tracked persons: 3 answered, 49 not tracked by CBHours"
    checked = await rows(
        db, "SELECT p.username FROM cbhours_live_stats c JOIN persons p ON p.id = c.person_id"
    )
    assert sorted(r["username"] for r in checked) == ["lisbon_lifter", "sleepy_sam", "tina_t"]
    flagged = await rows(
        db,
        "SELECT p.username FROM person_source_flags f JOIN persons p ON p.id = f.person_id "
        "WHERE f.cbhours_untracked_until > :now",
        {"now": utcnow().isoformat()},
    )
    assert sorted(r["username"] for r in flagged) == untracked
    assert len(fake.requests) < 2 * 52  # the halving bound: at most 2n - 1 requests per batch
    fake.requests.clear()
    assert (await run_via_runner(spec, ctx))[0] == "ok"
    (again,) = fake.requests  # untracked names are skipped for a while: one request for three
    assert sorted(again.param("usernames").split(",")) == ["lisbon_lifter", "sleepy_sam", "tina_t"]  # type: ignore[union-attr]


async def test_a_batch_of_only_untracked_names_refused_whole(aiohttp_server, db, http) -> None:
    """The case from the issue: a first batch of 50 untracked names answered with error 300."""
    _, ctx, _ = await _refused_setup(aiohttp_server, db, http, "all")
    await _track(db, "aa_049")  # the first batch is now all untracked, the second holds the rest
    status, message, _ = await run_via_runner(dataclasses.replace(cbhours.LIVE_SPEC, run=_live), ctx)
    assert status == "ok"
    assert message == "checked 53 tracked persons: 3 answered, 50 not tracked by CBHours"


async def test_a_failing_batch_costs_only_its_own_names(aiohttp_server, db, http) -> None:
    """A batch that keeps failing (500s) is counted; the next batch is still asked: partial."""
    fake = CBHoursFake()
    extra = [f"aa_{i:03d}" for i in range(50)]
    await _track(db, *extra, "tina_t")
    ctx = await _ctx(aiohttp_server, db, http, fake)
    fake.script(*[Fault.server_error()] * FAST.max_attempts)
    spec = dataclasses.replace(cbhours.LIVE_SPEC, run=_live_result)
    status, message, last_error = await run_via_runner(spec, ctx)
    assert status == "partial"
    assert message.startswith("50 of 52 failed; checked 52 tracked persons: 2 answered")
    assert last_error is not None and last_error.startswith("partial: 50 of 52 failed; first: cbhours")


async def test_implausible_live_numbers_are_stored_as_unknown_and_counted(aiohttp_server, db, http) -> None:
    """Rank 0, followers -5 and 10**12 viewers become NULL; the rest of the answer is kept."""
    fake = CBHoursFake()
    fake.live["lisbon_lifter"] = {**fake.live["lisbon_lifter"], "rank": 0, "followers": -5, "viewers": 10**12}
    ctx = await _ctx(aiohttp_server, db, http, fake)
    status, message, _ = await run_via_runner(dataclasses.replace(cbhours.LIVE_SPEC, run=_live_result), ctx)
    assert status == "ok"
    assert message.endswith("; 3 out-of-range values nulled (followers 1, rank 1, viewers 1)")
    (row,) = await rows(db, "SELECT rank, grank, followers, viewers, online FROM cbhours_live_stats")
    assert row == {"rank": None, "grank": 212, "followers": None, "viewers": None, "online": 1}
