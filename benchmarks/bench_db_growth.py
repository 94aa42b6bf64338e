"""Database growth: a steady-state day of 5,000 online rooms polled every 5 minutes adds ≤ 12 MB
(issue 14), with nothing a page shows lost.

288 affiliate sweeps go through the real store (store_sweep: persons, one session row per person
per broadcast, person_state, person_tags, follower history of 200 tracked persons). Rooms
broadcast for 3 hours on average, then make way for others from a pool of 15,000, so the day
sees many sessions; viewers change every poll and followers slowly. Steady state: every room of
the pool was seen before (the persons, their state and profiles exist), and six hours of the same
traffic precede the day, so the indexes the sweeps keep rewriting (last seen) are as full as any
day leaves them rather than freshly packed. Growth is the database file after a WAL checkpoint at
the end of the day, minus the same file at its start (the same-run baseline).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks import figures
from service.clock import to_db, utcnow
from service.jobs.affiliate import sightings
from service.sources.affiliate.models import AffiliateRoom
from service.store import affiliate as affiliate_store
from service.store import lookup
from service.store.affiliate import RoomSighting
from service.store.db import Database, open_database
from tests.fakes.affiliate import generate_rooms

ONLINE = 5_000
POOL = 15_000
POLLS = 24 * 12
TRACKED = 200
WARM_POLLS = 6 * 12  # six hours before the measured day
MEAN_SESSION_POLLS = 36  # three hours
TARGET_MB = 12.0
ROW = "Database growth, one day"


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def _checkpointed_size(db: Database) -> int:
    async with db.exclusive() as conn:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return _size(db.path)


def _pool(start: datetime) -> list[RoomSighting]:
    rooms = [AffiliateRoom.model_validate(r) for r in generate_rooms(POOL, seed=7)]
    rows, _ = sightings(rooms, start)
    return rows


async def _warm_up(db: Database, rng: random.Random, start: datetime) -> list[RoomSighting]:
    """Every room of the pool seen once the day before; 200 of them tracked. Returns the pool."""
    pool = _pool(start)
    yesterday = start - timedelta(days=1)
    for first in range(0, POOL, ONLINE):
        batch = [
            row._replace(start_s=int(yesterday.timestamp()) - 600) for row in pool[first : first + ONLINE]
        ]
        async with db.transaction() as conn:
            await affiliate_store.store_sweep(conn, batch, seen_at=to_db(yesterday), broadcaster="bench_me")
    async with db.transaction() as conn:
        for row in rng.sample(pool, TRACKED):
            await lookup.enqueue(conn, row.username, 2, "", "bench")
    return pool


async def _simulate(db: Database, rng: random.Random, start: datetime, pool: list[RoomSighting]) -> int:
    """WARM_POLLS polls, then the day's; returns the checkpointed size where the day starts."""
    online = {i: 0 for i in rng.sample(range(POOL), ONLINE)}  # pool index → seconds online
    followers = [row.followers for row in pool]
    day_starts = 0
    for poll in range(WARM_POLLS + POLLS):
        if poll == WARM_POLLS:
            day_starts = await _checkpointed_size(db)
        seen = start + timedelta(minutes=5 * poll)
        seen_s = int(seen.timestamp())
        batch = []
        for index, seconds in online.items():
            base = pool[index]
            followers[index] += rng.randint(0, 3)
            batch.append(base._replace(start_s=seen_s - seconds, seconds_online=seconds,
                                       viewers=rng.randint(0, 3000), followers=followers[index]))  # fmt: skip
        async with db.transaction() as conn:
            await affiliate_store.store_sweep(conn, batch, seen_at=to_db(seen), broadcaster="bench_me")
        _advance(online, rng)
    return day_starts


def _advance(online: dict[int, int], rng: random.Random) -> None:
    """Five minutes pass: sessions age (with the feed's jitter), some end and others begin."""
    for index in list(online):
        if rng.random() < 1 / MEAN_SESSION_POLLS:
            del online[index]
        else:
            online[index] += 300 + rng.randint(-10, 10)
    while len(online) < ONLINE:
        candidate = rng.randrange(POOL)
        online.setdefault(candidate, rng.randint(0, 240))


async def _run() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "growth.sqlite3") as db:
            rng = random.Random(3)
            start = utcnow() - timedelta(minutes=5 * (WARM_POLLS + POLLS))
            pool = await _warm_up(db, rng, start)
            started = time.perf_counter()
            warm = await _simulate(db, rng, start, pool)
            grown = (await _checkpointed_size(db) - warm) / 1e6
            async with (
                db.read() as conn,
                conn.execute(
                    "SELECT (SELECT count(*) FROM affiliate_sessions), "
                    "(SELECT count(*) FROM follower_history), (SELECT count(*) FROM persons)"
                ) as cursor,
            ):
                sessions, history, persons = tuple(await cursor.fetchone() or (0, 0, 0))
    ok = grown <= TARGET_MB
    print(
        f"   {WARM_POLLS} + {POLLS} polls of {ONLINE} online rooms ({persons} persons, {sessions} session "
        f"rows, {history} follower-history rows in all) in {time.perf_counter() - started:.0f} s: the day "
        f"+{grown:.1f} MB on {warm / 1e6:.1f} MB at its start (target ≤ {TARGET_MB:.0f} MB)"
        f"{'' if ok else '  MISSED'}"
    )
    figures.record(
        ROW, f"+{grown:.1f} MB/day", f"≤ {TARGET_MB:.0f} MB/day", f"{warm / 1e6:.1f} MB before the day", ok
    )
    return ok


def main() -> bool:
    return asyncio.run(_run())


if __name__ == "__main__":
    main()
