"""A database the size a busy year leaves (~850 MB), built once and cached for `mhc backup`.

Its bulk is where a real installation's is: affiliate session rows (with their two indexes),
follower history, room events (raw JSON and five indexes), persons, and a year of the hourly
system_stats rows. Values are random but shaped like the real ones (lengths, JSON, timestamps),
so pages, cells and overflow chains look like the real file's to SQLite.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.bench_system_stats import samples
from benchmarks.cache import cached_path
from benchmarks.schema import sessions_through_view
from service.store.db import open_database

VERSION = 1
PERSONS = 200_000
SESSIONS = 1_050_000
FOLLOWER_HISTORY = 2_200_000
ROOM_EVENTS = 300_000
NAME = f"year-database-v{VERSION}"

_START = datetime(2025, 12, 1, tzinfo=UTC)
_LETTERS = string.ascii_lowercase
_TAGS = [f"tag{i}" for i in range(400)]
_WORDS = [
    "hello",
    "welcome",
    "to",
    "my",
    "room",
    "goal",
    "tip",
    "menu",
    "lovense",
    "on",
    "private",
    "show",
    "tonight",
    "happy",
    "friday",
]


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment))


def _name(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(4, 10))) + f"_{n}"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _sessions(rng: random.Random, models: list[int]) -> Iterator[tuple[object, ...]]:
    start = _START.timestamp()
    for n in range(SESSIONS):
        person = models[n % len(models)]
        begin = start + (n // len(models)) * 6 * 3600 + rng.randint(0, 3600)
        iso = _iso(begin)
        yield (
            person, iso, int(begin), iso, _iso(begin + rng.randint(300, 14_400)), rng.randint(1, 50),
            rng.randint(300, 14_400), _name(rng, person).title(), rng.choice("fmct"), rng.randint(18, 50),
            rng.choice(("Europe", "United States", "Colombia", "")), json.dumps(["English"]),
            rng.choice(("public", "private", "away")), _sentence(rng, rng.randint(6, 16)),
            json.dumps(rng.sample(_TAGS, rng.randint(2, 6))), rng.randint(0, 3000), rng.randint(0, 5000),
            rng.randint(0, 500_000), rng.randint(0, 500_000),
            f"https://thumb.example/ri/{person}.jpg?{rng.getrandbits(32):x}",
        )  # fmt: skip


def _history(rng: random.Random, tracked: list[int]) -> Iterator[tuple[object, ...]]:
    start = _START.timestamp()
    per_person = FOLLOWER_HISTORY // len(tracked)
    for person in tracked:
        followers = rng.randint(100, 200_000)
        for n in range(per_person):
            followers += rng.randint(-5, 60)
            yield person, _iso(start + n * 1800 + rng.randint(0, 600)), "affiliate", followers


def _events(rng: random.Random, persons: int) -> Iterator[tuple[object, ...]]:
    start_ms = int(_START.timestamp() * 1000)
    for n in range(ROOM_EVENTS):
        ms = start_ms + n * 90_000 + rng.randint(0, 60_000)
        method = rng.choices(("tip", "chatMessage", "follow", "userEnter", "userLeave"), (2, 10, 1, 6, 6))[0]
        person = rng.randint(1, persons)
        tokens = rng.choice((1, 5, 10, 25, 100, 500)) if method == "tip" else 0
        message = _sentence(rng, rng.randint(2, 12)) if method in ("tip", "chatMessage") else None
        raw = json.dumps({
            "method": method, "id": f"{ms}-{n}",
            "object": {"user": {"username": f"fan_{person}", "inFanclub": False, "hasTokens": True,
                                "isMod": False, "gender": "m", "recentTips": "some"},
                       "tip": {"tokens": tokens, "isAnon": False, "message": message or ""},
                       "broadcaster": "my_room"},
        })  # fmt: skip
        at = _iso(ms / 1000)
        yield f"{ms}-{n}", ms, 0, at, method, person, tokens, 0, message, None, raw, at


def _fill(conn: sqlite3.Connection, rng: random.Random) -> None:
    created = _iso(_START.timestamp())
    conn.executemany(
        "INSERT INTO persons (id, username, role, first_seen_at, last_seen_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((n, _name(rng, n), "model" if n % 3 == 0 else "viewer", created, created, created, created)
         for n in range(1, PERSONS + 1)),
    )  # fmt: skip
    models = list(range(3, PERSONS + 1, 3))
    conn.executemany(
        "INSERT INTO affiliate_api_snapshots (person_id, session_start, session_start_s, first_seen_at, "
        "last_seen_at, polls, seconds_online, display_name, gender, age, location, spoken_languages, "
        "current_show, room_subject, tags, viewers, peak_viewers, followers_start, followers_latest, "
        "image_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _sessions(rng, models),
    )
    conn.commit()
    conn.executemany(
        "INSERT INTO follower_history (person_id, observed_at, source, followers) VALUES (?, ?, ?, ?)",
        _history(rng, models[:1500]),
    )
    conn.commit()
    conn.executemany(
        "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, message, "
        "broadcast_id, raw, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _events(rng, PERSONS),
    )
    names = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    conn.executemany(
        "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, table_rows) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        samples(names, _START + timedelta(days=365)),
    )
    conn.commit()


def build(path: Path) -> None:
    """The database at `path` (built beside it under a temporary name, then renamed)."""

    async def create(at: Path) -> None:
        async with open_database(at):
            pass

    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    asyncio.run(create(partial))
    conn = sqlite3.connect(partial)
    sessions_through_view(conn)
    try:
        conn.execute("PRAGMA cache_size = -200000")
        _fill(conn, random.Random(20261206))
        conn.execute("PRAGMA optimize")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    os.replace(partial, path)


def year_database() -> Path:
    """The cached database (its folder is a data dir: `mhc.sqlite3` inside), built when missing."""
    folder = cached_path(NAME)
    path = folder / "mhc.sqlite3"
    if not path.exists():
        folder.mkdir(exist_ok=True)
        started = time.perf_counter()
        print(f"   building {path} (once; cached) …", flush=True)
        build(path)
        print(
            f"   built {path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return path
