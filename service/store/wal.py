"""Checkpointing the write-ahead log beside the writer instead of inside its commits.

By default SQLite checkpoints in the commit that takes the WAL past 1,000 pages: every twentieth Events
batch or so paid ~6 ms copying the log into the database file, on the writer's thread, while the batch
waited. The service instead runs PASSIVE checkpoints on a connection (and thread) of their own soon
after writes: they copy what no reader still needs and never block the writer or a reader. The
writer keeps an automatic checkpoint far above that (`SAFETY_PAGES`), so a log this task cannot keep
short (a failing checkpoint, a reader holding an old snapshot for minutes) still stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import aiosqlite

from service.tasks import stop_task

log = logging.getLogger(__name__)

# The writer's own automatic checkpoint, the safety net: ~40 MB of log at 4 KiB pages.
SAFETY_PAGES = 10_000
# After a commit, wait this long for more before checkpointing: one checkpoint for a burst of commits.
GATHER_SECONDS = 0.05
# After a checkpoint that failed, wait this long before the next try (the failure is logged).
RETRY_SECONDS = 5.0


class WalCheckpointer:
    """`written()` after each commit; `start()` / `stop()` with the database."""

    def __init__(self, path: Path, *, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._due = asyncio.Event()
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await aiosqlite.connect(self._path, isolation_level=None)
        await self._conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        self._task = asyncio.create_task(self._run(), name="wal-checkpoints")

    def written(self) -> None:
        self._due.set()

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _run(self) -> None:
        assert self._conn is not None
        while True:
            await self._due.wait()
            await asyncio.sleep(GATHER_SECONDS)
            self._due.clear()
            try:
                await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except (sqlite3.Error, OSError) as error:
                # Never fatal: the writer's own checkpoint at SAFETY_PAGES still bounds the log.
                log.warning("database: a background WAL checkpoint failed (%s); retrying", error)
                await asyncio.sleep(RETRY_SECONDS)
                self._due.set()
