"""Broadcast summary: writing one broadcast's report with 2,000 broadcasts and 5,000,000 room events
behind it takes ≤ 100 ms median.

The database is built set-based in SQL (recursive CTEs, no Python loop per row): 20,000 viewers,
2,000 daily three-hour broadcasts of 2,500 events each (chat, entries, tips with 5% anonymous, media,
follows, unfollows, fan-club joins), the fan ledger derived from those events as the Events batch
keeps it (broadcast_attendance, person_room_stats, person_room_days), each broadcast's summary
figures, 300,000 follower periods and 3,000 list-snapshot removals. Measured: `regenerate` (every
read of the summary, its sentences and storing it, in a write transaction) for 21 different recent
broadcasts; baseline in the same run, on the same broadcasts: the existing summary recompute
`broadcast_writes.recompute_summaries` (one aggregate over the broadcast's events).

Then what the summaries cost the Events batch: bench_events' 5,000-event script in 10 broadcasts
through the real consumer, with the batch's part (marking the closed broadcasts it touched stale,
one indexed read per batch) and without it (the baseline), taking turns, 3 runs each, in fresh
databases; the cost is the share of the rate lost, target ≤ 15%. The summaries themselves are
written by the stream after the batch that ends a broadcast, outside its transaction, once per
broadcast: the time each takes is printed (a run with them on).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benchmarks.bench_events import INGEST_EVENTS, bench_ingest
from benchmarks.schema import migrated
from service.clock import utcnow
from service.fan_tiers import DEFAULT_RULES
from service.ingest import broadcast_report, events_batch
from service.jobs.events_stream import EventsStream
from service.store import broadcast_writes
from service.store.db import open_database

PERSONS = 20_000
BROADCASTS = 2_000
EVENTS_PER_BROADCAST = 2_500
EVENTS = BROADCASTS * EVENTS_PER_BROADCAST
FOLLOW_PERIODS = 300_000
REMOVALS = 3_000
TARGET_MS = 100.0
RUNS = 21
INGEST_RUNS = 3
INGEST_BROADCASTS = 10
COST_TARGET = 0.15
DAY_MS = 86_400_000
FIRST_MS = 1_609_459_200_000 + 20 * 3_600_000  # 2021-01-01 20:00 UTC, then one broadcast a day

# One event: i counts from 0; its broadcast is i / 2,500; a hash of i picks its kind and person.
_EVENTS = f"""
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {EVENTS - 1}),
e AS (SELECT i, i / {EVENTS_PER_BROADCAST} AS b, i % {EVENTS_PER_BROADCAST} AS k,
             (i * 2654435761) % 1000 AS h, ((i * 40503) % {PERSONS}) + 2 AS p FROM n),
t AS (SELECT *, {FIRST_MS} + b * {DAY_MS} + k * 4320 AS ms,
             CASE WHEN k = 0 THEN 'broadcastStart' WHEN k = {EVENTS_PER_BROADCAST - 1} THEN 'broadcastStop'
                  WHEN h < 150 THEN 'tip' WHEN h < 160 THEN 'mediaPurchase' WHEN h < 200 THEN 'follow'
                  WHEN h < 215 THEN 'unfollow' WHEN h < 220 THEN 'fanclubJoin' WHEN h < 500 THEN 'userEnter'
                  ELSE 'chatMessage' END AS method FROM e)
INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, broadcast_id, raw, received_at)
SELECT ms || '-' || i, ms, i, strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch'), method,
       CASE WHEN method IN ('broadcastStart', 'broadcastStop') THEN 1 ELSE p END,
       CASE WHEN method = 'tip' THEN 1 + (i * 7) % 97 + CASE WHEN h = 3 THEN 900 + b % 500 ELSE 0 END
            WHEN method = 'mediaPurchase' THEN 50 ELSE 0 END,
       CASE WHEN method = 'tip' AND h % 20 = 7 THEN 1 ELSE 0 END, b + 1, '{{}}', '2026-01-01T00:00:00.000Z'
FROM t
"""

_LEDGER = (
    "INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at, tokens) "
    "SELECT broadcast_id, person_id, min(at), sum(CASE WHEN method IN ('tip', 'mediaPurchase') THEN tokens "
    "ELSE 0 END) FROM room_events WHERE NOT is_anon AND person_id <> 1 GROUP BY broadcast_id, person_id",
    "INSERT INTO person_room_days (person_id, day, tokens) SELECT person_id, substr(at, 1, 10), sum(tokens) "
    "FROM room_events WHERE NOT is_anon AND person_id <> 1 AND method IN ('tip', 'mediaPurchase') "
    "GROUP BY person_id, substr(at, 1, 10) HAVING sum(tokens) > 0",
    "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tokens_tipped, "
    "broadcasts_attended) SELECT person_id, min(first_at), max(first_at), count(*), count(*), sum(tokens), "
    "count(*) FROM broadcast_attendance GROUP BY person_id",
    "UPDATE broadcasts SET "
    "(tokens, tip_tokens, tips, biggest_tip, new_followers, unfollows, fanclub_joins) = "
    "(SELECT sum(CASE WHEN method IN ('tip', 'mediaPurchase') THEN tokens ELSE 0 END), "
    " sum(CASE WHEN method = 'tip' THEN tokens ELSE 0 END), count(CASE WHEN method = 'tip' THEN 1 END), "
    " coalesce(max(CASE WHEN method = 'tip' THEN tokens END), 0), "
    " count(CASE WHEN method = 'follow' THEN 1 END), "
    " count(CASE WHEN method = 'unfollow' THEN 1 END), count(CASE WHEN method = 'fanclubJoin' THEN 1 END) "
    " FROM room_events WHERE broadcast_id = broadcasts.id)",
)


def build(path: Path) -> float:
    """The database at `path`; returns the seconds it took."""
    started = time.perf_counter()
    conn = migrated(path)
    conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PERSONS + 1}) "
            "INSERT INTO persons (id, username, role, first_seen_at, created_at, updated_at) "
            "SELECT i, CASE WHEN i = 1 THEN 'my_room' ELSE 'viewer_' || i END, 'viewer', "
            "'2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z' FROM n"
        )
        conn.execute(
            f"WITH RECURSIVE n(b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM n WHERE b < {BROADCASTS - 1}) "
            "INSERT INTO broadcasts (id, started_at, ended_at, end_reason, last_event_at, duration_seconds) "
            "SELECT b + 1, "
            f"strftime('%Y-%m-%dT%H:%M:%fZ', ({FIRST_MS} + b * {DAY_MS}) / 1000.0, 'unixepoch'), "
            f"strftime('%Y-%m-%dT%H:%M:%fZ', ({FIRST_MS} + b * {DAY_MS} + 10800000) / 1000.0, 'unixepoch'), "
            f"'stop', strftime('%Y-%m-%dT%H:%M:%fZ', ({FIRST_MS} + b * {DAY_MS} + 10800000) / 1000.0, "
            "'unixepoch'), 10800 FROM n"
        )
    with conn:
        conn.execute(_EVENTS)
    with conn:
        for statement in _LEDGER:
            conn.execute(statement)
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {FOLLOW_PERIODS}) "
            "INSERT INTO follow_periods "
            "(id, person_id, direction, started_at, start_source, ended_at, end_source) "
            f"SELECT i, (i % {PERSONS}) + 2, 'follower', '2021-01-01T00:00:00.000Z', 'list_snapshot', "
            f"CASE WHEN i > {PERSONS} THEN '2021-02-01T00:00:00.000Z' END, "
            f"CASE WHEN i > {PERSONS} THEN 'list_snapshot' END FROM n"
        )
        conn.execute(
            "INSERT INTO list_snapshots (id, idempotency_key, kind, account, started_at, finished_at, "
            "received_at, claimed_complete, complete, names, status) VALUES (1, 'k', 'followers', 'my_room', "
            "'2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z', 1, 1, 0, "
            "'applied')"
        )
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {REMOVALS}) "
            "INSERT INTO follow_removals "
            "(person_id, direction, period_id, snapshot_id, missing_since, state) "
            "SELECT (i % 20000) + 2, 'follower', i, 1, strftime('%Y-%m-%dT%H:%M:%fZ', "
            f"({FIRST_MS} + (i * 2 / 3) * {DAY_MS} + 3600000) / 1000.0, 'unixepoch'), "
            "CASE WHEN i % 3 = 0 THEN 'confirmed' ELSE 'suspected' END FROM n"
        )
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def _measure(path: Path) -> tuple[list[float], list[float], str]:
    report_ms: list[float] = []
    baseline_ms: list[float] = []
    sample = ""
    async with open_database(path, readers=1) as db:
        for n in range(RUNS):
            broadcast_id = BROADCASTS - 1 - n * 3  # recent ones, each different
            async with db.transaction() as conn:
                started = time.perf_counter()
                await broadcast_writes.recompute_summaries(conn, [broadcast_id], 1)
                baseline_ms.append((time.perf_counter() - started) * 1000)
            async with db.transaction() as conn:
                started = time.perf_counter()
                await broadcast_report.regenerate(conn, broadcast_id, DEFAULT_RULES, now=utcnow())
                report_ms.append((time.perf_counter() - started) * 1000)
        async with (
            db.read() as conn,
            conn.execute(
                "SELECT sentences FROM broadcast_reports WHERE broadcast_id = :id", {"id": BROADCASTS - 1}
            ) as cursor,
        ):
            row = await cursor.fetchone()
            sample = str(row[0])[:160] if row else ""
    return report_ms, baseline_ms, sample


async def _nothing(*_args: object, **_kwargs: object) -> None:
    return None


async def _none_due(*_args: object, **_kwargs: object) -> frozenset[int]:
    return frozenset()


def _ingest_rate(tmp: Path, name: str, *, mark: bool, timings: list[float] | None = None) -> float:
    """Events/s through the real consumer. The batch's part (marking closed broadcasts stale) is on
    with `mark`; the stream's writing of summaries is on only when `timings` collects its durations."""
    run_dir = tmp / name
    run_dir.mkdir()
    shipped_mark, shipped_write = events_batch.broadcast_reports, EventsStream._write_summaries
    if not mark:
        events_batch.broadcast_reports = SimpleNamespace(mark_stale=_none_due)  # type: ignore[assignment]
    if timings is None:
        EventsStream._write_summaries = _nothing  # type: ignore[method-assign]
    else:

        async def timed(stream: EventsStream, ids: frozenset[int]) -> None:
            started = time.perf_counter()
            await shipped_write(stream, ids)
            timings.append((time.perf_counter() - started) * 1000)

        EventsStream._write_summaries = timed  # type: ignore[method-assign]
    try:
        return asyncio.run(bench_ingest(run_dir, INGEST_EVENTS, INGEST_BROADCASTS)).rate
    finally:
        events_batch.broadcast_reports = shipped_mark
        EventsStream._write_summaries = shipped_write  # type: ignore[method-assign]


def _ingest_cost() -> tuple[float, float, float, list[float]]:
    """(rate with the batch's marking, baseline rate without it, cost, ms the stream spent per summary)."""
    marked: list[float] = []
    without: list[float] = []
    timings: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mhc-bench-report-ingest-") as tmp:
        for n in range(INGEST_RUNS):
            marked.append(_ingest_rate(Path(tmp), f"with-{n}", mark=True))
            without.append(_ingest_rate(Path(tmp), f"without-{n}", mark=False))
        _ingest_rate(Path(tmp), "written", mark=True, timings=timings)
    rate, baseline = statistics.median(marked), statistics.median(without)
    return rate, baseline, 1 - rate / baseline, timings


def main() -> bool:
    rate, ingest_baseline, cost, written = _ingest_cost()
    print(f"   ingest of {INGEST_EVENTS:,} events in {INGEST_BROADCASTS} broadcasts, each batch marking the "
          f"closed broadcasts it touched: {rate:,.0f} events/s; without (baseline, same run): "
          f"{ingest_baseline:,.0f} events/s; cost {cost:.1%} (target ≤ {COST_TARGET:.0%})")  # fmt: skip
    print(f"   the stream then writes each ended broadcast's summary after its batch: {len(written)} times, "
          f"median {statistics.median(written):.1f} ms (once per broadcast)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="mhc-bench-report-") as tmp:
        path = Path(tmp) / "report.sqlite3"
        seconds = build(path)
        report_ms, baseline_ms, sample = asyncio.run(_measure(path))
    median, baseline = statistics.median(report_ms), statistics.median(baseline_ms)
    print(f"   built {BROADCASTS:,} broadcasts, {EVENTS:,} events, {FOLLOW_PERIODS:,} follow periods "
          f"in {seconds:.0f} s")  # fmt: skip
    print(f"   one broadcast summary (facts, sentences, stored): median {median:.1f} ms, max "
          f"{max(report_ms):.1f} ms over {RUNS} broadcasts (target ≤ {TARGET_MS:.0f} ms); baseline "
          f"recompute_summaries, same run: median {baseline:.1f} ms")  # fmt: skip
    print(f"   sample: {sample}…")
    return median <= TARGET_MS and bool(sample) and cost <= COST_TARGET
