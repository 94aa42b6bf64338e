"""The service's side of bench_service_rss: one process that loads the service, opens a database and
runs the affiliate job against a feed URL twice (a first sweep, then a repeat five minutes later in
the feed's terms), printing its resident memory as JSON: before, the peak during each sweep, after.

Run as `python -m benchmarks.sweep_process DB_PATH FEED_URL`; the feed is served by another process
so that its 20,000 generated rooms are not counted here.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from pathlib import Path

import httpx

import service.app  # noqa: F401 - the whole service loaded, as `mhc serve` has it
from service.jobs import affiliate
from service.jobs.base import JobContext
from service.settings import all_fields
from service.sources.http import RateLimiter
from service.sources.spec import SourceConfig
from service.store.db import open_database


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    Path("/proc/self/clear_refs").write_text("5")


async def _run(db_path: Path, feed_url: str) -> dict[str, float | str]:
    blank = SourceConfig(dict.fromkeys(all_fields(), ""), [])
    config = blank.replace(affiliate_url=feed_url, affiliate_wm="AbCdE")
    figures: dict[str, float | str] = {}
    async with open_database(db_path) as db, httpx.AsyncClient(timeout=30.0) as http:
        context = JobContext(db=db, config=config, data_dir=db_path.parent, http=http)
        gc.collect()
        figures["before_mb"] = _status_kib("VmRSS") / 1024
        for label in ("first", "repeat"):
            _reset_peak()
            cpu = time.process_time()
            # The job as the scheduler runs it, without the feed's 1 request/s pacing (local fake).
            figures[f"{label}_summary"] = await affiliate.sweep(context, limiter=RateLimiter(0))
            figures[f"{label}_cpu_s"] = time.process_time() - cpu
            figures[f"{label}_peak_mb"] = _status_kib("VmHWM") / 1024
            gc.collect()
            figures[f"{label}_after_mb"] = _status_kib("VmRSS") / 1024
    return figures


def main() -> None:
    print(json.dumps(asyncio.run(_run(Path(sys.argv[1]), sys.argv[2]))))


if __name__ == "__main__":
    main()
