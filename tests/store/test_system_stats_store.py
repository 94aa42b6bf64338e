"""Admin › System Stats reads: the sizes the charts draw come from the covering index alone and equal
the rows they summarise; the measurements table growth compares are found at the window's edges."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from service.clock import to_db
from service.store import system_stats
from service.store.db import Database
from service.store.system_stats import SIZE_HISTORY_SQL

T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def _insert(db: Database, at: datetime, n: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, "
            "table_rows) VALUES (?, ?, ?, ?, ?, ?)",
            (to_db(at), 1000 * n, n, 10 * n, n, json.dumps({"persons": n})),
        )


async def test_size_history_equals_the_rows_it_summarises(db: Database) -> None:
    """Every measurement from `since` on, oldest first: its time to the millisecond and its sizes."""
    moments = [T0 + timedelta(hours=h, milliseconds=h * 7) for h in (5, 0, 3, 1)]  # stored out of order
    for n, at in enumerate(moments, start=1):
        await _insert(db, at, n)
    async with db.read() as conn:
        history = await system_stats.size_history(conn)
        later = await system_stats.size_history(conn, since=T0 + timedelta(hours=1))
        async with conn.execute("SELECT * FROM system_stats ORDER BY recorded_at") as cur:
            rows = await cur.fetchall()
    expected = [datetime.fromisoformat(r["recorded_at"].replace("Z", "+00:00")).timestamp() for r in rows]
    assert history.seconds == expected
    assert history.db_bytes == [r["db_bytes"] + r["wal_bytes"] for r in rows]
    assert history.image_bytes == [r["image_bytes"] for r in rows]
    assert history.image_files == [r["image_files"] for r in rows]
    assert later.seconds == expected[1:]  # from `since` on, inclusive


async def test_size_history_reads_only_the_covering_index(db: Database) -> None:
    """The charts' query never touches the rows (each holds ~2 KB of rows-per-table JSON)."""
    explain = "EXPLAIN QUERY PLAN " + SIZE_HISTORY_SQL
    async with db.read() as conn, conn.execute(explain, {"since": ""}) as cur:
        plan = " ".join(str(row["detail"]) for row in await cur.fetchall())
    assert "USING COVERING INDEX idx_system_stats_sizes" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


async def test_empty_history(db: Database) -> None:
    """No measurement yet: empty columns, and no edges."""
    async with db.read() as conn:
        history = await system_stats.size_history(conn)
        assert await system_stats.first_stat(conn) is None
        assert await system_stats.last_stat_until(conn, T0) is None
    assert (history.seconds, history.db_bytes, history.image_bytes, history.image_files) == ([], [], [], [])


async def test_window_edges(db: Database) -> None:
    """The oldest from `since` on, and the newest at or before a moment (but not before `since`)."""
    for n, hours in enumerate((0, 10, 20, 30), start=1):
        await _insert(db, T0 + timedelta(hours=hours), n)
    async with db.read() as conn:
        first = await system_stats.first_stat(conn, since=T0 + timedelta(hours=5))
        until = await system_stats.last_stat_until(conn, T0 + timedelta(hours=20))
        too_early = await system_stats.last_stat_until(
            conn, T0 + timedelta(hours=9), since=T0 + timedelta(hours=5)
        )
    assert first is not None and first.table_rows == {"persons": 2}
    assert until is not None and until.recorded_at == T0 + timedelta(hours=20)  # at the moment counts
    assert too_early is None
