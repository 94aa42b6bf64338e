"""Room › Insights in real Chromium against the real `mhc serve`, on ten weeks of a synthetic room
(the benchmark's set-based build, scaled down): the charts show without JavaScript, a thin cell reads
as uncertain, and the tables open under their <details>."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from benchmarks.bench_insights import populate
from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
ROOM = "my_room"
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = ServiceProcess(tmp_path_factory.mktemp("insights") / "data", env={"MHC_BROADCASTER": ROOM})
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    with sqlite3.connect(process.data_dir / "mhc.sqlite3") as conn:
        populate(conn, persons=3000, broadcasts=120, per_broadcast=400, periods=2500, room=ROOM)
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


@pytest.mark.parametrize("javascript", [True, False])
def test_insights_page_reads_with_and_without_javascript(
    browser: Browser, service: str, javascript: bool
) -> None:
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(service + "/login?next=/room")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(service + "/room")
        page.click("[data-testid=insights-link] a")
        expect(page).to_have_url(service + "/room/insights")
        maps = page.locator("[data-testid=go-live] svg.heatmap")
        expect(maps).to_have_count(2)
        # Evenings are where the broadcasts are; a filled cell shows its value and its hours.
        filled = maps.first.locator("g.cell")
        assert filled.count() > 7
        assert (filled.first.locator("text.note").text_content() or "").endswith(" h")
        box = maps.first.bounding_box()
        assert box is not None and box["width"] > 900
        expect(page.locator("[data-testid=retention] svg.heatmap")).to_be_visible()
        expect(page.locator("[data-testid=shares]")).to_contain_text("top 10%")
        table = page.locator("[data-testid=retention-table]")
        expect(table).to_be_hidden()
        page.locator("[data-testid=retention] details summary").click()
        expect(table).to_be_visible()
        if javascript:
            page.locator("[data-testid=retention] details summary").click()
            page.screenshot(path=str(SHOTS / "insights.png"), full_page=True)
            for section in ("go-live", "retention", "follows", "economy"):
                page.locator(f"[data-testid={section}]").screenshot(
                    path=str(SHOTS / f"insights-{section}.png")
                )
    finally:
        context.close()
