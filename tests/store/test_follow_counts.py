"""follow_counts (open follows per direction and role, kept by triggers) stays equal to the count of
open follow periods it summarises, through every way periods and persons change."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from service.store import follow_lists, follows, persons
from service.store.db import Connection, Database, migration_files
from service.store.follows import PeriodChange
from tests.support.rows import ago

_COUNTED = (
    "SELECT f.direction, p.role, count(*) FROM follow_periods f JOIN persons p ON p.id = f.person_id "
    "WHERE f.ended_at IS NULL GROUP BY f.direction, p.role ORDER BY 1, 2"
)


async def _rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await conn.execute_fetchall(sql)]


async def _assert_equal(conn: Connection) -> None:
    kept = await _rows(conn, "SELECT direction, role, open FROM follow_counts WHERE open <> 0 ORDER BY 1, 2")
    assert kept == await _rows(conn, _COUNTED)
    for direction in follows.DIRECTIONS:
        for role in (None, "model", "viewer", "unknown"):
            counted = await conn.execute_fetchall(
                "SELECT count(*) FROM follow_periods f JOIN persons p ON p.id = f.person_id "
                "WHERE f.direction = ? AND f.ended_at IS NULL AND (? IS NULL OR p.role = ?)",
                (direction, role, role),
            )
            assert await follow_lists.count_current(conn, direction, role=role) == next(iter(counted))[0]


async def test_counts_follow_every_change_of_periods_and_persons(db: Database) -> None:
    """Opens one by one and in bulk, ends, reopens (a revert), deletes, role changes and a deleted
    person, in a random order: after each step the table equals the count."""
    rng = random.Random(25)
    async with db.transaction() as conn:
        ids = list((await persons.ensure_persons(conn, [f"p{n}" for n in range(40)])).values())
        for step in range(400):
            pid, direction = rng.choice(ids), rng.choice(follows.DIRECTIONS)
            action = rng.randrange(6)
            if action == 0:
                await follows.open_period(conn, pid, direction, at=ago(days=step), source="manual", ref="r")
            elif action == 1:
                changes = [PeriodChange(p, ago(days=step), None) for p in rng.sample(ids, 5)]
                await follows.open_periods(conn, changes, direction, source="events")
            elif action == 2:
                await follows.close_period(conn, pid, direction, at=ago(days=1), source="manual", ref=None)
            elif action == 3:  # a reverted end reopens the period (as removals.revert_snapshot does)
                await conn.execute(
                    "UPDATE follow_periods SET ended_at = NULL, end_source = NULL WHERE id = "
                    "(SELECT max(id) FROM follow_periods WHERE person_id = ? AND ended_at IS NOT NULL) "
                    "AND NOT EXISTS (SELECT 1 FROM follow_periods o WHERE o.person_id = ? "
                    "AND o.direction = follow_periods.direction AND o.ended_at IS NULL)",
                    (pid, pid),
                )
            elif action == 4:
                await conn.execute(
                    "DELETE FROM follow_periods WHERE person_id = ? AND start_ref = 'r'", (pid,)
                )
            else:
                await persons.set_role(conn, pid, rng.choice(persons.ROLES), overwrite=True)
            if step % 50 == 49:  # a person deleted with their follows
                await follows.open_period(conn, pid, "follower", at=ago(days=1), source="manual", ref=None)
                await conn.execute("DELETE FROM persons WHERE id = ?", (pid,))
                ids.remove(pid)
            await _assert_equal(conn)


def test_the_migration_counts_existing_follows(tmp_path: Path) -> None:
    """A database from before 0025 gets its open follows counted when it migrates."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, migration in migration_files():
            if number == 25:  # the database as it was before this migration
                conn.executemany(
                    "INSERT INTO persons (id, username, role, created_at, updated_at) "
                    "VALUES (?, ?, ?, '', '')",
                    [(1, "a", "model"), (2, "b", "viewer"), (3, "c", "model")],
                )
                conn.executemany(
                    "INSERT INTO follow_periods (person_id, direction, started_at, start_source, ended_at, "
                    "end_source) VALUES (?, ?, '2026-01-01T00:00:00.000Z', 'manual', ?, ?)",
                    [(1, "follower", None, None), (2, "follower", None, None), (3, "follower", "2026-02-01",
                     "manual"), (3, "follower", None, None), (1, "following", None, None)],
                )  # fmt: skip
            conn.executescript(migration.read_text(encoding="utf-8"))
        counts = conn.execute("SELECT direction, role, open FROM follow_counts ORDER BY 1, 2").fetchall()
    assert counts == [("follower", "model", 2), ("follower", "viewer", 1), ("following", "model", 1)]
