"""The Directory benchmarks' database: N persons (models, viewers, unknowns) with their person_state
rows as the source jobs leave them, their tags, a fan ledger for a few viewers, and M affiliate session
rows, built once per size and kept in the benchmark cache (benchmarks/cache.py).

Persons and their state rows are made in Python and written with executemany; the session rows, which
are most of the file, are made by one INSERT … SELECT over a sequence table, so 20,000,000 of them take
minutes rather than the tens of minutes a Python row generator needs. The database is made by running
the real migration files.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.cache import cached_path
from benchmarks.schema import migrated, sessions_through_view

# Bump when the rows change, so an old cached file is not taken for the new one.
GENERATOR_VERSION = 3
TAGS = [f"tag{i}" for i in range(300)]
DAY = 86400


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


def _names(rng: random.Random, persons: int) -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in range(persons):
        yield "".join(rng.choice(letters) for _ in range(rng.randint(3, 8))) + f"_{i}"


def _person_rows(
    rng: random.Random, persons: int, now: float
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """persons rows and person_state rows with each value's source and time, as the jobs write them."""
    person_rows: list[tuple[Any, ...]] = []
    states: list[tuple[Any, ...]] = []
    created = iso(now - 120 * DAY)
    for pid, name in enumerate(_names(rng, persons), start=1):
        role = rng.choices(("model", "viewer", "unknown"), (45, 45, 10))[0]
        seen_s = now - rng.uniform(0, 90 * DAY) if rng.random() < 0.95 else None
        seen = iso(seen_s) if seen_s is not None else None
        model = role == "model"
        person_rows.append((pid, name, role, seen, seen, created, created))
        if model:
            tags = rng.sample(TAGS[: 40 if rng.random() < 0.7 else 300], rng.randint(1, 8))
            live = rng.random() < 0.04
            ranked = rng.random() < 0.6
            states.append((
                pid, name, role,
                name.split("_")[0].title() if rng.random() < 0.6 else None, "affiliate", seen,
                rng.randint(18, 45), "affiliate", seen,
                rng.choice(("f", "m", "c", "t")), "affiliate", seen,
                int(live), "affiliate", seen, "public" if live else None,
                rng.randint(0, 500_000), rng.choice(("affiliate", "cbhours")), seen,
                rng.randint(1, 60_000) if ranked else None, "cbhours" if ranked else None,
                seen if ranked else None,
                json.dumps(tags), "affiliate", seen,
                f"https://img.example/{name}.jpg", seen,
                rng.choice((1, 2)) if rng.random() < 0.01 else None, 0, 0,
            ))  # fmt: skip
        else:
            followers = rng.randint(0, 50) if rng.random() < 0.1 else None
            states.append((
                pid, name, role,
                None, None, None,
                None, None, None,
                None, None, None,
                None, None, None, None,
                followers, "scrape" if followers is not None else None,
                seen if followers is not None else None,
                None, None, None,
                None, None, None,
                None, seen,
                rng.choice((1, 2)) if rng.random() < 0.01 else None, 0,
                rng.randint(1, 500) if role == "viewer" and rng.random() < 0.3 else 0,
            ))  # fmt: skip
    return person_rows, states


_STATE_COLUMNS = (
    "person_id, username, role, display_name, display_name_source, display_name_at, age, age_source, "
    "age_at, gender, gender_source, gender_at, is_live, live_source, live_at, current_show, followers, "
    "followers_source, followers_at, rank, rank_source, rank_at, tags, tags_source, tags_at, image_url, "
    "last_seen_at, priority, snapshot_count, events_count"
)


def _fill(conn: sqlite3.Connection, rng: random.Random, persons: int, sessions: int, now: float) -> None:
    person_rows, states = _person_rows(rng, persons, now)
    marks = ", ".join("?" * len(states[0]))
    with conn:
        conn.executemany("INSERT INTO persons (id, username, role, first_seen_at, last_seen_at, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", person_rows)  # fmt: skip
        conn.executemany(f"INSERT INTO person_state ({_STATE_COLUMNS}) VALUES ({marks})", states)
        conn.execute(
            "INSERT INTO person_tags (person_id, tag, role) SELECT s.person_id, t.value, s.role "
            "FROM person_state s, json_each(s.tags) t WHERE s.tags IS NOT NULL"
        )
    models = [s[0] for s in states if s[2] == "model"]
    viewers = [s[0] for s in states if s[2] == "viewer"]
    del person_rows, states
    _sessions(conn, models, sessions, now)
    _fan_ledger(conn, rng, viewers, now)


def _sessions(conn: sqlite3.Connection, models: list[int], sessions: int, now: float) -> None:
    """`sessions` affiliate session rows spread over the models, two hours apart, ending now."""
    per_model, extra = divmod(sessions, len(models))
    with conn:
        conn.execute("CREATE TEMP TABLE bench_models (person_id INTEGER PRIMARY KEY, k INTEGER NOT NULL)")
        conn.executemany(
            "INSERT INTO bench_models VALUES (?, ?)",
            ((pid, per_model + (i < extra)) for i, pid in enumerate(models)),
        )
        conn.execute("CREATE TEMP TABLE bench_seq (i INTEGER PRIMARY KEY)")
        conn.execute(
            "INSERT INTO bench_seq WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
            "WHERE i + 1 < ?) SELECT i FROM n",
            (per_model + 1,),
        )
        start = int(now) - (per_model + 1) * 7200
        conn.execute(
            "INSERT INTO affiliate_api_snapshots (person_id, session_start, session_start_s, first_seen_at, "
            "last_seen_at, polls, seconds_online, display_name, gender, age, location, tags, current_show, "
            "viewers, peak_viewers, followers_start, followers_latest, image_url) "
            "SELECT m.person_id, strftime('%Y-%m-%dT%H:%M:%S.000Z', :start + s.i * 7200, 'unixepoch'), "
            ":start + s.i * 7200, strftime('%Y-%m-%dT%H:%M:%S.000Z', :start + s.i * 7200, 'unixepoch'), "
            "strftime('%Y-%m-%dT%H:%M:%S.000Z', :start + s.i * 7200 + 3600, 'unixepoch'), 12, 3600, '', 'f', "
            "25, '', '[\"tag1\",\"tag2\"]', 'public', 100 + s.i, 150 + s.i, 1000 + s.i, 1010 + s.i, '' "
            "FROM bench_models m JOIN bench_seq s ON s.i < m.k ORDER BY m.person_id, s.i",
            {"start": start},
        )
        conn.execute(
            "UPDATE person_state SET snapshot_count = (SELECT k FROM bench_models m "
            "WHERE m.person_id = person_state.person_id) WHERE role = 'model'"
        )
        conn.execute("DROP TABLE bench_models")
        conn.execute("DROP TABLE bench_seq")


def _fan_ledger(conn: sqlite3.Connection, rng: random.Random, viewers: list[int], now: float) -> None:
    """2 % of the viewers tipped in the room: their lifetime row and a few spending days, so the Tokens
    column and the tier badges have something to show."""
    tippers = rng.sample(viewers, len(viewers) // 50)
    stats: list[tuple[Any, ...]] = []
    days: list[tuple[int, str, int]] = []
    for pid in tippers:
        spent: dict[str, int] = {}
        for _ in range(rng.randint(1, 6)):
            day = iso(now - rng.uniform(0, 120 * DAY))[:10]
            spent[day] = spent.get(day, 0) + rng.choice((1, 5, 10, 25, 50, 100, 500, 2000))
        first, last = min(spent), max(spent)
        stats.append((pid, first, last, len(spent), len(spent), len(spent), sum(spent.values()),
                      first, last, max(spent.values())))  # fmt: skip
        days.extend((pid, day, tokens) for day, tokens in spent.items())
    with conn:
        conn.executemany(
            "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tips, "
            "tokens_tipped, first_tip_at, last_tip_at, biggest_tip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stats,
        )
        conn.executemany("INSERT INTO person_room_days (person_id, day, tokens) VALUES (?, ?, ?)", days)
        vip = conn.execute("SELECT id FROM fan_lists WHERE builtin = 'vip'").fetchone()
        if vip:
            conn.executemany(
                "INSERT INTO fan_list_members (list_id, person_id, added_at) VALUES (?, ?, ?)",
                ((vip[0], pid, iso(now)) for pid in tippers[: len(tippers) // 10]),
            )


def build(path: Path, persons: int, sessions: int, seed: int = 20261125) -> dict[str, int]:
    """The database at `path`; returns its counts and the build time."""
    rng = random.Random(seed)
    started = time.perf_counter()
    conn = migrated(path)
    sessions_through_view(conn)
    # A throwaway file until it is renamed into place: no journal, no syncs, a large cache.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    _fill(conn, rng, persons, sessions, time.time())
    conn.execute("PRAGMA journal_mode = WAL")
    count = conn.execute("SELECT count(*) FROM affiliate_api_snapshots").fetchone()[0]
    conn.close()
    return {"persons": persons, "sessions": count, "seconds": int(time.perf_counter() - started)}


def data_dir(persons: int, sessions: int) -> tuple[Path, str]:
    """A data folder holding the cached database for this size (built now when missing), and a line
    saying which. Benchmarks open it in place: signing in adds a session row, and a newer schema
    migrates it, which is what a user's database goes through too."""
    folder = cached_path(f"directory-{persons}-{sessions}-v{GENERATOR_VERSION}")
    if (folder / "mhc.sqlite3").exists():
        return folder, f"cached {folder.name}"
    building = folder.with_name(f"{folder.name}.{os.getpid()}.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(mode=0o700)
    built = build(building / "mhc.sqlite3", persons, sessions)
    building.rename(folder)
    return folder, (
        f"built {built['persons']:,} persons and {built['sessions']:,} session rows in {built['seconds']} s"
    )
