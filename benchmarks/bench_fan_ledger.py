"""Fan ledger: what keeping it current costs the Events ingest, side by side in the same run.

The same 5,000-event script (bench_events' mix of 400 viewers: tips, chat, entries, follows, fan-club
joins) goes through the real consumer with the ledger's attendance and spending-day upkeep
(`service.ingest.fan_ledger`) as shipped, and with that upkeep replaced by nothing — the baseline. The
two take turns, RUNS times each, each in a fresh database; the figure is the median rate of each and
the share of the rate the ledger costs. Target ≤ 15%. Then `mhc check`'s recomputation over the
ledgered database is timed, so its cost at this size is known.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benchmarks.bench_events import INGEST_EVENTS, _script, bench_ingest
from service.ingest import events_batch
from service.store import fan_ledger, persons
from service.store.db import open_database

RUNS = 5
COST_TARGET = 0.15


async def _nothing(*_args: object, **_kwargs: object) -> None:
    return None


def _run(tmp: Path, name: str, *, ledger: bool) -> float:
    run_dir = tmp / name
    run_dir.mkdir()
    shipped = events_batch.fan_ledger
    if not ledger:
        events_batch.fan_ledger = SimpleNamespace(record=_nothing, rebuild=_nothing, match_imported=_nothing)  # type: ignore[assignment]
    try:
        return asyncio.run(bench_ingest(run_dir, INGEST_EVENTS)).rate
    finally:
        events_batch.fan_ledger = shipped


async def _check_seconds(path: Path) -> tuple[float, int]:
    async with open_database(path, readers=1) as db, db.read() as conn:
        # bench_ingest's own script (same seed), for the broadcaster's name
        broadcaster = _script(random.Random(4), INGEST_EVENTS, 1).username
        broadcaster_id = await persons.get_person_id(conn, broadcaster)
        started = time.perf_counter()
        found = await fan_ledger.differences(conn, broadcaster_id)
        return time.perf_counter() - started, len(found)


def main() -> bool:
    with_ledger: list[float] = []
    without: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mhc-bench-ledger-") as tmp:
        for n in range(RUNS):
            with_ledger.append(_run(Path(tmp), f"with-{n}", ledger=True))
            without.append(_run(Path(tmp), f"without-{n}", ledger=False))
        database = next((Path(tmp) / "with-0").glob("ingest-*.sqlite3"))
        seconds, found = asyncio.run(_check_seconds(database))
    rate, baseline = statistics.median(with_ledger), statistics.median(without)
    cost = 1 - rate / baseline
    print(f"   ingest of {INGEST_EVENTS:,} events with the fan ledger: {rate:,.0f} events/s; without its "
          f"upkeep (baseline, same run): {baseline:,.0f} events/s; cost {cost:.1%} "
          f"(target ≤ {COST_TARGET:.0%})")  # fmt: skip
    print(f"   recomputing the ledger of that database (mhc check): {seconds * 1000:.0f} ms, "
          f"{found} difference(s)")  # fmt: skip
    return cost <= COST_TARGET and found == 0
