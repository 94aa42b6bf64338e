"""Admin › Sources: every source's state, the connection test, and the local image route."""

from __future__ import annotations

import hashlib
from typing import Any

from bs4 import BeautifulSoup

from service.store import saved_settings
from service.store.images import StoredImage, record_image
from service.store.persons import ensure_persons
from service.web.keys import config_key, db_key, settings_key
from tests.fakes.affiliate import PATH as AFFILIATE_PATH
from tests.fakes.affiliate import make_app as affiliate_app
from tests.fakes.stats import PATH as STATS_PATH
from tests.fakes.stats import make_app as stats_app
from tests.support.panel import Panel, add_user


async def _configure(panel: Panel, **values: str) -> None:
    async with panel.app[db_key].transaction() as conn:
        for key, value in values.items():
            await saved_settings.upsert(conn, key, value, by="test")
    await panel.app[config_key].reload(panel.app[db_key])


def _rows(html: str) -> dict[str, Any]:
    soup = BeautifulSoup(html, "html.parser")
    return {tr["data-source"]: tr for tr in soup.select("table[data-testid=sources] tr[data-source]")}  # type: ignore[misc]


async def test_sources_page_lists_each_source_with_its_state(admin_panel: Panel) -> None:
    """Four sources; missing credentials read "not configured"; CBHours needs none."""
    status, html = await admin_panel.get("/admin/sources")
    assert status == 200
    rows = _rows(html)
    assert list(rows) == ["affiliate", "stats", "cbhours", "statbate"]
    assert (
        rows["affiliate"].select_one(".configured").text == "not configured: no affiliate campaign slug (wm)"
    )
    assert rows["cbhours"].select_one(".configured").text == "yes"
    assert "affiliate_sessions 0" in rows["affiliate"].select_one(".rows").text
    assert rows["stats"].select_one("form")["action"] == "/admin/sources/stats/test"
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("nav.subnav a.active")["href"] == "/admin/sources"  # type: ignore[index]


async def test_connection_test_reports_success_and_hides_tokens(admin_panel: Panel, aiohttp_server) -> None:
    feed = await aiohttp_server(affiliate_app())
    stats = await aiohttp_server(stats_app())
    await _configure(
        admin_panel, affiliate_wm="AbCdE", affiliate_url=str(feed.make_url(AFFILIATE_PATH)),
        stats_url=str(stats.make_url(STATS_PATH)), stats_token="wrong-token-4242", broadcaster="my_room",
    )  # fmt: skip
    await admin_panel.get("/admin/sources")
    response = await admin_panel.post("/admin/sources/affiliate/test")
    assert response.status == 303
    _, html = await admin_panel.get("/admin/sources")
    assert "Affiliate API: OK — the feed answers: 4 rooms online" in html
    await admin_panel.post("/admin/sources/stats/test")
    _, html = await admin_panel.get("/admin/sources")
    assert "Stats API: failed" in html
    assert "wrong-token-4242" not in html


async def test_connection_test_needs_csrf_and_manage_jobs(panel: Panel) -> None:
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    assert (await panel.get("/admin/sources"))[0] == 403
    assert (await panel.post("/admin/sources/cbhours/test")).status == 403
    await add_user(panel.app, "boss", "admin")
    await panel.login("boss")
    assert (await panel.post("/admin/sources/cbhours/test", csrf=False)).status in (400, 403)
    assert (await panel.post("/admin/sources/nowhere/test")).status == 404


async def test_image_route_serves_the_local_file(admin_panel: Panel) -> None:
    """/images/<sha256> answers from disk with a long cache; unknown or bad names are 404."""
    content = b"\xff\xd8\xff-picture"
    sha = hashlib.sha256(content).hexdigest()
    relative = f"images/{sha[:2]}/{sha}.jpg"
    path = admin_panel.app[settings_key].data_dir / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    async with admin_panel.app[db_key].transaction() as conn:
        pid = (await ensure_persons(conn, ["pic_person"]))["pic_person"]
        await record_image(
            conn, pid, StoredImage(sha, "image/jpeg", len(content), relative), url="u", seen_at="t"
        )
    response = await admin_panel.client.get(f"/images/{sha}")
    assert response.status == 200
    assert await response.read() == content
    assert response.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in response.headers["Cache-Control"]
    assert (await admin_panel.client.get(f"/images/{'0' * 64}")).status == 404
    assert (await admin_panel.client.get("/images/..%2Fmhc.sqlite3")).status == 404
