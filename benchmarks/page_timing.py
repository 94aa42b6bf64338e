"""Timing panel pages through the full HTTP stack: a real `create_app` service on a copy of a generated
database, a signed-in admin, and GETs through aiohttp's test client (routing, session, store queries,
Jinja rendering), median of several runs after one warm-up."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from benchmarks.panel import sign_in
from service.app import create_app
from service.settings import Settings

RUNS = 7


@asynccontextmanager
async def signed_in(database: Path) -> AsyncIterator[TestClient[Any, Any]]:
    """A signed-in client of the service over a copy of `database` (the cached file stays untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        shutil.copyfile(database, data_dir / "mhc.sqlite3")
        settings = Settings(
            data_dir=data_dir, jobs_enabled=False, password_time_cost=1, password_memory_kib=8
        )
        client = TestClient(TestServer(create_app(settings, announce=lambda _line: None)))
        await client.start_server()
        try:
            await sign_in(client)
            yield client
        finally:
            await client.close()


async def median_ms(client: TestClient[Any, Any], url: str, runs: int = RUNS) -> tuple[float, str]:
    """The median time of GET `url` over `runs` after a warm-up, and the last body."""
    wall, _cpu, body = await timings(client, url, runs)
    return wall, body


async def timings(client: TestClient[Any, Any], url: str, runs: int = RUNS) -> tuple[float, float, str]:
    """The median wall time and the median CPU time of this process (server, database thread and client:
    less swayed than wall time by other work on a shared machine) of GET `url`, in ms, and the body."""
    walls, cpus = [], []
    body = ""
    for _ in range(runs + 1):
        started, cpu = time.perf_counter(), time.process_time()
        response = await client.get(url)
        body = await response.text()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status == 200, f"{url}: {response.status} {body[:300]}"
    return statistics.median(walls[1:]), statistics.median(cpus[1:]), body
