"""The Directory CSV never holds a reader connection while it waits on the network."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import socket

import pytest

from service.store import directory
from service.store.directory import SORTS, DirectoryFilter
from service.web.keys import db_key
from tests.support.panel import Panel
from tests.support.rows import add_person, ago

# About 6 MB of CSV: more than a stalled socket takes in (loopback send buffers grow to 4 MiB).
PERSONS = 20_000
DISPLAY_NAME = "A long display name, " * 14


async def _fill(panel: Panel) -> None:
    now = ago()
    async with panel.app[db_key].transaction() as conn:
        await conn.executemany(
            "INSERT INTO persons (id, username, role, created_at, updated_at) VALUES (?, ?, 'viewer', ?, ?)",
            [(i, f"viewer_{i:05d}", now, now) for i in range(1, PERSONS + 1)],
        )
        await conn.executemany(
            "INSERT INTO person_state (person_id, username, role, display_name, followers) "
            "VALUES (?, ?, 'viewer', ?, ?)",
            [(i, f"viewer_{i:05d}", DISPLAY_NAME, i % 7 or None) for i in range(1, PERSONS + 1)],
        )


async def _stalled_download(panel: Panel) -> socket.socket:
    """Ask for the CSV with a tiny receive window and never read the answer."""
    cookies = panel.client.session.cookie_jar.filter_cookies(panel.client.make_url("/"))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (panel.client.host, panel.client.port))
    request = (
        f"GET /users/directory.csv HTTP/1.1\r\nHost: {panel.client.host}:{panel.client.port}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    return sock


async def test_two_stalled_downloads_do_not_block_pages(admin_panel: Panel) -> None:
    """Two clients that stop reading a big CSV; every page still answers at once."""
    await _fill(admin_panel)
    stalled = [await _stalled_download(admin_panel) for _ in range(2)]
    try:
        await asyncio.sleep(1.0)  # both downloads are now blocked on a full socket
        status, html = await asyncio.wait_for(admin_panel.get("/users/directory"), timeout=10)
        assert status == 200 and "viewer_" in html
        response = await asyncio.wait_for(admin_panel.client.get("/users/directory.csv"), timeout=30)
        rows = list(csv.DictReader(io.StringIO(await response.text())))
        assert len(rows) == PERSONS and len({r["username"] for r in rows}) == PERSONS
    finally:
        for sock in stalled:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("descending", [True, False])
async def test_keyset_pages_match_the_page_order(admin_panel: Panel, sort: str, descending: bool) -> None:
    """Export pages of 7 give the same rows in the same order as the Directory's pages, ties too."""
    async with admin_panel.app[db_key].transaction() as conn:
        for i in range(40):
            await add_person(
                conn, f"p{i:02d}", role=("model", "viewer", "unknown")[i % 3],
                age=20 + i % 4 if i % 5 else None,
                followers=i % 6 or None, rank=i % 3 or None, last_seen_at=ago(hours=i % 4) if i % 7 else None,
                events_count=i % 2, snapshot_count=i % 3, priority=(1, 2, None)[i % 3],
            )  # fmt: skip
    flt = DirectoryFilter(sort=sort, descending=descending)
    async with admin_panel.app[db_key].read() as conn:
        expected = [r.username for r in (await directory.list_page(conn, flt, page=1, page_size=100)).rows]
        got: list[str] = []
        after = None
        while True:
            rows, after = await directory.export_page(conn, flt, after, limit=7)
            got += [r.username for r in rows]
            if after is None:
                break
    assert got == expected and len(got) == 40
