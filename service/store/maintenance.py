"""Housekeeping statements: expiry of short-lived rows, planner statistics, WAL checkpoints."""

from __future__ import annotations

from datetime import timedelta

from service.clock import now_db, to_db, utcnow
from service.store.db import Database


async def purge_expired(db: Database) -> dict[str, int]:
    now = now_db()
    async with db.transaction() as conn:
        sessions = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= :now", {"now": now})
        links = await conn.execute(
            "DELETE FROM setup_tokens WHERE expires_at <= :now OR used_at IS NOT NULL", {"now": now}
        )
    return {"sessions": sessions.rowcount, "setup_links": links.rowcount}


async def prune_job_runs(db: Database, *, older_than: timedelta, keep_per_job: int) -> int:
    """Remove finished runs started before `older_than` ago, except each job's newest `keep_per_job`
    runs, its latest good run and everything after it (a failing streak's first error is the header's
    "failing since"). Returns how many runs were removed."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM job_runs AS r WHERE r.started_at < :cutoff AND r.status != 'running' "
            "AND r.id < coalesce((SELECT max(g.id) FROM job_runs g "
            "  WHERE g.job_name = r.job_name AND g.status IN ('ok', 'partial')), 0) "
            "AND r.id NOT IN (SELECT n.id FROM job_runs n WHERE n.job_name = r.job_name "
            "  ORDER BY n.id DESC LIMIT :keep)",
            {"cutoff": to_db(utcnow() - older_than), "keep": keep_per_job},
        )
    return cursor.rowcount


async def optimize(db: Database) -> None:
    async with db.exclusive() as conn:
        await conn.execute("PRAGMA optimize")
        # TRUNCATE keeps the -wal file from growing without bound between restarts.
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
