"""Migration 0027 splits each affiliate session row into its profile (shared while unchanged) and its
own figures, and re-keys follower history: on an existing database every value reads back the same."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from service.store import export, profile, profile_history
from service.store.db import migration_files, open_database

BEFORE = 27


def _old_database(path: Path) -> None:
    """A database as version 22 left it, with sessions whose profiles repeat, change and come back."""
    with sqlite3.connect(path) as conn:
        for number, script in migration_files():
            if number < BEFORE:
                conn.executescript(script.read_text())
                conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("INSERT INTO persons (id, username, created_at, updated_at) VALUES (1, 'ana', 'x', 'x')")
        conn.execute("INSERT INTO persons (id, username, created_at, updated_at) VALUES (2, 'bo', 'x', 'x')")
        profiles: list[dict[str, Any]] = [
            {"display_name": "Ana", "gender": "f", "age": 25, "birthday": "2000-01-02", "location": "Lisbon",
             "country": "PT", "spoken_languages": '["English"]', "image_url": "https://img.example/a.jpg"},
            {"display_name": "Ana!", "gender": "f", "age": None, "birthday": None, "location": "Lisbon",
             "country": "PT", "spoken_languages": '["English"]', "image_url": "https://img.example/a.jpg"},
            {"display_name": "", "gender": "m", "age": None, "birthday": None, "location": "",
             "country": "", "spoken_languages": "[]", "image_url": ""},
        ]  # fmt: skip
        history = [(1, f"2026-11-0{d}T10:00:00.000Z", source, 100 * d + len(source))
                   for d in range(1, 4) for source in ("affiliate", "cbhours", "stats")]  # fmt: skip
        conn.executemany("INSERT INTO follower_history VALUES (?, ?, ?, ?)", history)
        sessions = [(1, 0), (1, 0), (1, 1), (1, 1), (1, 0), (2, 2), (2, 2)]
        for n, (person, profile) in enumerate(sessions):
            start_s = 1_790_000_000 + n * 86_400
            start = conn.execute(
                "SELECT strftime('%Y-%m-%dT%H:%M:%S.000Z', :s, 'unixepoch')", {"s": start_s}
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO affiliate_api_snapshots (person_id, session_start, session_start_s, "
                "first_seen_at, last_seen_at, polls, seconds_online, display_name, gender, age, birthday, "
                "location, country, spoken_languages, current_show, room_subject, tags, is_new, is_hd, "
                "viewers, peak_viewers, "
                "followers_start, followers_latest, image_url) VALUES (:person, :start, :start_s, :start, "
                ":start, :polls, 60, :display_name, :gender, :age, :birthday, :location, :country, "
                ":spoken_languages, 'public', :subject, :tags, :n % 2, 1, :n, :n * 3, 100 + :n, 110 + :n, "
                ":image_url)",
                {**profiles[profile], "person": person, "n": n, "polls": n + 1, "start_s": start_s,
                 # One session as another writer left it: its start text is not the seconds' own.
                 "start": "2026-01-01T00:00:00.123Z" if n == 3 else start,
                 "subject": f"show {n}", "tags": json.dumps(["fit"] * (n % 3))},
            )  # fmt: skip


def _read(path: Path) -> tuple[list[tuple[Any, ...]], ...]:
    with sqlite3.connect(path) as conn:
        sessions = conn.execute("SELECT * FROM affiliate_api_snapshots ORDER BY id").fetchall()
        state = conn.execute("SELECT * FROM v_person_current_state ORDER BY person_id").fetchall()
        history = conn.execute(
            "SELECT * FROM follower_history ORDER BY person_id, source, observed_at"
        ).fetchall()
    return sessions, state, history


async def test_every_session_reads_back_the_same_and_profiles_are_shared(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_database(path)
    before = _read(path)
    async with open_database(path):
        pass  # migrates
    after = _read(path)
    assert after == before
    assert (len(after[0]), len(after[2])) == (7, 9)
    with sqlite3.connect(path) as conn:
        # Three distinct profiles across seven sessions; one start text kept as it was written.
        assert conn.execute("SELECT count(*) FROM affiliate_profiles").fetchone() == (3,)
        assert conn.execute(
            "SELECT count(*) FROM affiliate_sessions WHERE session_start IS NOT NULL"
        ).fetchone() == (1,)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def _page_figures(conn: Any, person_id: int, username: str) -> dict[str, Any]:
    """What the Profile page, the Directory's state and `mhc export` read, through the store."""
    figures: dict[str, Any] = {
        **{
            f"followers chart {source} {since}": await profile_history.points(
                conn, series, person_id=person_id, username=username, since=since
            )
            for source, series in profile_history.FOLLOWER_SERIES.items()
            for since in (None, "2026-11-02T00:00:00.000Z")
        },
        "sessions": await profile.list_sessions(conn, person_id),
        "session count": await profile.count_sessions(conn, person_id),
        "latest records": await profile.latest_records(conn, person_id, username),
    }
    for name in ("affiliate_sessions", "follower_history", "person_state"):
        figures[f"export {name}"] = [row async for row in export.rows(conn, name)]
    async with conn.execute("SELECT * FROM v_person_current_state WHERE person_id = ?", (person_id,)) as cur:
        figures["current state"] = tuple(await cur.fetchone())
    return figures


async def test_profile_directory_and_export_figures_are_the_same_after_the_migration(tmp_path: Path) -> None:
    """The store's own readers, run on the old tables and then on the migrated ones, give the same figures
    (charts, sessions, the raw latest records, the current state and the export files)."""
    path = tmp_path / "old.sqlite3"
    _old_database(path)
    async with aiosqlite.connect(path) as conn:
        conn.row_factory = aiosqlite.Row
        before = {pid: await _page_figures(conn, pid, name) for pid, name in ((1, "ana"), (2, "bo"))}
    async with open_database(path) as db, db.read() as conn:
        after = {pid: await _page_figures(conn, pid, name) for pid, name in ((1, "ana"), (2, "bo"))}
    assert after == before
    assert len(before[1]["sessions"]) == 5
    assert before[1]["followers chart affiliate None"]
