"""Events API: ingest throughput through the real consumer, and the Events page over 1,000,000 events.

1. Ingest: the fake Events API (tests/fakes/events.py) on loopback serves 5,000 events in batches of
   100; the real `EventsStream` polls, validates and stores them with people, follows, broadcast
   summaries and the cursor, one transaction per batch. Target ≥ 5,000 events/s.
2. Events page: a database built with executemany holding 1,000,000 events; a real `create_app`
   service, a signed-in admin, GET /events (first screen: newest 50, unfiltered and with each kind
   of filter) through aiohttp's test client. Target ≤ 50 ms median.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp.test_utils import TestClient, TestServer

from service.app import create_app
from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.settings import Settings, resolve
from service.store import system_users
from service.store.db import Database, migration_files
from service.web.keys import db_key, passwords_key
from tests.fakes.events import ID_START_MS, EventsScript, events_base_url, make_app

INGEST_EVENTS = 5_000
INGEST_TARGET = 5_000.0  # events per second
STORED_EVENTS = 1_000_000
PAGE_TARGET_MS = 50.0
RUNS = 21
PASSWORD = "benchmark password"  # noqa: S105 - a throwaway account in a temp database
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
USERS = [f"viewer_{n}" for n in range(400)]
KINDS = ("tip", "chatMessage", "userEnter", "userLeave", "follow", "unfollow", "fanclubJoin")
WEIGHTS = (15, 45, 15, 15, 4, 2, 1)


def _script(rng: random.Random) -> EventsScript:
    script = EventsScript(username="bench_room", token="bench-token-0123456789", batch_size=100)  # noqa: S106
    script.add("broadcastStart", {"user": {"username": "bench_room"}})
    for _ in range(INGEST_EVENTS - 1):
        user = {"username": rng.choice(USERS), "inFanclub": False, "gender": "m", "recentTips": "some"}
        kind = rng.choices(KINDS, WEIGHTS)[0]
        if kind == "tip":
            tip = {"tokens": rng.randint(1, 500), "isAnon": rng.random() < 0.05, "message": ""}
            script.add("tip", {"user": user, "tip": tip})
        elif kind == "chatMessage":
            script.add("chatMessage", {"user": user, "message": {"message": "hello room", "color": ""}})
        else:
            script.add(kind, {"user": user})
    return script


async def bench_ingest(tmp: Path) -> float:
    """Events stored per second, from the consumer's start until the last one is committed."""
    script = _script(random.Random(4))
    server = TestServer(make_app(script), host="127.0.0.1")
    await server.start_server()
    db = Database(tmp / "ingest.sqlite3")
    await db.open()
    settings = Settings(data_dir=tmp, broadcaster=script.username)
    config = resolve(settings, {}).replace(events_url=events_base_url(server), events_token=script.token)
    try:
        async with httpx.AsyncClient(trust_env=False) as http:
            stream = EventsStream(db, http, lambda: config, EventsHub(), StreamOptions(server_timeout=1))
            started = time.perf_counter()
            stream.start()
            while await _count(db) < INGEST_EVENTS:
                await stream.hub.wait(1.0)  # woken after each committed batch
            elapsed = time.perf_counter() - started
            await stream.stop()
        async with db.read() as conn, conn.execute("SELECT tokens, tips FROM broadcasts") as cursor:
            row = await cursor.fetchone()
        print(f"   broadcast summary after ingest: {row['tokens']} tokens in {row['tips']} tips")
    finally:
        await db.close()
        await server.close()
    return INGEST_EVENTS / elapsed


async def _count(db: Database) -> int:
    async with db.read() as conn, conn.execute("SELECT count(*) FROM room_events") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def build(path: Path) -> float:
    """A database with STORED_EVENTS events of 2,000 people; returns the seconds it took."""
    rng = random.Random(20261125)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    for number, migration in migration_files():
        conn.executescript(migration.read_text(encoding="utf-8"))
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("PRAGMA journal_mode = WAL")
    now = to_db_ms(ID_START_MS)
    names = [f"viewer_{n}" for n in range(2_000)]
    with conn:
        conn.executemany(
            "INSERT INTO persons (id, username, role, created_at, updated_at) VALUES (?, ?, 'viewer', ?, ?)",
            [(n + 1, name, now, now) for n, name in enumerate(names)],
        )
    batch: list[tuple[Any, ...]] = []
    for n in range(STORED_EVENTS):
        ms = ID_START_MS + n * 250
        kind = rng.choices(KINDS, WEIGHTS)[0]
        tokens = rng.randint(1, 500) if kind == "tip" else 0
        raw = json.dumps({"method": kind, "id": f"{ms}-{n}", "object": {"user": {"username": "x"}}})
        at = to_db_ms(ms)
        batch.append((f"{ms}-{n}", ms, n, at, kind, rng.randint(1, 2_000), tokens, int(rng.random() < 0.02),
                      "hello" if kind == "chatMessage" else None, raw, at))  # fmt: skip
        if len(batch) == 50_000:
            _insert(conn, batch)
            batch = []
    _insert(conn, batch)
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - started


def to_db_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    with conn:
        conn.executemany(
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, message, raw, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def _signed_in(client: TestClient[Any, Any]) -> None:
    app = client.app
    assert app is not None
    async with app[db_key].transaction() as conn:
        await system_users.insert_user(
            conn, username="bench", password_hash=app[passwords_key].hash(PASSWORD), roles=["admin"]
        )
    csrf = _CSRF.search(await (await client.get("/login")).text())
    assert csrf
    response = await client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": csrf.group(1)},
        headers={"Origin": f"http://{client.host}:{client.port}"}, allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303, await response.text()


PAGES = ("/events", "/events?type=tip", "/events?min_tip=400", "/events?username=viewer_77",
         "/events?since=2026-01-02&until=2026-01-03")  # fmt: skip


async def bench_page(data_dir: Path) -> dict[str, list[float]]:
    settings = Settings(data_dir=data_dir, jobs_enabled=False, password_time_cost=1, password_memory_kib=8)
    client = TestClient(TestServer(create_app(settings, announce=lambda _line: None)))
    await client.start_server()
    timings: dict[str, list[float]] = {}
    try:
        await _signed_in(client)
        for url in PAGES:
            for run in range(RUNS + 1):
                started = time.perf_counter()
                response = await client.get(url)
                body = await response.text()
                if run:  # the first request warms the caches
                    timings.setdefault(url, []).append((time.perf_counter() - started) * 1000)
                assert response.status == 200, url
                assert body.count("<tr data-id=") == 50, url
    finally:
        await client.close()
    return timings


def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="mhc-bench-events-") as tmp:
        rate = asyncio.run(bench_ingest(Path(tmp)))
        print(f"   ingest: {rate:,.0f} events/s stored with summaries (target ≥ {INGEST_TARGET:,.0f})")
        data_dir = Path(tmp) / "page"
        data_dir.mkdir()
        seconds = build(data_dir / "mhc.sqlite3")
        print(f"   built {STORED_EVENTS:,} events in {seconds:.0f} s")
        timings = asyncio.run(bench_page(data_dir))
    ok = rate >= INGEST_TARGET
    for url, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"   GET {url}: median {median:.1f} ms, p95 {p95:.1f} ms")
        ok = ok and median <= PAGE_TARGET_MS
    return ok
