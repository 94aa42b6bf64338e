"""What the alert watch job reads: the rules it evaluates, failing jobs, the extension's last report.

The rules are read minimally here (id, name, params JSON, quiet hours) until the alert rules' own
store (service/store/alert_rules.py) is on main; the job only needs these columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.clock import from_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class WatchRule:
    id: int
    kind: str
    name: str
    params: dict[str, Any]
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    quiet_tz: str | None


async def enabled_rules(conn: Connection, kinds: tuple[str, ...]) -> list[WatchRule]:
    rows = await conn.execute_fetchall(
        "SELECT id, kind, name, params, quiet_start_minute, quiet_end_minute, quiet_tz FROM alert_rules "
        "WHERE enabled AND kind IN (SELECT value FROM json_each(:kinds)) ORDER BY id",
        {"kinds": json.dumps(list(kinds))},
    )
    rules = []
    for row in rows:
        try:
            params = json.loads(row["params"] or "{}")
        except ValueError:
            params = {}
        params = params if isinstance(params, dict) else {}
        rules.append(WatchRule(
            id=row["id"], kind=row["kind"], name=row["name"], params=params,
            quiet_start_minute=row["quiet_start_minute"], quiet_end_minute=row["quiet_end_minute"],
            quiet_tz=row["quiet_tz"],
        ))  # fmt: skip
    return rules


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
