"""The job runner and scheduler: results, errors shown and cleared, configuration, real firing."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.jobs.base import JobContext, JobSpec
from service.jobs.runner import JobRunner
from service.jobs.scheduler import Scheduler
from service.settings import all_fields
from service.sources.base import SourceConnectionError
from service.sources.spec import SourceConfig
from service.store import jobs as job_store
from service.store.db import Database, open_database

CONFIG = SourceConfig(
    dict.fromkeys(all_fields(), ""), [key for key, field in all_fields().items() if field.secret]
)


def _runner(db: Database, *specs: JobSpec) -> JobRunner:
    async def context() -> JobContext:
        # These jobs never make requests; the client is never opened, so nothing to close.
        return JobContext(db=db, config=CONFIG, data_dir=db.path.parent, http=httpx.AsyncClient())

    return JobRunner(db, {spec.name: spec for spec in specs}, context)


class Flaky:
    """A job that fails until told otherwise."""

    def __init__(self) -> None:
        self.fail = True
        self.calls = 0

    async def __call__(self, _context: JobContext) -> str:
        self.calls += 1
        if self.fail:
            raise ConnectionError("upstream unreachable")
        return "fetched 3 things"


async def test_an_upstreams_failure_is_shown_in_its_own_words(db: Database) -> None:
    """A source's error is already a sentence for the page: no Python class name in front of it."""

    async def unreachable(_context: JobContext) -> str:
        raise SourceConnectionError("images: could not reach the image host (ConnectError)")

    runner = _runner(db, JobSpec("images", "Images", "", timedelta(minutes=5), unreachable))
    await Scheduler(runner, enabled=False).ensure_states()
    await runner.run("images", trigger="manual")
    async with db.read() as conn:
        state = await job_store.get_state(conn, "images")
    assert state is not None and state.last_error == "images: could not reach the image host (ConnectError)"


async def test_failure_is_recorded_and_cleared_by_the_next_success(db: Database) -> None:
    """last_error shows the failure until a later run succeeds."""
    flaky = Flaky()
    runner = _runner(db, JobSpec("flaky", "Flaky", "", timedelta(minutes=5), flaky))
    await Scheduler(runner, enabled=False).ensure_states()
    outcome = await runner.run("flaky", trigger="manual")
    assert outcome.status == "error" and "upstream unreachable" in outcome.message
    async with db.read() as conn:
        state = await job_store.get_state(conn, "flaky")
    assert state is not None and state.last_error == "ConnectionError: upstream unreachable"
    assert state.last_ok_at is None
    flaky.fail = False
    assert (await runner.run("flaky", trigger="manual")).status == "ok"
    async with db.read() as conn:
        state = await job_store.get_state(conn, "flaky")
        runs = await job_store.list_runs(conn, "flaky")
    assert state is not None and state.last_error is None and state.last_ok_at is not None
    assert [r.status for r in runs] == ["ok", "error"]
    assert runs[0].summary == "fetched 3 things"


async def test_unconfigured_job_is_skipped_not_failed(db: Database) -> None:
    """A source without credentials is 'not configured', never polled and never an error."""
    flaky = Flaky()
    spec = JobSpec(
        "needs_token",
        "Needs a token",
        "",
        timedelta(minutes=5),
        flaky,
        missing_configuration=lambda c: None if c.stats_token else "no Stats API token",
    )
    runner = _runner(db, spec)
    await Scheduler(runner, enabled=False).ensure_states()
    outcome = await runner.run("needs_token", trigger="schedule")
    assert outcome.status == "skipped" and "no Stats API token" in outcome.message
    assert flaky.calls == 0
    async with db.read() as conn:
        state = await job_store.get_state(conn, "needs_token")
    assert state is not None and state.last_error is None


async def test_a_job_never_runs_twice_at_once(db: Database) -> None:
    """A second trigger while a run is in progress is skipped."""
    release = asyncio.Event()

    async def slow(_context: JobContext) -> str:
        await release.wait()
        return "done"

    runner = _runner(db, JobSpec("slow", "Slow", "", timedelta(minutes=5), slow))
    await Scheduler(runner, enabled=False).ensure_states()
    first = asyncio.create_task(runner.run("slow", trigger="manual"))
    await asyncio.sleep(0.05)
    second = await runner.run("slow", trigger="manual")
    release.set()
    assert second.status == "skipped" and (await first).status == "ok"


async def test_scheduler_fires_on_its_interval_and_records_it(db: Database) -> None:
    """A started scheduler runs the job by itself and persists the next run time."""
    flaky = Flaky()
    flaky.fail = False
    runner = _runner(db, JobSpec("quick", "Quick", "", timedelta(seconds=1), flaky))
    scheduler = Scheduler(runner, enabled=True)
    await scheduler.start()
    try:
        for _ in range(60):
            if flaky.calls:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
    finally:
        await scheduler.shutdown()
    assert flaky.calls >= 1
    async with db.read() as conn:
        runs = await job_store.list_runs(conn, "quick")
        state = await job_store.get_state(conn, "quick")
    assert runs and runs[-1].trigger == "schedule" and runs[-1].status == "ok"
    assert state is not None and state.next_run_at is not None


async def test_runs_left_running_by_a_crash_are_marked_interrupted(db: Database) -> None:
    """A run that never finished is shown as interrupted after the next start."""
    runner = _runner(db, JobSpec("x", "X", "", timedelta(minutes=5), Flaky()))
    scheduler = Scheduler(runner, enabled=True)
    await scheduler.ensure_states()
    async with db.transaction() as conn:
        await job_store.start_run(conn, "x", trigger="schedule")
    await scheduler.start()
    await scheduler.shutdown()
    async with db.read() as conn:
        runs = await job_store.list_runs(conn, "x")
    assert runs[0].status == "error" and runs[0].error is not None and "interrupted" in runs[0].error


def test_interval_bounds() -> None:
    """Intervals under a minute or over a week are refused."""
    from service.errors import InvalidInput

    with pytest.raises(InvalidInput):
        Scheduler.check_interval(30)
    with pytest.raises(InvalidInput):
        Scheduler.check_interval(8 * 24 * 3600)
    Scheduler.check_interval(300)


async def test_migration_0009_keeps_runs_and_learns_each_jobs_last_status(tmp_path: Path) -> None:
    """An existing database keeps its job history; last_status comes from the newest finished run."""
    import sqlite3

    from service.store.db import migration_files

    path = tmp_path / "old.sqlite3"
    at = "2026-01-01T00:00:00.000Z"
    with sqlite3.connect(path) as conn:
        for number, sql in migration_files():
            if number < 9:
                conn.executescript(sql.read_text())
                conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(
            "INSERT INTO job_state (name, interval_seconds, updated_at) VALUES ('images', 60, :at)",
            {"at": at},
        )
        conn.executemany(
            "INSERT INTO job_runs (job_name, trigger, started_at, status, summary) "
            "VALUES ('images', 'manual', ?, ?, ?)",
            [(at, "error", None), (at, "ok", "fine"), (at, "running", None)],
        )
    async with open_database(path) as database, database.read() as conn:
        state = await job_store.get_state(conn, "images")
        runs = await job_store.list_runs(conn, "images")
    assert state is not None and state.last_status == "ok"
    assert [(r.status, r.summary) for r in runs] == [("running", None), ("ok", "fine"), ("error", None)]


async def test_a_job_that_never_ran_runs_soon_after_start_not_after_a_whole_interval(db: Database) -> None:
    """A new user sees data within seconds: a due job does not wait one interval after start."""
    hourly = Flaky()
    hourly.fail = False
    runner = _runner(db, JobSpec("hourly", "Hourly", "", timedelta(hours=1), hourly))
    scheduler = Scheduler(runner, enabled=True, first_run_delay=timedelta(seconds=0.2))
    await scheduler.start()
    try:
        for _ in range(50):
            if hourly.calls:
                break
            await asyncio.sleep(0.1)
    finally:
        await scheduler.shutdown()
    assert hourly.calls == 1


async def test_a_job_that_ran_recently_keeps_its_cadence_after_a_restart(db: Database) -> None:
    """Restarting the service does not re-run a job that ran a minute ago."""
    hourly = Flaky()
    runner = _runner(db, JobSpec("hourly", "Hourly", "", timedelta(hours=1), hourly))
    scheduler = Scheduler(runner, enabled=True, first_run_delay=timedelta(seconds=0.2))
    await scheduler.ensure_states()
    async with db.transaction() as conn:
        run_id = await job_store.start_run(conn, "hourly", trigger="schedule")
        await job_store.finish_run(conn, run_id, "hourly", status="ok", summary="done", error=None)
    await scheduler.start()
    try:
        await asyncio.sleep(0.6)
        next_run = scheduler.next_run("hourly")
    finally:
        await scheduler.shutdown()
    assert hourly.calls == 0
    assert next_run is not None
    assert timedelta(minutes=59) < next_run - datetime.now(UTC) <= timedelta(hours=1)


async def test_jobs_due_at_start_are_staggered(db: Database) -> None:
    """Overdue jobs do not all hit their upstreams in the same second."""
    specs = [JobSpec(name, name, "", timedelta(hours=1), Flaky()) for name in ("a", "b", "c")]
    scheduler = Scheduler(
        _runner(db, *specs), enabled=True,
        first_run_delay=timedelta(seconds=30), first_run_stagger=timedelta(seconds=20),
    )  # fmt: skip
    await scheduler.start()
    try:
        times = sorted(t for t in (scheduler.next_run(s.name) for s in specs) if t is not None)
    finally:
        await scheduler.shutdown()
    assert len(times) == 3
    assert all(later - earlier >= timedelta(seconds=19) for earlier, later in itertools.pairwise(times))
    assert times[0] - datetime.now(UTC) <= timedelta(seconds=31)
