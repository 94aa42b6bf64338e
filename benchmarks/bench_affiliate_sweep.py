"""One affiliate sweep of 20,000 rooms (40 pages of 500) served by the local fake feed.

Targets: parsing + storing takes ≤ 1 s of CPU, and ≤ 3× the time of inserting the same rows with
a bare executemany in one transaction. "The same rows" are every row the sweep writes — persons,
affiliate_api_snapshots, person_state and person_tags — read back after the sweep and inserted
into an empty copy of the schema. The pages are fetched over loopback from the fake first, so the
fake's own CPU (it serialises the JSON in this process) is not counted as ours.

Measured twice: the first sweep (every room new) and a repeat sweep five minutes later (every
session updated), which is what the scheduler does all day.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer

from service.clock import to_db, utcnow
from service.jobs.affiliate import cycle_collection_paused, sightings
from service.sources.affiliate.models import AffiliateRoom, parse_page
from service.store import affiliate as affiliate_store
from service.store.db import Database, open_database
from tests.fakes.affiliate import PATH, AffiliateFake, generate_rooms, make_app

ROOMS = 20_000
PAGE = 500
CPU_TARGET_S = 1.0
RATIO_TARGET = 3.0
COPIED_TABLES = ("persons", "affiliate_api_snapshots", "person_state", "person_tags")


@dataclass(frozen=True)
class Measured:
    cpu_s: float
    parse_s: float
    store_s: float
    rooms: int


async def _fetch_pages() -> list[bytes]:
    """The 40 raw page bodies, fetched over HTTP from the fake feed on 127.0.0.1."""
    server = TestServer(make_app(AffiliateFake(generate_rooms(ROOMS))), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        bodies = []
        async with httpx.AsyncClient(timeout=30.0) as http:
            for offset in range(0, ROOMS, PAGE):
                params = {"wm": "AbCdE", "client_ip": "request_ip", "limit": PAGE, "offset": offset}
                response = await http.get(str(server.make_url(PATH)), params=params)
                response.raise_for_status()
                bodies.append(response.content)
        return bodies
    finally:
        await server.close()


def _parse(bodies: list[bytes]) -> list[AffiliateRoom]:
    # As AffiliateClient.fetch_all does: parse each page, keep one room per username.
    rooms: dict[str, AffiliateRoom] = {}
    for offset, body in zip(range(0, ROOMS, PAGE), bodies, strict=True):
        for room in parse_page(body, offset=offset).rooms:
            rooms[room.username] = room
    return list(rooms.values())


async def _sweep(db: Database, bodies: list[bytes], minutes_later: int) -> Measured:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    seen = utcnow() + timedelta(minutes=minutes_later)
    with cycle_collection_paused():  # as the job's sweep() does around fetching and mapping
        rows, _bad = sightings(_parse(bodies), seen)
    wall1 = time.perf_counter()
    async with db.transaction() as conn:
        await affiliate_store.store_sweep(conn, rows, seen_at=to_db(seen), broadcaster="bench_me")
    wall2 = time.perf_counter()
    return Measured(time.process_time() - cpu0, wall1 - wall0, wall2 - wall1, len(rows))


async def _bare_insert(source: Database, target_path: Path) -> float:
    """Seconds to executemany every row the sweep wrote into an empty schema, in one transaction."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    async with source.read() as conn:
        for table in COPIED_TABLES:
            async with conn.execute(f"SELECT * FROM {table}") as cursor:
                tables[table] = [tuple(row) for row in await cursor.fetchall()]
    async with open_database(target_path) as target, target.exclusive() as conn:
        started = time.perf_counter()
        await conn.execute("BEGIN IMMEDIATE")
        for table, rows in tables.items():
            marks = ", ".join("?" * len(rows[0]))
            await conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        await conn.commit()
        return time.perf_counter() - started


async def _run() -> bool:
    bodies = await _fetch_pages()
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "sweep.sqlite3") as db:
            first = await _sweep(db, bodies, 0)
            bare = await _bare_insert(db, Path(tmp) / "bare.sqlite3")
            repeat = await _sweep(db, bodies, 5)
    ok = True
    print(f"   {len(bodies)} pages, {first.rooms} rooms; bare executemany of the same rows: {bare:.3f} s")
    for label, m in (("first sweep (all new)", first), ("repeat sweep (all updated)", repeat)):
        ratio = m.store_s / bare
        met = m.cpu_s <= CPU_TARGET_S and ratio <= RATIO_TARGET
        ok &= met
        print(
            f"   {label}: CPU {m.cpu_s:.3f} s (parse {m.parse_s:.3f} s + store {m.store_s:.3f} s wall); "
            f"store/bare = {ratio:.2f}× (targets ≤ {CPU_TARGET_S} s CPU, ≤ {RATIO_TARGET}×)"
            f"{'' if met else '  MISSED'}"
        )
    return ok


def main() -> bool:
    return asyncio.run(_run())


if __name__ == "__main__":
    main()
