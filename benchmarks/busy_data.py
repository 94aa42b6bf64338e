"""The database the Profile and follow-list benchmarks share: 100,000 persons who all follow the
broadcaster (half of them after an earlier follow that ended: 50,000 ended periods), 2,000 rooms the
broadcaster follows, and one busy model with three years of history — 3,000 Affiliate sessions, 30,000
follower-history rows, CBHours activity and live checks, room events, the fan ledger, lists and notes.

Built once by running the real migration files and filling the tables with executemany, then cached
(benchmarks/cache.py); the name carries the generator's version.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.cache import cached_path
from benchmarks.schema import migrated, sessions_through_view

VERSION = 2  # 2: built with migration 0025 (follow_counts)
PERSONS = 100_000
ENDED = 50_000  # persons whose earlier follow ended before the current one began
FOLLOWING = 2_000
BUSY = "busy_model"  # person 1
QUIET = "quiet_model"  # person 2: one session, the floor of the Profile page
SESSIONS = 3_000
FOLLOWER_HISTORY = 30_000
DAY = 86_400
YEARS = 3


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def database() -> Path:
    """The cached database file, built first when missing (minutes)."""
    path = cached_path(f"busy-person-v{VERSION}.sqlite3")
    if not path.exists():
        building = path.with_suffix(f".building-{os.getpid()}")
        build(building)
        building.rename(path)
    return path


def build(path: Path) -> None:
    rng = random.Random(20261206)
    now = time.time()
    conn = migrated(path)
    sessions_through_view(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        _persons(conn, rng, now)
        _follows(conn, rng, now)
        _busy_history(conn, rng, now)
        _room(conn, rng, now)
    conn.execute("PRAGMA optimize")
    conn.close()


def _name(rng: random.Random, n: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(3, 8))) + f"_{n}"


def _persons(conn: sqlite3.Connection, rng: random.Random, now: float) -> None:
    created = iso(now - YEARS * 365 * DAY)
    persons, states = [], []
    for pid in range(1, PERSONS + 1):
        name = BUSY if pid == 1 else QUIET if pid == 2 else _name(rng, pid)
        role = "model" if pid <= 2 or rng.random() < 0.2 else "viewer"
        seen = iso(now - rng.uniform(0, 60 * DAY))
        persons.append((pid, name, role, created, seen, created, created))
        model = role == "model"
        states.append((pid, name, role, rng.randint(18, 45) if model else None,
                       rng.randint(0, 200_000) if model else None, seen,
                       json.dumps(["tag1", "tag2"]) if model else None))  # fmt: skip
    conn.executemany("INSERT INTO persons (id, username, role, first_seen_at, last_seen_at, created_at, "
                     "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", persons)  # fmt: skip
    conn.executemany(
        "INSERT INTO person_state (person_id, username, role, age, followers, last_seen_at, tags) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        states,
    )


def _follows(conn: sqlite3.Connection, rng: random.Random, now: float) -> None:
    """Every person follows now; persons 1..ENDED followed before, for a while, and came back."""
    span = YEARS * 365 * DAY
    rows: list[tuple[Any, ...]] = []
    for pid in range(1, PERSONS + 1):
        started = now - rng.uniform(0, span)
        if pid <= ENDED:
            ended = started - rng.uniform(60, 30 * DAY)
            earlier = ended - rng.uniform(DAY, 200 * DAY)
            source = rng.choice(("events", "list_snapshot"))
            rows.append((pid, "follower", iso(earlier), "events", iso(ended), source))
        rows.append((pid, "follower", iso(started), rng.choice(("events", "list_snapshot")), None, None))
    for pid in rng.sample(range(1, PERSONS + 1), FOLLOWING):
        rows.append((pid, "following", iso(now - rng.uniform(0, span)), "list_snapshot", None, None))
    conn.executemany(
        "INSERT INTO follow_periods (person_id, direction, started_at, start_source, ended_at, end_source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def _session_starts(rng: random.Random, now: float) -> list[float]:
    """SESSIONS broadcast starts over YEARS years, about one every eight hours, oldest first."""
    step = YEARS * 365 * DAY / SESSIONS
    return [now - YEARS * 365 * DAY + n * step + rng.uniform(0, step / 4) for n in range(SESSIONS)]


def _busy_history(conn: sqlite3.Connection, rng: random.Random, now: float) -> None:
    starts = _session_starts(rng, now)
    followers = 20_000
    sessions = []
    for start in starts:
        seconds = rng.randint(3600, 4 * 3600)
        gain = rng.randint(0, 60)
        sessions.append((1, iso(start), int(start), iso(start), iso(start + seconds), seconds // 300 + 1,
                         seconds, "Busy", "f", 25, "[]", json.dumps(["tag1", "tag2", "tag3"]), "public",
                         rng.randint(50, 3000), rng.randint(100, 5000), followers, followers + gain,
                         "a busy room subject #tag1 #tag2"))  # fmt: skip
        followers += gain
    sessions.append((2, iso(now - 3600), int(now - 3600), iso(now - 3600), iso(now - 60), 12, 3540, "Quiet",
                     "f", 30, "[]", "[]", "public", 5, 9, 100, 101, ""))  # fmt: skip
    conn.executemany(
        "INSERT INTO affiliate_api_snapshots (person_id, session_start, session_start_s, first_seen_at, "
        "last_seen_at, polls, seconds_online, display_name, gender, age, location, tags, current_show, "
        "viewers, peak_viewers, followers_start, followers_latest, room_subject) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    conn.executemany(
        "INSERT INTO follower_history (person_id, observed_at, source, followers) VALUES (1, ?, ?, ?)",
        _follower_history(rng, starts),
    )
    # CBHours 3-minute activity segments for the last 90 days of sessions, and live checks.
    recent = [s for s in starts if s > now - 90 * DAY]
    activity = [(iso(s + n * 180), "public", 40 + n % 7, 400 + n % 70, followers - 500 + n, 100 + n)
                for s in recent for n in range(40)]  # fmt: skip
    conn.executemany(
        "INSERT OR IGNORE INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, "
        "viewers, gender, fetched_at) VALUES (1, ?, ?, ?, ?, ?, ?, 'f', ?)",
        [(*row, row[0]) for row in activity],
    )
    checks = [(iso(s + 600), 1, 35, 350, 900, followers) for s in starts[-600:]]
    conn.executemany(
        "INSERT INTO cbhours_live_stats (person_id, checked_at, online, gender, rank, grank, viewers, "
        "followers, current_show, tags) VALUES (1, ?, ?, 'f', ?, ?, ?, ?, 'public', '[]')",
        checks,
    )


def _follower_history(rng: random.Random, starts: list[float]) -> Iterator[tuple[str, str, int]]:
    """FOLLOWER_HISTORY counts in the sessions (Affiliate and CBHours alternating, a few minutes apart)."""
    per_session = FOLLOWER_HISTORY // len(starts)
    followers = 20_000
    for start in starts:
        for n in range(per_session):
            followers += rng.randint(0, 3)
            yield iso(start + n * 300 + 1), ("affiliate", "cbhours")[n % 2], followers


def _room(conn: sqlite3.Connection, rng: random.Random, now: float) -> None:
    """The busy model as a fan of the broadcaster's room: tips, the ledger, lists and notes."""
    tips = []
    days: dict[str, int] = {}
    for n in range(2_000):
        at = now - rng.uniform(0, 365 * DAY)
        tokens = rng.choice((1, 5, 25, 100, 500))
        ms = int(at * 1000)
        tips.append((f"bench-{n}", ms, n, iso(at), "tip", 1, tokens, "{}", iso(at)))
        day = iso(at)[:10]
        days[day] = days.get(day, 0) + tokens
    conn.executemany(
        "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, raw, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tips,
    )
    total = sum(days.values())
    conn.execute(
        "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tips, "
        "tokens_tipped, last_tip_at, last_tip_tokens, biggest_tip, first_tip_at, broadcasts_attended) "
        "VALUES (1, ?, ?, 400, 2600, 2000, ?, ?, 25, 500, ?, 300)",
        (iso(now - 365 * DAY), iso(now - DAY), total, iso(now - DAY), iso(now - 365 * DAY)),
    )
    conn.executemany("INSERT INTO person_room_days (person_id, day, tokens) VALUES (1, ?, ?)", days.items())
    conn.execute("INSERT INTO fan_list_members (list_id, person_id, added_at) VALUES (2, 1, ?)", (iso(now),))
    conn.executemany(
        "INSERT INTO person_notes (person_id, category, body, created_at, updated_at) "
        "VALUES (1, 'note', ?, ?, ?)",
        [(f"note {n}: likes requests", iso(now - n * DAY), iso(now - n * DAY)) for n in range(20)],
    )
