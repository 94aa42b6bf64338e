"""`Database.write_on_thread`: a whole transaction driven on the writer's thread in one trip.

The Events stream stores each batch this way; these tests hold it to `transaction()`'s promises: all
or nothing, the writer never left inside a transaction (a failure, a cancelled task), and work that
awaits anything but its connection refused rather than run half on the wrong thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.store.db import Connection, Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "inline.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _names(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT username FROM persons ORDER BY username")
    return [row[0] for row in rows]


async def _add(conn: Connection, name: str) -> None:
    await conn.execute(
        "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'now', 'now')", (name,)
    )


async def test_the_work_runs_on_the_writers_thread_and_commits(db: Database) -> None:
    threads: list[int] = []

    async def work(conn: Connection) -> int:
        threads.append(threading.get_ident())
        await _add(conn, "alice")
        async with conn.execute("SELECT count(*) FROM persons") as cursor:
            row = await cursor.fetchone()
        await _add(conn, "bob")
        threads.append(threading.get_ident())
        return int(row[0]) if row else -1

    assert await db.write_on_thread(work) == 1
    assert await _names(db) == ["alice", "bob"]
    assert threads[0] == threads[1] != threading.get_ident()


async def test_work_that_fails_leaves_nothing_and_the_writer_usable(db: Database) -> None:
    async def work(conn: Connection) -> None:
        await _add(conn, "alice")
        raise ValueError("the batch is bad")

    with pytest.raises(ValueError, match="the batch is bad"):
        await db.write_on_thread(work)
    assert await _names(db) == []
    async with db.transaction() as conn:  # no "transaction within a transaction"
        await _add(conn, "carol")
    assert await _names(db) == ["carol"]


async def test_work_that_awaits_something_else_is_refused_and_rolled_back(db: Database) -> None:
    async def work(conn: Connection) -> None:
        await _add(conn, "alice")
        await asyncio.sleep(0)  # a loop-side await: it cannot run on the writer's thread

    with pytest.raises(RuntimeError, match="awaited something other than its connection"):
        await db.write_on_thread(work)
    assert await _names(db) == []
    await db.write_on_thread(lambda conn: _add(conn, "dave"))
    assert await _names(db) == ["dave"]


async def test_a_cancelled_write_never_leaves_the_writer_inside_a_transaction(db: Database) -> None:
    """Cancelled at every step (BEGIN queued, the work queued or running): the writer stays usable, and
    each cancelled write either landed whole or not at all."""
    for delay in (0, 0.0005, 0.001, 0.002, 0.005):
        name = f"user_{int(delay * 10000)}"

        async def work(conn: Connection, name: str = name) -> None:
            await _add(conn, name)
            await _add(conn, name + "_twin")

        task = asyncio.ensure_future(db.write_on_thread(work))
        await asyncio.sleep(delay)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with db.transaction() as conn:
            await _add(conn, name + "_after")
        names = await _names(db)
        assert name + "_after" in names
        assert (name in names) == (name + "_twin" in names)
