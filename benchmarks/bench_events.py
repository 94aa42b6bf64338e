"""Events API: ingest throughput through the real consumer, and the Events page over 1,000,000 events.

1. Ingest, end to end: the fake Events API (tests/fakes/events.py), in a process of its own on
   loopback as the real one is on another machine, serves 5,000 events in batches of 100; the real
   `EventsStream` polls, validates and stores them with people, follows, broadcast summaries and the
   cursor, one transaction per polled batch (or per several, up to 500 events, when they wait: the
   stream polls ahead while it stores). Target ≥ 20,000 events/s. The baseline, measured in the same
   run, is a bare `executemany` of the same stored rows (100 a commit).
2. Ingest within one long broadcast: the same through 50,000 events after one broadcastStart, with
   the rate at 5,000 and the transaction time per 100 events at the start and the end. SQLite's own
   insert cost grows with the table (the same run's bare executemany shows by how much), so "no growth
   with broadcast length" is checked against the same 50,000 events split into ten broadcasts: the
   one long broadcast must keep that rate (within the noise allowance below).
3. Events page: a database built with executemany holding 1,000,000 events; a real `create_app`
   service, a signed-in admin, GET /events (first screen: newest 50, unfiltered and with each kind
   of filter) through aiohttp's test client. Target ≤ 50 ms median.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from benchmarks import figures
from benchmarks.panel import sign_in
from benchmarks.schema import migrated
from service.app import create_app
from service.ingest.events_batch import BatchResult
from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.settings import Settings, resolve
from service.sources.events import EventsClient
from service.store.db import Connection, Database, fetch_one
from tests.fakes.events import ID_START_MS, EventsScript, make_app

T = TypeVar("T")
INGEST_EVENTS = 5_000
LONG_BROADCAST_EVENTS = 50_000
INGEST_TARGET = 20_000.0  # events per second
# The long broadcast "keeps the rate" when within this share of the split run's rate: the machine is
# shared, so exact equality would be noise.
SAME_RATE = 0.85
SPLIT_INTO = 10
INGEST_RUNS = 3
SERVER_TIMEOUT = 1  # seconds the fake may hold a caught-up poll
STORED_EVENTS = 1_000_000
PAGE_TARGET_MS = 50.0
RUNS = 21
USERS = [f"viewer_{n}" for n in range(400)]
KINDS = ("tip", "chatMessage", "userEnter", "userLeave", "follow", "unfollow", "fanclubJoin")
WEIGHTS = (15, 45, 15, 15, 4, 2, 1)


class _IndexedScript(EventsScript):
    """The fake's script, finding the events after a cursor by bisection: the stock fake scans every
    event on each poll, which over 50,000 events would time the fake instead of the consumer."""

    def _after(self, cursor: tuple[int, int] | None) -> list[Any]:
        if cursor is None:
            return list(self._entries[: self.batch_size])
        start = bisect.bisect_right(self._entries, cursor, key=lambda entry: entry.key)
        return self._entries[start : start + self.batch_size]


def _script(rng: random.Random, count: int, broadcasts: int) -> EventsScript:
    script = _IndexedScript(username="bench_room", token="bench-token-0123456789", batch_size=100)  # noqa: S106
    script.add("broadcastStart", {"user": {"username": "bench_room"}})
    for n in range(1, count):
        if n % (count // broadcasts) == 0:
            # A stop, and a start past the merge gap: the next broadcast.
            script.add("broadcastStop", {"user": {"username": "bench_room"}})
            script.add("broadcastStart", {"user": {"username": "bench_room"}}, at_ms=_later(script))
            continue
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


def _later(script: EventsScript) -> int:
    last_ms = int(script.ids[-1].partition("-")[0])
    return last_ms + 11 * 60 * 1000


class _TimedDatabase(Database):
    """The real database, noting how long each Events batch's write took."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, checkpoint_beside=True)  # as the service opens it (service/app.py)
        self.commits: list[float] = []  # ms a transaction took per 100 events it stored

    async def write_on_thread(self, work: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        started = time.perf_counter()
        result = await super().write_on_thread(work)
        seconds = time.perf_counter() - started
        if isinstance(result, BatchResult) and result.stored:
            self.commits.append(seconds * 1000 / result.stored * 100)
        return result


@dataclass(frozen=True, slots=True)
class IngestRun:
    rate: float  # events stored per second, end to end
    first_commits_ms: float  # median transaction, per 100 events, over the first tenth of them
    last_commits_ms: float  # … and over the last tenth
    rows: list[tuple[Any, ...]]  # the stored room_events rows, for the executemany baseline


async def bench_ingest(
    tmp: Path, count: int, broadcasts: int = 1, prepare: Callable[[Database], Awaitable[None]] | None = None
) -> IngestRun:
    """Events stored per second, from the consumer's start until the last one is committed; `prepare`
    writes what a benchmark needs in the fresh database before the stream starts (alert rules…).

    The fake Events API runs in a process of its own, as the real one runs on another machine: its
    JSON encoding would otherwise be timed on the consumer's event loop (a fifth of the figure)."""
    script = _script(random.Random(4), count, broadcasts)
    served = len(script.ids)  # the stops and starts between broadcasts included
    last_id, username, token = script.ids[-1], script.username, script.token
    del script  # the fake's process serves it; this one only needs its last id
    db = _TimedDatabase(tmp / f"ingest-{served}-{broadcasts}.sqlite3")
    await db.open()
    if prepare is not None:
        await prepare(db)
    settings = Settings(data_dir=tmp, broadcaster=username)
    try:
        with _fake_in_a_process(count, broadcasts, last_id) as base_url:
            config = resolve(settings, {}).replace(events_url=base_url, events_token=token)
            async with httpx.AsyncClient(trust_env=False) as http:
                # One request first: httpx imports its async backend (anyio, ~0.1 s) on the first
                # request of a process, once; a running service paid it long ago, so it is not timed.
                await http.get(base_url)
                options = StreamOptions(server_timeout=SERVER_TIMEOUT)
                stream = EventsStream(db, http, lambda: config, EventsHub(), options)
                # As `mhc serve` does once started: what exists now (modules, the earlier runs' rows
                # kept for their baselines) is out of the collector's view, so the full collections
                # the ingest triggers scan what it made, as they do in the service.
                gc.collect()
                gc.freeze()
                try:
                    started = time.perf_counter()
                    stream.start()
                    while await _last_stored(db) != last_id:
                        await stream.hub.wait(1.0)  # woken after each committed batch
                    elapsed = time.perf_counter() - started
                    await stream.stop()
                finally:
                    gc.unfreeze()
        async with db.read() as conn:
            rows = [tuple(row) for row in await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM room_events")]
            summary = next(
                iter(await conn.execute_fetchall("SELECT tokens, tips, unique_visitors FROM broadcasts"))
            )
        print(f"   {served:,} events, {broadcasts} broadcast(s): the first holds {summary[0]} tokens in "
              f"{summary[1]} tips, {summary[2]} visitors")  # fmt: skip
    finally:
        await db.close()
    commits = db.commits
    tenth = max(1, len(commits) // 10)
    return IngestRun(
        served / elapsed, statistics.median(commits[:tenth]), statistics.median(commits[-tenth:]), rows
    )


@contextmanager
def _fake_in_a_process(count: int, broadcasts: int, last_id: str) -> Iterator[str]:
    """The fake Events API serving `_script(count, broadcasts)` from a child process; yields its base URL.
    The child builds the script itself (same seed): its last id must be `last_id`."""
    code = f"from benchmarks.bench_events import serve_fake; serve_fake({count}, {broadcasts})"
    root = Path(__file__).resolve().parents[1]
    child = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port, served_last = child.stdout.readline().split()
        if served_last != last_id:
            raise RuntimeError(f"the fake serves up to {served_last}, the benchmark waits for {last_id}")
        yield f"http://127.0.0.1:{port}/events/"
    finally:
        child.terminate()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


def serve_fake(count: int, broadcasts: int) -> None:
    """The child's side: build the same script (same seed), serve it on a free loopback port, print the
    port and the last event id, and serve until terminated."""

    async def serve() -> None:
        script = _script(random.Random(4), count, broadcasts)
        script.hold_empty = SERVER_TIMEOUT  # a caught-up poll is held, as the real server holds it
        app = make_app(script)
        replies: dict[str, bytes] = {}
        app.middlewares.append(_replayed(replies, script.ids[-1]))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        await _walk(f"http://127.0.0.1:{port}/events/", script)
        print(port, script.ids[-1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def _replayed(replies: dict[str, bytes], script_last: str) -> Any:
    """The fake's answers kept by URL and sent again as bytes. The real Events API runs on another
    machine: its CPU is not the consumer's. Here it shares two cores with the consumer, so the
    benchmark walks the feed once before the timed run (`_walk`) and the timed polls are answered from
    what that walk kept: the same bytes the stock fake sends, without encoding them again. The caught-up
    poll after `script_last` is not kept: the fake holds it, as the real server does."""

    @web.middleware
    async def replay(request: web.Request, handler: Any) -> web.StreamResponse:
        kept = replies.get(request.path_qs)
        if kept is not None:
            return web.Response(body=kept, content_type="application/json")
        response = await handler(request)
        caught_up = request.query.get("i") == script_last
        if response.status == 200 and isinstance(response, web.Response) and response.body and not caught_up:
            replies[request.path_qs] = bytes(response.body)  # type: ignore[arg-type]
        return response

    return replay


async def _walk(base_url: str, script: EventsScript) -> None:
    """Poll the whole feed as the consumer will (same first URL, then each nextUrl) until it is caught up."""
    client = EventsClient(None, base_url, script.username, script.token, SERVER_TIMEOUT)  # type: ignore[arg-type]
    url = client.first_url()
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(url) as response:
                body = await response.json()
            url = body["nextUrl"]
            if not body["events"]:
                return


_COLUMNS = "id, ms, seq, at, method, person_id, tokens, is_anon, message, broadcast_id, raw, received_at"


async def _last_stored(db: Database) -> str | None:
    # One trip to a reader's thread per batch (execute, fetchone and close would be three): the
    # benchmark's own watching runs on the event loop it times.
    async with db.read() as conn:
        row = await fetch_one(conn, "SELECT last_event_id FROM events_stream_state")
    return str(row[0]) if row and row[0] else None


@dataclass(frozen=True, slots=True)
class Baseline:
    rate: float  # rows per second
    first_commit_ms: float  # median commit of 100 rows over the first tenth
    last_commit_ms: float  # … and over the last tenth


def bare_executemany(path: Path, rows: list[tuple[Any, ...]]) -> Baseline:
    """The same rows inserted with executemany, 100 per commit, into a fresh database with the full
    schema (its indexes included): the floor of any ingest."""
    conn = migrated(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = OFF")  # the persons and broadcasts the rows name are not there
    commits: list[float] = []
    for start in range(0, len(rows), 100):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO room_events ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                         rows[start : start + 100])  # fmt: skip
        conn.execute("COMMIT")
        commits.append((time.perf_counter() - started) * 1000)
    conn.close()
    tenth = max(1, len(commits) // 10)
    return Baseline(
        len(rows) / (sum(commits) / 1000),
        statistics.median(commits[:tenth]),
        statistics.median(commits[-tenth:]),
    )


@dataclass(frozen=True, slots=True)
class IngestFigures:
    rate: float
    baseline: Baseline  # the run's median by rate
    first_commit_ms: float
    last_commit_ms: float


def measure_ingest(tmp: Path, shapes: list[tuple[int, int]]) -> list[IngestFigures]:
    """Medians over INGEST_RUNS runs of each (events, broadcasts) shape, each run in a fresh database
    and followed by its baseline; the shapes take turns, so a busy spell on the machine hits them all."""
    runs: dict[tuple[int, int], list[IngestRun]] = {shape: [] for shape in shapes}
    baselines: dict[tuple[int, int], list[Baseline]] = {shape: [] for shape in shapes}
    for n in range(INGEST_RUNS):
        for count, broadcasts in shapes:
            run_dir = tmp / f"ingest-{count}-{broadcasts}-{n}"
            run_dir.mkdir()
            run = asyncio.run(bench_ingest(run_dir, count, broadcasts))
            runs[count, broadcasts].append(run)
            baselines[count, broadcasts].append(bare_executemany(run_dir / "bare.sqlite3", run.rows))
    return [
        IngestFigures(
            statistics.median(run.rate for run in runs[shape]),
            sorted(baselines[shape], key=lambda baseline: baseline.rate)[len(baselines[shape]) // 2],
            statistics.median(run.first_commits_ms for run in runs[shape]),
            statistics.median(run.last_commits_ms for run in runs[shape]),
        )
        for shape in shapes
    ]


def report_ingest(tmp: Path) -> bool:
    short, long, split = measure_ingest(
        tmp, [(INGEST_EVENTS, 1), (LONG_BROADCAST_EVENTS, 1), (LONG_BROADCAST_EVENTS, SPLIT_INTO)]
    )
    print(f"   ingest end to end, {INGEST_EVENTS:,} events: {short.rate:,.0f} events/s "
          f"(target ≥ {INGEST_TARGET:,.0f}); bare executemany of the same rows "
          f"{short.baseline.rate:,.0f}/s")  # fmt: skip
    print(f"   ingest within one broadcast, {LONG_BROADCAST_EVENTS:,} events: {long.rate:,.0f} events/s "
          f"= {long.rate / short.rate:.2f}× the {INGEST_EVENTS:,}-event rate; bare executemany of the same "
          f"rows {long.baseline.rate:,.0f}/s = {long.baseline.rate / short.baseline.rate:.2f}× its "
          f"{INGEST_EVENTS:,}-row rate")  # fmt: skip
    print(f"   transaction per 100 events stored, start → end of the broadcast: {long.first_commit_ms:.1f} → "
          f"{long.last_commit_ms:.1f} ms; bare executemany {long.baseline.first_commit_ms:.2f} → "
          f"{long.baseline.last_commit_ms:.2f} ms")  # fmt: skip
    print(f"   the same {LONG_BROADCAST_EVENTS:,} events in {SPLIT_INTO} broadcasts: {split.rate:,.0f} "
          f"events/s, store {split.first_commit_ms:.1f} → {split.last_commit_ms:.1f} ms per 100 events; "
          f"target: one broadcast ≥ {SAME_RATE:.2f}× that rate ({long.rate / split.rate:.2f}×)")  # fmt: skip
    figures.record(
        "Events ingest, 5,000 events", f"{short.rate:,.0f} events/s", f"≥ {INGEST_TARGET:,.0f} events/s",
        f"bare executemany {short.baseline.rate:,.0f} rows/s", short.rate >= INGEST_TARGET,
    )  # fmt: skip
    figures.record(
        "Events ingest, one 50,000-event broadcast",
        f"{long.rate:,.0f} events/s = {long.rate / split.rate:.2f}× ten broadcasts; store "
        f"{long.first_commit_ms:.1f} → {long.last_commit_ms:.1f} ms per 100",
        f"≥ {SAME_RATE:.2f}× the same events in {SPLIT_INTO} broadcasts",
        f"{SPLIT_INTO} broadcasts {split.rate:,.0f} events/s, store {split.first_commit_ms:.1f} → "
        f"{split.last_commit_ms:.1f} ms per 100",
        long.rate >= SAME_RATE * split.rate,
    )
    return short.rate >= INGEST_TARGET and long.rate >= SAME_RATE * split.rate


def build(path: Path) -> float:
    """A database with STORED_EVENTS events of 2,000 people; returns the seconds it took."""
    rng = random.Random(20261125)
    started = time.perf_counter()
    conn = migrated(path)
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


PAGES = ("/events", "/events?type=tip", "/events?min_tip=400", "/events?username=viewer_77",
         "/events?since=2026-01-02&until=2026-01-03")  # fmt: skip


async def bench_page(data_dir: Path) -> dict[str, list[float]]:
    settings = Settings(data_dir=data_dir, jobs_enabled=False, password_time_cost=1, password_memory_kib=8)
    client = TestClient(TestServer(create_app(settings, announce=lambda _line: None)))
    await client.start_server()
    timings: dict[str, list[float]] = {}
    try:
        await sign_in(client)
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
        ok = report_ingest(Path(tmp))
        data_dir = Path(tmp) / "page"
        data_dir.mkdir()
        seconds = build(data_dir / "mhc.sqlite3")
        print(f"   built {STORED_EVENTS:,} events in {seconds:.0f} s")
        timings = asyncio.run(bench_page(data_dir))
    for url, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"   GET {url}: median {median:.1f} ms, p95 {p95:.1f} ms")
        ok = ok and median <= PAGE_TARGET_MS
    return ok
