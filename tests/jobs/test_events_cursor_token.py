"""The stored Events cursor never holds the token, and an old cursor that did is converted in place."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx

from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.store.db import Database, migration_files
from tests.fakes.events import EventsScript
from tests.support.events import scalar, stored_ids
from tests.support.events_stream import TOKEN, ConfigBox, add_mixed, eventually, fast_backoff


def _database_bytes(path: Path) -> bytes:
    """The database file and its WAL, as a backup or a disk image would hold them."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def _count_is(db: Database, expected: int) -> bool:
    return int(await scalar(db, "SELECT count(*) FROM room_events")) == expected


async def test_the_token_is_nowhere_in_the_database(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """After batches and a restart the cursor holds a placeholder; the resume continues where it stopped."""
    add_mixed(script, 30)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _count_is(db, 30))
    finally:
        await stream.stop()
    cursor = await scalar(db, "SELECT cursor FROM events_stream_state")
    assert TOKEN not in cursor and "/{token}/" in cursor and f"i={script.ids[-1]}" in cursor
    assert TOKEN.encode() not in _database_bytes(db.path)
    add_mixed(script, 10, seed=4)
    requests_before = len(script.requests)
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _count_is(db, 40))
    finally:
        await stream.stop()
    assert script.requests[requests_before].cursor == script.ids[29]
    assert await stored_ids(db) == script.ids
    assert await scalar(db, "SELECT count(*) FROM events_gaps") == 0
    assert TOKEN.encode() not in _database_bytes(db.path)


def _version_7_database(path: Path, cursor: str) -> None:
    """A database as the previous release left it: its cursor is the full nextUrl, token included."""
    with sqlite3.connect(path) as conn:
        for number, migration in migration_files():
            if number > 7:
                break
            conn.executescript(migration.read_text())
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(
            "INSERT INTO events_stream_state (id, cursor, state, last_event_id, updated_at) "
            "VALUES (1, ?, 'connected', ?, '2026-01-02T00:00:00.000Z')",
            (cursor, cursor.rpartition("i=")[2].partition("&")[0]),
        )
    conn.close()


async def test_an_old_cursor_with_the_token_is_converted_without_losing_its_position(
    tmp_path: Path, http: httpx.AsyncClient, script: EventsScript, config: ConfigBox
) -> None:
    """The upgrade replaces the token in the stored cursor; the stream resumes at the same event."""
    add_mixed(script, 25)
    base = config.current.events_url
    old_cursor = f"{base}{script.username}/{TOKEN}/?i={script.ids[9]}&timeout=1"
    path = tmp_path / "old.sqlite3"
    _version_7_database(path, old_cursor)
    db = Database(path)
    await db.open()
    try:
        cursor = await scalar(db, "SELECT cursor FROM events_stream_state")
        assert cursor == f"{base}{script.username}/{{token}}/?i={script.ids[9]}&timeout=1"
        assert await scalar(db, "SELECT cursor_token_fingerprint FROM events_stream_state") is None
        stream = EventsStream(
            db,
            http,
            lambda: config.current,
            EventsHub(),
            StreamOptions(server_timeout=1, backoff=fast_backoff),
        )
        stream.start()
        try:
            await eventually(lambda: _count_is(db, 15))
        finally:
            await stream.stop()
        assert script.requests[0].cursor == script.ids[9]
        assert await stored_ids(db) == script.ids[10:]
        assert await scalar(db, "SELECT count(*) FROM events_gaps") == 0
    finally:
        await db.close()
