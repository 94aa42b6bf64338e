"""What the alert watch job reads besides its rules (store/alert_rules.py): failing jobs and the
extension's last report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class JobFailure:
    """A job whose last run failed: since when (its first failed run after its last good one), and why."""

    job: str
    since: datetime
    error: str


async def failing_jobs(conn: Connection) -> list[JobFailure]:
    """Jobs whose latest finished run (skips aside) is an error, with the start of that failure (runs
    are ordered by id: two runs may start in the same millisecond)."""
    rows = await conn.execute_fetchall(
        "SELECT s.name, s.last_error, ("
        "  SELECT min(r.started_at) FROM job_runs r WHERE r.job_name = s.name AND r.status = 'error'"
        "  AND r.id > coalesce((SELECT max(g.id) FROM job_runs g"
        "    WHERE g.job_name = s.name AND g.status IN ('ok', 'partial')), 0)) AS since "
        "FROM job_state s WHERE s.last_status = 'error' ORDER BY s.name"
    )
    return [JobFailure(row["name"], from_db(row["since"]), row["last_error"] or "")
            for row in rows if row["since"]]  # fmt: skip


async def extension_last_report(conn: Connection) -> datetime | None:
    """The latest contact of any paired (not revoked) extension, or its pairing when it never reported;
    None when no extension is paired."""
    rows = await conn.execute_fetchall(
        "SELECT max(coalesce(last_used_at, paired_at)) FROM ext_clients WHERE revoked_at IS NULL"
    )
    value = next(iter(rows))[0]
    return from_db(value) if value else None
