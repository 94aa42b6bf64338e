"""Token history import: a 500,000-row CSV through the real import path in ≤ 20 s.

The database holds 20,000 persons and 100,000 room events over the file's last days (a fifth of them
tips that the file also lists, so matching has real work); the file has 50,000 tippers, a few kinds of
notes, 2% non-spending rows and some identical rows. The import runs as `mhc import token-history`
does (ingest.token_import.import_file: read in chunks, staged, matched, applied in one transaction).
The baseline, measured in the same run on a copy of the database, is a bare `executemany` of the
same rows straight into token_history (already parsed, no persons, no matching, no ledger).
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.clock import to_db
from service.ingest.token_import import ImportResult, import_file
from service.store.db import open_database

ROWS = 500_000
TIPPERS = 50_000
KNOWN_PERSONS = 20_000
EVENTS = 100_000
TARGET_SECONDS = 20.0
START = datetime(2025, 1, 1, tzinfo=UTC)
NOTES = ("Tip from user", "Private show", "Spy show", "Purchased photo set", "Fan Club membership", "Tip")


def _write_file(path: Path, rng: random.Random) -> list[tuple[int, str, int, str]]:
    """The CSV; returns (user number, at, tokens, note) of the tips the room events will repeat."""
    repeated = []
    step = 365 * 86400 / ROWS
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("User,Token change,Timestamp,Note,Balance\n")
        for i in range(ROWS):
            user = rng.randrange(TIPPERS)
            moment = START + timedelta(seconds=int(i * step))
            tokens = rng.choice((1, 5, 10, 25, 50, 100, 500)) if i % 50 else -rng.randrange(1, 100)
            note = NOTES[i % len(NOTES)] if i % 7 else "Tip"
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
            f.write(f"fan_{user:05d},{tokens},{stamp},{note},{i}\n")
            if i % 1000 == 0:  # an identical row: the same tip twice in one second
                f.write(f"fan_{user:05d},{tokens},{stamp},{note},{i}\n")
            late = i >= ROWS - EVENTS and len(repeated) < EVENTS // 5
            if late and note.startswith("Tip") and tokens > 0:
                drift = timedelta(seconds=rng.randrange(-40, 40))
                repeated.append((user, to_db(moment + drift), tokens, note))
    return repeated


def _build(db_path: Path, repeated: list[tuple[int, str, int, str]]) -> None:
    async def create() -> None:
        async with open_database(db_path):
            pass

    asyncio.run(create())
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT INTO persons (id, username, role, created_at, updated_at) "
            "VALUES (?, ?, 'viewer', 'x', 'x')",
            ((i + 1, f"fan_{i:05d}") for i in range(KNOWN_PERSONS)),
        )
        conn.executemany(
            "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'x', 'x')",
            ((f"fan_{u:05d}",) for u in sorted({u for u, *_ in repeated if u >= KNOWN_PERSONS})),
        )
        ids = dict(conn.execute("SELECT username, id FROM persons"))
        events = []
        first = datetime.fromisoformat(min(at for _, at, _, _ in repeated).replace("Z", "+00:00"))
        for n in range(EVENTS):
            if n < len(repeated):
                user, at, tokens, _ = repeated[n]
                events.append((f"t{n}", at, "tip", ids[f"fan_{user:05d}"], tokens))
            else:
                moment = first + timedelta(seconds=n)
                events.append((f"e{n}", to_db(moment), "userEnter", (n % KNOWN_PERSONS) + 1, 0))
        conn.executemany(
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, raw, received_at) "
            "VALUES (?1, CAST(round((julianday(?2) - 2440587.5) * 86400000) AS INTEGER), "
            "        abs(random()), ?2, ?3, ?4, ?5, '{}', ?2)",
            events,
        )


def _baseline(db_path: Path, csv_path: Path) -> float:
    """Seconds for a bare executemany of the file's rows into token_history (no rules at all)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO token_history_imports (filename, sha256, started_at) VALUES ('b', 'b', 'x')"
        )
        conn.execute(
            "INSERT INTO persons (id, username, created_at, updated_at) VALUES (999999, 'z', 'x', 'x')"
        )
        with csv_path.open(encoding="utf-8") as f:
            next(f)
            rows = [
                (999999, stamp, int(tokens), note, n + 1)
                for n, (_, tokens, stamp, note, _) in enumerate(line.rstrip("\n").split(",") for line in f)
                if int(tokens) > 0
            ]
        started = time.perf_counter()
        conn.executemany(
            "INSERT OR IGNORE INTO token_history (person_id, at, tokens, kind, note, occurrence, import_id) "
            "VALUES (?, ?, ?, 'tip', ?, ?, 1)",
            rows,
        )
        conn.commit()
        return time.perf_counter() - started


def main() -> bool:
    rng = random.Random(10)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "token_history.csv"
        repeated = _write_file(csv_path, rng)
        db_path = Path(tmp) / "data" / "mhc.sqlite3"
        _build(db_path, repeated)
        baseline_copy = Path(tmp) / "baseline.sqlite3"
        shutil.copy(db_path, baseline_copy)

        async def run() -> tuple[float, ImportResult]:
            async with open_database(db_path) as db:
                started = time.perf_counter()
                result = await import_file(db, csv_path)
                return time.perf_counter() - started, result

        elapsed, result = asyncio.run(run())
        baseline = _baseline(baseline_copy, csv_path)
    print(f"   import of {ROWS:,} token history rows: {elapsed:.2f} s (target ≤ {TARGET_SECONDS} s)")
    print(
        f"   read {result.rows_read:,}, added {result.added:,}, matched {result.matched:,}, "
        f"not spending {result.not_spending:,}"
    )
    print(f"   baseline, a bare executemany of the same rows into token_history: {baseline:.2f} s")
    return result.error is None and result.matched > 0 and elapsed <= TARGET_SECONDS


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
