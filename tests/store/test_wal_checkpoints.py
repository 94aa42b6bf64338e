"""The service checkpoints the WAL beside the writer (store/wal.py), not inside the writer's commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from service.store.db import Database
from service.store.wal import SAFETY_PAGES


async def _write_some(db: Database, count: int) -> None:
    for n in range(count):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'now', 'now')",
                (f"person_{n}",),
            )
    await db.write_on_thread(lambda conn: conn.execute("UPDATE persons SET role = 'viewer'"))


async def test_commits_reach_the_database_file_soon_without_the_writer_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "beside.sqlite3"
    db = Database(path, checkpoint_beside=True)
    await db.open()
    try:
        async with db.exclusive() as conn, conn.execute("PRAGMA wal_autocheckpoint") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == SAFETY_PAGES  # the writer only checkpoints as a safety net
        before = path.stat().st_size
        await _write_some(db, 30)
        for _ in range(100):  # the checkpoint follows the commits within a fraction of a second
            if path.stat().st_size > before:
                break
            await asyncio.sleep(0.02)
        assert path.stat().st_size > before
    finally:
        await db.close()


async def test_without_it_a_few_commits_stay_in_the_log(tmp_path: Path) -> None:
    """The yardstick for the test above: SQLite alone checkpoints only past 1,000 pages of log."""
    path = tmp_path / "alone.sqlite3"
    db = Database(path)
    await db.open()
    try:
        before = path.stat().st_size
        await _write_some(db, 30)
        await asyncio.sleep(0.3)
        assert path.stat().st_size == before
    finally:
        await db.close()
