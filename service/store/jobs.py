"""What the scheduler persists: each job's state and the history of its runs."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from service.clock import from_db, now_db, to_db
from service.models import JobRun, JobState
from service.store.db import Connection


def _time(value: str | None) -> datetime | None:
    return from_db(value) if value else None


def _state(row: aiosqlite.Row) -> JobState:
    return JobState(
        name=row["name"],
        paused=bool(row["paused"]),
        interval_seconds=row["interval_seconds"],
        last_run_at=_time(row["last_run_at"]),
        last_ok_at=_time(row["last_ok_at"]),
        last_error=row["last_error"],
        last_error_at=_time(row["last_error_at"]),
        next_run_at=_time(row["next_run_at"]),
        last_status=row["last_status"],
    )


async def ensure_state(conn: Connection, name: str, *, interval_seconds: int) -> None:
    """Create the job's row on first sight; an existing row (the user's choices) is kept."""
    await conn.execute(
        "INSERT INTO job_state (name, interval_seconds, updated_at) VALUES (:name, :interval, :now) "
        "ON CONFLICT (name) DO NOTHING",
        {"name": name, "interval": interval_seconds, "now": now_db()},
    )


async def get_state(conn: Connection, name: str) -> JobState | None:
    async with conn.execute("SELECT * FROM job_state WHERE name = :name", {"name": name}) as cur:
        row = await cur.fetchone()
    return _state(row) if row else None


async def list_states(conn: Connection) -> dict[str, JobState]:
    async with conn.execute("SELECT * FROM job_state") as cursor:
        rows = await cursor.fetchall()
    return {row["name"]: _state(row) for row in rows}


async def set_paused(conn: Connection, name: str, *, paused: bool) -> None:
    await conn.execute(
        "UPDATE job_state SET paused = :paused, updated_at = :now WHERE name = :name",
        {"paused": int(paused), "now": now_db(), "name": name},
    )


async def set_interval(conn: Connection, name: str, interval_seconds: int) -> None:
    await conn.execute(
        "UPDATE job_state SET interval_seconds = :interval, updated_at = :now WHERE name = :name",
        {"interval": interval_seconds, "now": now_db(), "name": name},
    )


async def set_next_run(conn: Connection, name: str, next_run_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE job_state SET next_run_at = :next WHERE name = :name",
        {"next": to_db(next_run_at) if next_run_at else None, "name": name},
    )


async def start_run(conn: Connection, name: str, *, trigger: str) -> int:
    now = now_db()
    cursor = await conn.execute(
        "INSERT INTO job_runs (job_name, trigger, started_at, status) "
        "VALUES (:name, :trigger, :now, 'running')",
        {"name": name, "trigger": trigger, "now": now},
    )
    await conn.execute(
        "UPDATE job_state SET last_run_at = :now WHERE name = :name", {"now": now, "name": name}
    )
    if cursor.lastrowid is None:
        raise RuntimeError("INSERT returned no row id")
    return cursor.lastrowid


async def finish_run(
    conn: Connection, run_id: int, name: str, *, status: str, summary: str | None, error: str | None
) -> None:
    """Close the run; success clears the job's last error, failure records it.

    A partial run (some items failed) counts as a success for freshness, since data did arrive,
    and keeps its failure text as the last error so Admin shows it until a clean run.
    """
    now = now_db()
    await conn.execute(
        "UPDATE job_runs SET finished_at = :now, status = :status, summary = :summary, "
        "error = :error WHERE id = :id",
        {"now": now, "status": status, "summary": summary, "error": error, "id": run_id},
    )
    if status == "error":
        await conn.execute(
            "UPDATE job_state SET last_error = :error, last_error_at = :now, last_status = :status "
            "WHERE name = :name",
            {"error": error, "now": now, "status": status, "name": name},
        )
    elif status == "partial":
        await conn.execute(
            "UPDATE job_state SET last_ok_at = :now, last_error = :error, last_error_at = :now, "
            "last_status = :status WHERE name = :name",
            {"error": error, "now": now, "status": status, "name": name},
        )
    elif status == "ok":
        await conn.execute(
            "UPDATE job_state SET last_ok_at = :now, last_error = NULL, last_error_at = NULL, "
            "last_status = :status WHERE name = :name",
            {"now": now, "status": status, "name": name},
        )
    else:
        await conn.execute(
            "UPDATE job_state SET last_status = :status WHERE name = :name", {"status": status, "name": name}
        )


async def list_runs(conn: Connection, name: str | None = None, *, limit: int = 50) -> list[JobRun]:
    async with conn.execute(
        "SELECT * FROM job_runs WHERE :name IS NULL OR job_name = :name ORDER BY id DESC LIMIT :limit",
        {"name": name, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        JobRun(
            id=row["id"],
            job_name=row["job_name"],
            trigger=row["trigger"],
            started_at=from_db(row["started_at"]),
            finished_at=_time(row["finished_at"]),
            status=row["status"],
            summary=row["summary"],
            error=row["error"],
        )
        for row in rows
    ]


async def mark_interrupted_runs(conn: Connection) -> int:
    """Runs left 'running' by a process that died never finish; say so instead of hiding it."""
    cursor = await conn.execute(
        "UPDATE job_runs SET status = 'error', finished_at = :now, "
        "error = 'interrupted: the service stopped during this run' WHERE status = 'running'",
        {"now": now_db()},
    )
    return cursor.rowcount
