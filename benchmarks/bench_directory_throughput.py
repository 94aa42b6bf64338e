"""Directory throughput at 100,000 persons and 2,000,000 session rows: 20 concurrent keep-alive
connections, signed in, asking for varied first pages (role × sort × direction) for a fixed time,
≥ 500 requests/s.

The service is the real one: `python -m service serve` in its own process on a real socket (jobs
off), so the load generator here does not share its event loop. The baseline, in the same run and
over the same connections, is the extension's ping: the most this machine serves through the same
middlewares with no page behind it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from benchmarks import figures
from benchmarks.directory_data import data_dir
from service.store.directory import SORTS

PERSONS = 100_000
SESSIONS = 2_000_000
CONNECTIONS = 20
SECONDS = 8.0
WARM_UP = 1.0
TARGET = 500.0
USER = "bench"
PASSWORD = "benchmark password"  # noqa: S105 — a throwaway account in a benchmark database
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _urls() -> list[str]:
    return [
        "/users/directory?" + urlencode({"role": role, "sort": sort, "dir": direction})
        for role, sort, direction in itertools.product(("all", "model", "viewer"), SORTS, ("asc", "desc"))
    ]


def _ensure_user(folder: Path, env: dict[str, str]) -> None:
    listed = subprocess.run(  # noqa: S603 — our own command
        [sys.executable, "-m", "service", "user", "list", "--data-dir", str(folder)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    if re.search(rf"^\s*{USER}\b", listed.stdout, re.MULTILINE):
        return
    subprocess.run(  # noqa: S603 — our own command
        [sys.executable, "-m", "service", "user", "add", USER, "--role", "admin", "--password-stdin",
         "--data-dir", str(folder)],
        env=env, input=PASSWORD + "\n", capture_output=True, text=True, check=True,
    )  # fmt: skip


async def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError("the service exited while starting")
            try:
                async with http.get(base + "/api/ext/v1/ping") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the service did not start")


async def _sign_in(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(base + "/login") as response:
        csrf = _CSRF.search(await response.text())
    assert csrf
    form = {"username": USER, "password": PASSWORD, "csrf_token": csrf.group(1)}
    headers = {"Origin": base}
    async with http.post(base + "/login", data=form, headers=headers, allow_redirects=False) as response:
        assert response.status == 303, await response.text()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process (all its threads) has used: the machine is shared, so the
    service's CPU per request says more than its wall-clock rate alone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    http: aiohttp.ClientSession, base: str, urls: list[str], pid: int
) -> tuple[float, int, float]:
    """Requests per second over SECONDS (after WARM_UP) from CONNECTIONS workers, how many, and the
    service's CPU milliseconds per request over the same window."""
    counted = 0
    start_count = time.perf_counter() + WARM_UP
    stop = start_count + SECONDS
    cpu_at_start: list[float] = []

    async def worker(offset: int) -> None:
        nonlocal counted
        for url in itertools.islice(itertools.cycle(urls), offset, None):
            async with http.get(base + url) as response:
                await response.read()
                assert response.status == 200, response.status
            now = time.perf_counter()
            if now >= stop:
                return
            if now >= start_count:
                if not cpu_at_start:
                    cpu_at_start.append(_cpu_seconds(pid))
                counted += 1

    await asyncio.gather(*(worker(i * 7) for i in range(CONNECTIONS)))
    cpu_ms = (_cpu_seconds(pid) - cpu_at_start[0]) * 1000 / max(counted, 1)
    return counted / SECONDS, counted, cpu_ms


async def measure(base: str, pid: int) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await _sign_in(http, base)
        ping, _, ping_cpu = await _load(http, base, ["/api/ext/v1/ping"], pid)
        pages, count, page_cpu = await _load(http, base, _urls(), pid)
        print(f"   {count} pages in {SECONDS:.0f} s over {CONNECTIONS} connections; the service used "
              f"{page_cpu:.2f} ms of CPU a page, {ping_cpu:.2f} ms a ping")  # fmt: skip
    return pages, ping


def main() -> bool:
    folder, how = data_dir(PERSONS, SESSIONS)
    print(f"   {how}")
    env = {**os.environ, "MHC_JOBS_ENABLED": "false", "MHC_LOG_LEVEL": "WARNING"}
    _ensure_user(folder, env)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 — our own command
        [sys.executable, "-m", "service", "serve", "--data-dir", str(folder), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        asyncio.run(_wait_up(base, server))
        pages, ping = asyncio.run(measure(base, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    met = pages >= TARGET
    print(f"   {pages:,.0f} Directory pages/s; ping {ping:,.0f}/s (same connections, same run)")
    figures.record("Directory throughput at 100k, 20 connections", f"{pages:,.0f} requests/s",
                   f"≥ {TARGET:.0f} requests/s", f"ping {ping:,.0f}/s", met)  # fmt: skip
    return met


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
