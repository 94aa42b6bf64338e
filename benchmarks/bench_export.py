"""`mhc export` with 600,000 follower periods (200,000 persons, three periods each): ≤ 10 s.

The whole CSV export runs through the real command on a database built by the real schema. The
baseline is the old plan, measured in the same run on a copy without the per-person index that
v_person_follow_state relies on: there its first rows alone take seconds, because each person's
"last ended" walked every period of the direction.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from service.commands import export
from service.settings import Settings
from service.store.db import open_database

PERSONS = 200_000
PERIODS_EACH = 3
TARGET_SECONDS = 10.0
BASELINE_ROWS = 20


def _period(person: int, n: int) -> tuple[object, ...]:
    """Every odd person's last period is still open; all others ended."""
    started = f"2026-0{n + 1}-01T00:00:00.000Z"
    if n == PERIODS_EACH - 1 and person % 2:
        return (person, started, None, None)
    return (person, started, f"2026-0{n + 1}-15T00:00:00.000Z", "events")


def _build(path: Path) -> None:
    async def create() -> None:
        async with open_database(path):
            pass

    asyncio.run(create())
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO persons (id, username, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
            ((i, f"fan_{i:06d}") for i in range(1, PERSONS + 1)),
        )
        conn.executemany(
            "INSERT INTO follow_periods (person_id, direction, started_at, start_source, "
            "ended_at, end_source) VALUES (?, 'follower', ?, 'list_snapshot', ?, ?)",
            (_period(i, n) for i in range(1, PERSONS + 1) for n in range(PERIODS_EACH)),
        )


def _baseline(path: Path) -> float:
    """Seconds for the first BASELINE_ROWS rows of the view without the per-person index."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX idx_follow_periods_person_ended")
        started = time.perf_counter()
        conn.execute(f"SELECT * FROM v_person_follow_state ORDER BY 1 LIMIT {BASELINE_ROWS}").fetchall()
        return time.perf_counter() - started


def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        _build(data / "mhc.sqlite3")
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            asyncio.run(export.run(Settings(data_dir=data), "csv", Path(tmp) / "export"))
        elapsed = time.perf_counter() - started
        with (Path(tmp) / "export" / "follow_state.csv").open(encoding="utf-8") as f:
            exported = sum(1 for _ in f) - 1
        baseline_copy = Path(tmp) / "baseline.sqlite3"
        shutil.copy(data / "mhc.sqlite3", baseline_copy)
        baseline = _baseline(baseline_copy)
    periods = PERSONS * PERIODS_EACH
    print(f"   export with {periods:,} follow periods: {elapsed:.2f} s (target ≤ {TARGET_SECONDS} s)")
    print(
        f"   baseline, the old plan: {BASELINE_ROWS} rows of the view in {baseline:.2f} s "
        f"(≈ {baseline / BASELINE_ROWS * PERSONS / 60:,.0f} min for all {PERSONS:,})"
    )
    return elapsed <= TARGET_SECONDS and exported == PERSONS


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
