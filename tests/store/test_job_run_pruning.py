"""Job run history is pruned: old runs go, but a job's recent runs and the start of a failing streak
stay (the header's "failing since" and Admin › Jobs read them)."""

from __future__ import annotations

from datetime import timedelta

from service.clock import to_db, utcnow
from service.store import maintenance
from service.store.alert_watch import failing_jobs
from service.store.db import Database

DAY = timedelta(days=1)


async def _run(db: Database, job: str, status: str, age: timedelta) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO job_runs (job_name, trigger, started_at, finished_at, status) "
            "VALUES (:job, 'schedule', :at, :at, :status)",
            {"job": job, "at": to_db(utcnow() - age), "status": status},
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def _ids(db: Database, job: str) -> list[int]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT id FROM job_runs WHERE job_name = ? ORDER BY id", (job,))
    return [row[0] for row in rows]


async def test_old_runs_beyond_the_newest_few_are_removed(db: Database) -> None:
    old = [await _run(db, "stats", "ok", DAY * (60 - i)) for i in range(10)]
    recent = [await _run(db, "stats", "ok", timedelta(hours=i)) for i in (3, 2, 1)]

    removed = await maintenance.prune_job_runs(db, older_than=DAY * 30, keep_per_job=5)

    assert removed == 8
    assert await _ids(db, "stats") == old[-2:] + recent


async def test_a_failing_streak_is_kept_whatever_its_age(db: Database) -> None:
    """The streak's first error is what the header's "failing since" shows: pruning never moves it, and
    the last good run before it stays too."""
    last_good = await _run(db, "cbhours", "ok", DAY * 90)
    streak = [await _run(db, "cbhours", "error", DAY * (80 - i)) for i in range(8)]
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO job_state (name, interval_seconds, last_status, last_error, updated_at) "
            "VALUES ('cbhours', 300, 'error', 'down', :now)",
            {"now": to_db(utcnow())},
        )
    async with db.read() as conn:
        before = await failing_jobs(conn)

    await maintenance.prune_job_runs(db, older_than=DAY * 30, keep_per_job=2)

    assert await _ids(db, "cbhours") == [last_good, *streak]
    async with db.read() as conn:
        assert await failing_jobs(conn) == before


async def test_running_runs_and_other_jobs_are_untouched(db: Database) -> None:
    running = await _run(db, "affiliate", "running", DAY * 40)
    other = await _run(db, "events", "ok", DAY * 40)

    assert await maintenance.prune_job_runs(db, older_than=DAY * 30, keep_per_job=0) == 0
    assert await _ids(db, "affiliate") == [running]
    assert await _ids(db, "events") == [other]
