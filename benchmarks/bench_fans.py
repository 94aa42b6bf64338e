"""Users › Fans: the first page and each smart list over 200,000 persons, 2,000 broadcasts and the
ledger of 5,000,000 room events, served in ≤ 50 ms median through the full HTTP stack.

Measured end to end: a real `create_app` service on the built database, a signed-in admin, and
GET /users/fans (routing, session, the ledger queries with the total and every smart list's count,
Jinja rendering of 50 rows) through aiohttp's test client on a real socket.

The benchmark measures reads, so it builds the ledger tables the Events batch keeps (person_room_stats,
broadcast_attendance, person_room_days) directly, set-based, from a synthetic distribution of
5,000,000 room events, instead of storing the events themselves (room_events stays empty: no page
here reads it). The distribution: 200,000 viewers seen in the room, 20% of them spending; a tipper
is active over a random stretch of the 2,000 daily broadcasts and spends on a few days of it (a
Pareto number; ~450,000 person-day rows, ~220 spenders a day, heavier than 5,000,000 events would
give); each broadcast has ~2,500 named events from ~600 attendees, 70% of a core of 300 regulars
and the rest from everyone; 30% follow, 5% followed and stopped. The figures in person_room_stats are
derived from those rows (lifetime = the sum of the days, attended = the count of attendance rows).

Each page is measured as browsed (the smart lists' counts are kept 30 s: service/web/fan_counts.py)
and with the counts recomputed for the request (their cache emptied first); the target applies to
the first figure, the second is printed beside it. Baseline, in the same run: the same store calls
(`fans.list_page` and `fans.list_counts`) on the service's own reader connection, without HTTP,
session and rendering.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from benchmarks.panel import sign_in
from benchmarks.schema import migrated
from service.app import create_app
from service.clock import utcnow
from service.settings import Settings
from service.store import fans
from service.store.fans import FansFilter
from service.web.keys import config_key, db_key, fan_counts_key

PERSONS = 200_000
BROADCASTS = 2_000
EVENTS = 5_000_000  # what the ledger below summarises
TIPPER_SHARE = 0.2
ATTENDEES_PER_BROADCAST = 600
TARGET_MS = 50.0
RUNS = 9


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _days(rng: random.Random, today: datetime) -> Iterator[tuple[int, str, int]]:
    """(person, day, tokens) for the tippers (persons 1..TIPPERS; lower ids spend more): each is active
    over a random stretch of the broadcast days and spends on a few of them."""
    tippers = int(PERSONS * TIPPER_SHARE)
    for pid in range(1, tippers + 1):
        start = rng.randrange(BROADCASTS)
        end = rng.randrange(start, BROADCASTS)
        span = end - start + 1
        count = max(1, min(span, int(rng.paretovariate(1.2) * 3)))
        scale = 1 + 200 * (pid < 500) + 20 * (pid < 5000)
        for offset in rng.sample(range(span), count):
            day = (today - timedelta(days=BROADCASTS - 1 - (start + offset))).date().isoformat()
            yield pid, day, max(1, int(rng.expovariate(1 / 60) * scale))


def _attendance(rng: random.Random, starts: list[datetime]) -> Iterator[tuple[int, int, str]]:
    """~600 attendees a broadcast: 70% of a core of 300 regulars, the rest from everyone."""
    core = list(range(1, 301))
    for bid, start in enumerate(starts, start=1):
        seen = {pid for pid in core if rng.random() < 0.7}
        while len(seen) < ATTENDEES_PER_BROADCAST:
            seen.add(rng.randint(1, PERSONS))
        at = _iso(start + timedelta(minutes=5))
        for pid in seen:
            yield bid, pid, at


def _name(rng: random.Random, pid: int) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8))) + f"_{pid}"


def build(path: Path) -> dict[str, int]:
    """The database at `path` with its ledger rows; returns counts and the build time."""
    rng = random.Random(20261206)
    started = time.perf_counter()
    conn = migrated(path)
    conn.execute("PRAGMA journal_mode = WAL")
    now = utcnow().replace(microsecond=0)
    created = _iso(now)
    starts = [now - timedelta(days=BROADCASTS - 1 - i, hours=2) for i in range(BROADCASTS)]
    with conn:
        conn.executemany(
            "INSERT INTO persons (id, username, role, created_at, updated_at) VALUES (?, ?, 'viewer', ?, ?)",
            ((pid, _name(rng, pid), created, created) for pid in range(1, PERSONS + 1)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO broadcasts (id, started_at, ended_at, end_reason, last_event_at, tokens) "
            "VALUES (?, ?, ?, ?, ?, 0)",
            ((i + 1, _iso(s), None if i == BROADCASTS - 1 else _iso(s + timedelta(hours=3)),
              None if i == BROADCASTS - 1 else "stop", _iso(s + timedelta(hours=1)))
             for i, s in enumerate(starts)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at) VALUES (?, ?, ?)",
            _attendance(rng, starts),
        )
        conn.executemany(
            "INSERT INTO person_room_days (person_id, day, tokens) VALUES (?, ?, ?)", _days(rng, now)
        )
        # Everyone seen: first and last seen from attendance, else a random day; spending from the days.
        conn.execute(
            "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, "
            "broadcasts_attended) "
            "SELECT p.id, coalesce(min(a.first_at), :fallback), coalesce(max(a.first_at), :fallback), "
            "count(a.broadcast_id) + 1, (count(a.broadcast_id) + 1) * 4, count(a.broadcast_id) "
            "FROM persons p LEFT JOIN broadcast_attendance a ON a.person_id = p.id GROUP BY p.id",
            {"fallback": _iso(now - timedelta(days=900))},
        )
        conn.execute(
            "WITH t AS (SELECT person_id, sum(tokens) AS total, count(*) AS n, max(tokens) AS biggest, "
            "min(day) AS first_day, max(day) AS last_day, "
            "(SELECT d.tokens FROM person_room_days d WHERE d.person_id = x.person_id "
            " ORDER BY d.day DESC LIMIT 1) AS last_tokens "
            "FROM person_room_days x GROUP BY person_id) "
            "UPDATE person_room_stats SET tokens_tipped = t.total, tips = t.n * 2, biggest_tip = t.biggest, "
            "first_tip_at = t.first_day || 'T20:00:00.000Z', last_tip_at = t.last_day || 'T20:00:00.000Z', "
            "last_tip_tokens = t.last_tokens FROM t WHERE t.person_id = person_room_stats.person_id"
        )
        # Follows: 30% follow now, another 5% did and stopped.
        conn.executemany(
            "INSERT INTO follow_periods "
            "(person_id, direction, started_at, start_source, ended_at, end_source) "
            "VALUES (?, 'follower', ?, 'events', ?, ?)",
            ((pid, created, None, None) if r < 0.3 else (pid, created, created, "events")
             for pid in range(1, PERSONS + 1) if (r := rng.random()) < 0.35),
        )  # fmt: skip
    conn.execute("ANALYZE")
    counts = {
        "persons": PERSONS,
        "days": conn.execute("SELECT count(*) FROM person_room_days").fetchone()[0],
        "attendance": conn.execute("SELECT count(*) FROM broadcast_attendance").fetchone()[0],
        "seconds": int(time.perf_counter() - started),
    }
    conn.close()
    return counts


def queries() -> list[dict[str, str]]:
    """The first page, each smart list, a tier, a search and the 30-day sort."""
    found: list[dict[str, str]] = [{}]
    found += [{"list": s.key} for s in fans.LISTS]
    found += [{"tier": "3"}, {"q": "ab"}, {"sort": "d30"}]
    return found


async def measure(data_dir: Path) -> list[tuple[str, float, float, float, int]]:
    """(query, median ms through HTTP, the same with the counts' cache emptied before each request,
    median ms of the store calls alone with every count, rows on the page)."""
    settings = Settings(data_dir=data_dir, jobs_enabled=False, password_time_cost=1, password_memory_kib=8)
    client = TestClient(TestServer(create_app(settings, announce=lambda _line: None)))
    await client.start_server()
    results = []
    try:
        await sign_in(client)
        app = client.app
        assert app is not None
        rules = app[config_key].fans
        for params in queries():
            url = "/users/fans?" + urlencode(params)
            warm, cold, direct = [], [], []
            smart = params.get("list")
            sort = next((s.sort for s in fans.LISTS if s.key == smart), params.get("sort", fans.DEFAULT_SORT))
            flt = FansFilter(smart=smart, tier=int(params["tier"]) if "tier" in params else None,
                             search=params.get("q", ""), sort=sort)  # fmt: skip
            for _ in range(RUNS + 1):
                for timings, empty_cache in ((warm, False), (cold, True)):
                    if empty_cache:
                        app[fan_counts_key].clear()
                    started = time.perf_counter()
                    response = await client.get(url)
                    body = await response.text()
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status == 200, body[:500]
                started = time.perf_counter()
                async with app[db_key].read() as conn:
                    now = datetime.now(UTC)
                    await fans.list_page(conn, flt, rules, now=now)
                    await fans.list_counts(conn, rules, now=now)
                direct.append((time.perf_counter() - started) * 1000)
            rows = body.count("<tr data-username=")
            results.append((urlencode(params) or "(first page)", statistics.median(warm[1:]),
                            statistics.median(cold[1:]), statistics.median(direct[1:]), rows))  # fmt: skip
    finally:
        await client.close()
    return results


def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        built = build(data_dir / "mhc.sqlite3")
        print(f"   built {built['persons']:,} persons, {BROADCASTS:,} broadcasts, {built['attendance']:,} "
              f"attendance rows and {built['days']:,} person-day rows (the ledger of {EVENTS:,} synthetic "
              f"room events, written directly) in {built['seconds']} s")  # fmt: skip
        results = asyncio.run(measure(data_dir))
    print(f"   GET /users/fans (aiohttp test client), median of {RUNS} after one warm-up: as browsed "
          "(the smart lists' counts kept 30 s), with the counts recomputed for the request, and the "
          "baseline = the same store calls (page, total and every count) without HTTP, session and "
          "rendering:")  # fmt: skip
    slow = 0
    for query, warm, cold, direct, rows in results:
        flag = "" if warm <= TARGET_MS else "  <-- over target"
        slow += warm > TARGET_MS
        print(f"   {warm:6.1f} ms  (counted afresh {cold:6.1f} ms; store {direct:5.1f} ms)  {rows:3d} rows  "
              f"{query}{flag}")  # fmt: skip
    worst = max(r[1] for r in results)
    worst_cold = max(r[2] for r in results)
    print(f"   {len(results)} pages, worst median {worst:.1f} ms (counted afresh {worst_cold:.1f} ms), "
          f"target {TARGET_MS:.0f} ms, {slow} over")  # fmt: skip
    return slow == 0


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
