"""The Events stream survives storage faults: a locked database, a full disk, an out-of-range value.

Each fault is real: another process holding the write lock, a data directory on a tiny tmpfs, a tip
of 10**20 tokens from the (fake) upstream. The stream must show the fault with its reason while it
lasts, retry from the stored cursor, and end with every scripted event stored exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.store.db import Database
from tests.fakes.events import EventsScript
from tests.support.events import scalar, stored_ids
from tests.support.events_stream import ConfigBox, add_mixed, eventually, fast_backoff

BUSY_TIMEOUT_MS = 100


def _stream(db: Database, http: httpx.AsyncClient, config: ConfigBox) -> EventsStream:
    options = StreamOptions(server_timeout=1, backoff=fast_backoff)
    return EventsStream(db, http, lambda: config.current, EventsHub(), options)


@pytest.fixture
async def quick_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A database that gives up on another process's lock after 0.1 s (MHC_DB_BUSY_TIMEOUT_MS)."""
    database = Database(tmp_path / "locked.sqlite3", busy_timeout_ms=BUSY_TIMEOUT_MS)
    await database.open()
    yield database
    await database.close()


async def _count(db: Database) -> int:
    return int(await scalar(db, "SELECT count(*) FROM room_events"))


async def _has(db: Database, expected: int) -> bool:
    return await _count(db) == expected


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process takes the write lock (BEGIN IMMEDIATE) and keeps it for `seconds`."""
    code = (
        "import sqlite3, sys, time\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "conn.execute('COMMIT')\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


async def test_database_locked_by_another_process_is_shown_and_retried(
    quick_db: Database, http: httpx.AsyncClient, script: EventsScript, config: ConfigBox
) -> None:
    """A lock held longer than the busy timeout: "store_error" with the reason, then every event once."""
    add_mixed(script, 30)
    stream = _stream(quick_db, http, config)
    stream.start()
    holder: subprocess.Popen[str] | None = None
    try:
        await eventually(lambda: _has(quick_db, 30))
        holder = await asyncio.to_thread(_hold_write_lock, quick_db.path, 2.0)
        add_mixed(script, 40, seed=9)

        async def blocked() -> bool:
            shown = stream.live_status()
            return shown is not None and shown.state == "store_error"

        await eventually(blocked)
        shown = stream.live_status()
        assert shown is not None and shown.detail is not None and "database is locked" in shown.detail
        assert await _count(quick_db) == 30
        await asyncio.to_thread(holder.wait, 10)
        await eventually(lambda: _has(quick_db, 70))
        await eventually(lambda: _live_state_is(stream, "connected"))
    finally:
        if holder is not None:
            if holder.poll() is None:
                holder.kill()
            holder.wait(10)
            if holder.stdout is not None:
                holder.stdout.close()
        await stream.stop()
    assert await stored_ids(quick_db) == script.ids


async def _live_state_is(stream: EventsStream, expected: str) -> bool:
    shown = stream.live_status()
    return shown is not None and shown.state == expected


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (needs root); skips the test when mounting is not allowed."""
    path.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],  # noqa: S607
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot mount a tmpfs for the full-disk test (needs root): {error}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)  # noqa: S607


def fill(path: Path) -> None:
    """Write a filler file until the filesystem has no space left."""
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file would try to flush its last chunk on close, and fail there.
    with path.open("wb", buffering=0) as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(chunk)
        with contextlib.suppress(OSError):
            os.fsync(filler.fileno())


async def test_full_disk_is_shown_and_every_event_stored_once_after_space_is_freed(
    tmp_path: Path, http: httpx.AsyncClient, script: EventsScript, config: ConfigBox
) -> None:
    """The data directory fills up mid-stream; after the filler is deleted, nothing is lost or doubled."""
    with tiny_filesystem(tmp_path / "data", "6m") as data:
        db = Database(data / "mhc.sqlite3", busy_timeout_ms=BUSY_TIMEOUT_MS)
        await db.open()
        stream = _stream(db, http, config)
        try:
            add_mixed(script, 20)
            stream.start()
            await eventually(lambda: _has(db, 20))
            filler = data / "filler"
            await asyncio.to_thread(fill, filler)
            # Long messages: the next batches need far more pages than the WAL already has.
            for n in range(300):
                script.add(
                    "chatMessage", {"user": {"username": f"fan_{n % 7}"}, "message": {"message": "x" * 4000}}
                )

            async def full() -> bool:
                shown = stream.live_status()
                return shown is not None and shown.state == "store_error"

            await eventually(full)
            shown = stream.live_status()
            assert shown is not None and shown.detail is not None and "full" in shown.detail
            filler.unlink()
            await eventually(lambda: _has(db, 320), seconds=20)
            await eventually(lambda: _live_state_is(stream, "connected"))
            assert await stored_ids(db) == script.ids
        finally:
            await stream.stop()
            await db.close()


async def test_out_of_range_tip_is_quarantined_and_the_rest_stored(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """A tip of 10**20 tokens cannot be an SQLite integer: it is quarantined, the events around it stored."""
    add_mixed(script, 5)
    huge = script.add("tip", {"user": {"username": "fan_1"}, "tip": {"tokens": 10**20, "isAnon": False}})
    add_mixed(script, 5, seed=2)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _has(db, 10))
        await eventually(lambda: _quarantined(db, 1))
    finally:
        await stream.stop()
    assert await stored_ids(db) == [i for i in script.ids if i != huge["id"]]
    reason = await scalar(db, "SELECT reason FROM events_quarantine")
    assert "tokens" in reason
    assert await scalar(db, "SELECT event_id FROM events_quarantine") == huge["id"]


async def _quarantined(db: Database, expected: int) -> bool:
    return int(await scalar(db, "SELECT count(*) FROM events_quarantine")) == expected


async def test_text_sqlite_cannot_store_is_quarantined_and_the_rest_stored(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """A chat message with a lone UTF-16 surrogate (valid JSON, not UTF-8): quarantined, not a stuck batch."""
    add_mixed(script, 4)
    bad = script.add("chatMessage", {"user": {"username": "fan_2"}, "message": {"message": "hi \ud800"}})
    add_mixed(script, 4, seed=3)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _has(db, 8))
        await eventually(lambda: _quarantined(db, 1))
    finally:
        await stream.stop()
    assert await stored_ids(db) == [i for i in script.ids if i != bad["id"]]
    assert await scalar(db, "SELECT event_id FROM events_quarantine") == bad["id"]
    assert "UTF-8" in await scalar(db, "SELECT reason FROM events_quarantine")
