"""v_person_follow_state reads each person's own periods only, so `mhc export` stays linear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from service.store.db import open_database
from service.store.export import EXPORTS


async def test_every_follow_state_lookup_is_by_person(tmp_path: Path) -> None:
    """No subquery of the view walks all periods of a direction (quadratic over 600,000 periods)."""
    path = tmp_path / "plan.sqlite3"
    async with open_database(path):
        pass
    with sqlite3.connect(path) as conn:
        sql = f"EXPLAIN QUERY PLAN SELECT * FROM {EXPORTS['follow_state']} ORDER BY 1"  # noqa: S608
        plan = conn.execute(sql).fetchall()
    searches = [str(row[3]) for row in plan if " f " in f" {row[3]} " or " o " in f" {row[3]} "]
    assert len(searches) == 6, plan
    assert all("person_id=?" in detail for detail in searches), searches


async def test_follow_state_of_many_ended_periods_is_right(tmp_path: Path) -> None:
    """Three re-follows per person: the latest end counts only while no period is open."""
    path = tmp_path / "state.sqlite3"
    async with open_database(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO persons (id, username, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
            [(i, f"fan_{i}") for i in range(1, 301)],
        )
        periods = []
        for person in range(1, 301):
            for n in range(3):
                ended = (
                    None if person % 2 == 0 and n == 2 else f"2026-01-0{n + 2}T00:00:{person % 60:02d}.000Z"
                )
                periods.append(
                    (person, f"2026-01-0{n + 1}T00:00:00.000Z", ended, None if ended is None else "events")
                )
        conn.executemany(
            "INSERT INTO follow_periods (person_id, direction, started_at, start_source, ended_at, "
            "end_source) VALUES (?, 'follower', ?, 'events', ?, ?)",
            periods,
        )
        rows = conn.execute(
            "SELECT person_id, follower_since, unfollower_at FROM v_person_follow_state ORDER BY 1"
        ).fetchall()
    assert len(rows) == 300
    for person, since, ended in rows:
        if person % 2 == 0:
            assert (since, ended) == ("2026-01-03T00:00:00.000Z", None)
        else:
            assert (since, ended) == (None, f"2026-01-04T00:00:{person % 60:02d}.000Z")
