"""`Database.read_on_thread`: a page's reads driven whole on a reader's thread in one trip.

The Directory and every page's header read this way; these tests hold it to what `read()` promises:
the reads see committed data, the reader goes back to the pool whatever happens, an error reaches the
caller, and work that awaits anything but its connection is refused rather than run half on the
wrong thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.store.db import Connection, Database, fetch_all, fetch_one


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "reads.sqlite3", readers=2)
    await database.open()
    async with database.transaction() as conn:
        for name in ("alice", "bob", "carol"):
            await conn.execute(
                "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'now', 'now')", (name,)
            )
    yield database
    await database.close()


async def _free_readers(db: Database) -> int:
    """How many readers the pool hands out at once (all of them, when none is held)."""
    held = []
    for _ in range(2):
        held.append(await asyncio.wait_for(db._readers.get(), timeout=1))
    for reader in held:
        db._readers.put_nowait(reader)
    return len(held)


async def test_several_reads_run_on_the_readers_thread(db: Database) -> None:
    threads: list[int] = []

    async def work(conn: Connection) -> tuple[int, list[str]]:
        threads.append(threading.get_ident())
        count = await fetch_one(conn, "SELECT count(*) FROM persons")
        names = await fetch_all(conn, "SELECT username FROM persons ORDER BY username")
        async with conn.execute("SELECT max(username) FROM persons") as cursor:
            row = await cursor.fetchone()
            assert row is not None and tuple(row) == ("carol",)
        threads.append(threading.get_ident())
        return int(count[0]) if count else -1, [row[0] for row in names]

    assert await db.read_on_thread(work) == (3, ["alice", "bob", "carol"])
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()  # not the event loop's thread
    assert await _free_readers(db) == 2


async def test_reads_see_what_was_committed_since(db: Database) -> None:
    async def count(conn: Connection) -> int:
        row = await fetch_one(conn, "SELECT count(*) FROM persons")
        return int(row[0]) if row else -1

    assert await db.read_on_thread(count) == 3
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM persons WHERE username = 'bob'")
    assert await db.read_on_thread(count) == 2


async def test_an_error_reaches_the_caller_and_the_reader_returns(db: Database) -> None:
    async def broken(conn: Connection) -> None:
        await fetch_all(conn, "SELECT * FROM no_such_table")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.read_on_thread(broken)
    assert await _free_readers(db) == 2


async def test_a_reader_stays_read_only(db: Database) -> None:
    async def writes(conn: Connection) -> None:
        await conn.execute("DELETE FROM persons")

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.read_on_thread(writes)
    async with db.read() as conn:
        row = await fetch_one(conn, "SELECT count(*) FROM persons")
        assert row is not None and row[0] == 3


async def test_work_that_awaits_something_else_is_refused(db: Database) -> None:
    async def strays(conn: Connection) -> None:
        await fetch_one(conn, "SELECT 1")
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="awaited something other than its connection"):
        await db.read_on_thread(strays)
    assert await _free_readers(db) == 2


async def test_many_pages_at_once_share_the_pool(db: Database) -> None:
    """More pages than readers: each waits for a reader, none sees another's connection busy."""

    async def names(conn: Connection) -> list[str]:
        return [row[0] for row in await fetch_all(conn, "SELECT username FROM persons ORDER BY 1")]

    answers = await asyncio.gather(*(db.read_on_thread(names) for _ in range(20)))
    assert answers == [["alice", "bob", "carol"]] * 20
    assert await _free_readers(db) == 2
