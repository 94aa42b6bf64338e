"""Opening the SQLite database: PRAGMAs, schema/migrations, one writer and a small reader pool.

SQLite allows one writer at a time; funnelling every write through one connection behind an
asyncio lock turns contention into a queue instead of SQLITE_BUSY errors. WAL lets readers run
on their own connections while a write is in progress.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from service.store.files import prepare_database_file, secure_database_files
from service.store.wal import SAFETY_PAGES, WalCheckpointer

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = PROJECT_ROOT / "schema.sql"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SCHEMA_VERSION = re.compile(r"^-- schema-version: (\d+)$", re.MULTILINE)

Connection = aiosqlite.Connection
# A write that has not got the lock after this long is waiting for another process.
LOCK_WAIT_NOTICE_SECONDS = 0.5


async def fetch_all(conn: Connection, sql: str, params: Any = None) -> list[aiosqlite.Row]:
    """Every row of one statement in one trip to the connection's thread (execute, fetchall and
    close are three): a panel page runs a dozen statements, and each trip costs the event loop."""
    return list(await conn.execute_fetchall(sql, params))


async def fetch_one(conn: Connection, sql: str, params: Any = None) -> aiosqlite.Row | None:
    """The first row of a statement that returns at most a few (a key lookup, a count), in one trip."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


T = TypeVar("T")


class _InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose calls made on its own thread run there at once instead of being
    queued for that thread: a coroutine driven on the thread (`Database.write_on_thread`,
    `Database.read_on_thread`) does all its statements in one trip instead of one trip each."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == self._thread.ident:
            return fn(*args, **kwargs)
        queued: Callable[..., Awaitable[Any]] = super()._execute
        return await queued(fn, *args, **kwargs)


async def _on_own_thread(conn: Connection, work: Coroutine[Any, Any, T]) -> T:
    """Drive `work` to its end on `conn`'s thread, in one trip (an _InlineConnection's statements run
    there at once)."""
    queued: Callable[..., Awaitable[T]] = conn._execute
    return await queued(_drive, work)


def _drive(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that only awaits its connection to the end, on the calling thread."""
    try:
        work.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    work.close()
    raise RuntimeError("work on a connection's thread awaited something other than its connection")


class DatabaseLockedError(sqlite3.OperationalError):
    """Another process held the write lock for longer than this connection's busy timeout."""

    def __init__(self, waited_ms: int) -> None:
        super().__init__(f"database is locked: another process held the write lock for over {waited_ms} ms")
        self.waited_ms = waited_ms


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def migration_files() -> list[tuple[int, Path]]:
    """The numbered migration files, in order."""
    found = []
    for path in MIGRATIONS_DIR.iterdir():
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    found.sort()
    return found


def schema_version() -> int:
    """The version schema.sql declares in its header."""
    match = _SCHEMA_VERSION.search(SCHEMA_PATH.read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError(f"{SCHEMA_PATH} lacks its '-- schema-version: N' header")
    return int(match.group(1))


async def _configure(conn: Connection, *, busy_timeout_ms: int) -> None:
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    # NORMAL is durable in WAL mode except for the last commits before a power loss.
    await conn.execute("PRAGMA synchronous = NORMAL")


async def _user_version(conn: Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _has_tables(conn: Connection) -> bool:
    async with conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'") as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


async def _run_script_atomically(conn: Connection, sql: str, version: int) -> None:
    # executescript() commits anything pending first, so the transaction lives inside the script:
    # the schema change and its version bump land together or not at all.
    try:
        await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {int(version)};\nCOMMIT;")
    except Exception:
        if conn.in_transaction:
            await conn.rollback()
        raise


async def migrate(conn: Connection) -> int:
    """Bring the database to the current schema; returns the version it ends at."""
    target = schema_version()
    current = await _user_version(conn)
    if current == 0 and not await _has_tables(conn):
        await _run_script_atomically(conn, SCHEMA_PATH.read_text(encoding="utf-8"), target)
        log.info("created database schema version %d", target)
        return target
    if current > target:
        raise RuntimeError(
            f"database schema version {current} is newer than this program's {target}; "
            "upgrade the program or restore a backup"
        )
    for number, path in migration_files():
        if number > current:
            await _run_script_atomically(conn, path.read_text(encoding="utf-8"), number)
            log.info("applied migration %s", path.name)
            current = number
    return current


class Database:
    """One writer connection behind a lock, plus a pool of reader connections."""

    def __init__(
        self,
        path: Path,
        *,
        readers: int = 2,
        busy_timeout_ms: int = 5000,
        on_lock_wait: Callable[[], None] | None = None,
        checkpoint_beside: bool = False,
    ) -> None:
        self.path = path
        # The service checkpoints the WAL on a connection of its own instead of in the writer's
        # commits (store/wal.py); a command leaves it to SQLite.
        self._checkpoints = (
            WalCheckpointer(path, busy_timeout_ms=busy_timeout_ms) if checkpoint_beside else None
        )
        # Called once per transaction that waits for another process's write lock (`mhc` commands
        # tell the user why they pause); a lock still held after the busy timeout raises
        # DatabaseLockedError.
        self._on_lock_wait = on_lock_wait
        self._reader_count = readers
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[Connection] = asyncio.Queue()
        self._all_readers: list[Connection] = []

    async def open(self) -> None:
        # Tokens and personal data: the folder and every database file are the owner's alone.
        prepare_database_file(self.path)
        path = str(self.path)
        writer = await _InlineConnection(lambda: sqlite3.connect(path, isolation_level=None), 64)
        try:
            await _configure(writer, busy_timeout_ms=self._busy_timeout_ms)
            await migrate(writer)
        except BaseException:
            await writer.close()
            raise
        self._writer = writer
        if self._checkpoints is not None:
            await writer.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
            await self._checkpoints.start()
        for _ in range(self._reader_count):
            reader = await _InlineConnection(lambda: sqlite3.connect(path, isolation_level=None), 64)
            await _configure(reader, busy_timeout_ms=self._busy_timeout_ms)
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        # Private, whether an older version left them readable or opening just created them.
        secure_database_files(self.path)

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.stop()
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """The writer, inside BEGIN IMMEDIATE … COMMIT (rolled back if the block raises)."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            try:
                # BEGIN inside the try: a task cancelled while BEGIN is queued must still roll back
                # (aiosqlite runs queued calls in order), or the writer stays inside a transaction.
                await self._begin(self._writer)
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            try:
                await self._writer.commit()
            except BaseException:
                # SQLite may keep the transaction open after a failed COMMIT (a full disk, a
                # deferred constraint); its documentation asks for an explicit ROLLBACK.
                if self._writer.in_transaction:
                    await self._writer.rollback()
                raise
            self._committed()

    async def write_on_thread(self, work: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        """`work(conn)` inside BEGIN IMMEDIATE … COMMIT, run whole on the writer's thread.

        For a hot write of many statements (an Events batch): each awaited statement would otherwise
        be a trip from the event loop to the thread and back. `work` must await nothing but `conn`
        (a RuntimeError says so if it does), and it holds the event loop's GIL share while it runs
        Python, so it is for work measured in milliseconds."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        writer = self._writer
        # BEGIN joins the trip too, unless the caller watches for another process's lock (`mhc`
        # commands): noticing that wait needs the event loop while BEGIN waits on the thread.
        begin_on_thread = self._on_lock_wait is None

        async def whole() -> T:
            if begin_on_thread:
                await self._begin(writer)
            result = await work(writer)
            await writer.commit()
            return result

        async with self._write_lock:
            try:
                # As in transaction(): BEGIN inside the try, so a task cancelled while it is queued
                # still rolls back (the ROLLBACK queues behind it; after a COMMIT it does nothing).
                if not begin_on_thread:
                    await self._begin(writer)
                result = await _on_own_thread(writer, whole())
            except BaseException:
                # The work or its COMMIT failed (SQLite may keep the transaction open after a failed
                # COMMIT; its documentation asks for an explicit ROLLBACK), or the task was cancelled.
                await writer.rollback()
                raise
        self._committed()
        return result

    def _committed(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.written()

    async def _begin(self, writer: Connection) -> None:
        """BEGIN IMMEDIATE; a lock another process held past the busy timeout is DatabaseLockedError,
        for the service (the Events stream shows it) and the commands alike."""
        try:
            if self._on_lock_wait is None:
                await writer.execute("BEGIN IMMEDIATE")
            else:
                await self._begin_noticing_waits(writer, self._on_lock_wait)
        except sqlite3.OperationalError as exc:
            if _is_lock_error(exc):
                raise DatabaseLockedError(self._busy_timeout_ms) from exc
            raise

    @staticmethod
    async def _begin_noticing_waits(writer: Connection, on_wait: Callable[[], None]) -> None:
        # BEGIN IMMEDIATE is where another process's write makes us wait (our own writes queue on
        # the lock above); aiosqlite runs it on its thread, so this task can notice the wait.
        begin = asyncio.ensure_future(writer.execute("BEGIN IMMEDIATE"))
        done, _ = await asyncio.wait({begin}, timeout=LOCK_WAIT_NOTICE_SECONDS)
        if not done:
            on_wait()
        await begin

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[Connection]:
        """The writer outside any transaction, for statements that cannot run in one."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            yield self._writer

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """A reader connection (query_only) for the duration of the block."""
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)

    async def read_on_thread(self, work: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        """`work(conn)` on a reader, run whole on the reader's thread: one trip for several reads.

        For a page's reads (the Directory's list, count, badges and scrape state): each awaited
        statement would otherwise be a trip from the event loop to the thread and back, a future
        and a wake-up each. As with write_on_thread, `work` must await nothing but `conn` (a
        RuntimeError says so if it does) and holds the GIL while it runs Python."""
        async with self.read() as reader:
            return await _on_own_thread(reader, work(reader))


@asynccontextmanager
async def open_database(
    path: Path,
    *,
    readers: int = 2,
    busy_timeout_ms: int = 5000,
    on_lock_wait: Callable[[], None] | None = None,
) -> AsyncIterator[Database]:
    db = Database(path, readers=readers, busy_timeout_ms=busy_timeout_ms, on_lock_wait=on_lock_wait)
    await db.open()
    try:
        yield db
    finally:
        await db.close()
