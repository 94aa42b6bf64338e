"""Admin › System Stats: the hourly job measures the real database and image store; the page charts it."""

from __future__ import annotations

import json
from datetime import timedelta

from bs4 import BeautifulSoup

from service.clock import to_db, utcnow
from service.store import system_stats
from service.web.keys import db_key, runner_key, settings_key
from tests.support.panel import Panel, add_user


async def test_job_records_sizes_rows_and_images(admin_panel: Panel) -> None:
    """One run stores database size, exact rows per table and the image store's bytes and files."""
    images = admin_panel.app[settings_key].data_dir / "images" / "ab"
    images.mkdir(parents=True)
    (images / "one.jpg").write_bytes(b"x" * 1000)
    (images / "two.jpg").write_bytes(b"y" * 500)
    outcome = await admin_panel.app[runner_key].run("system_stats", trigger="manual")
    assert outcome.status == "ok", outcome.message
    assert "2 images" in outcome.message
    async with admin_panel.app[db_key].read() as conn:
        stat = await system_stats.latest_stat(conn)
    assert stat is not None
    assert (stat.image_bytes, stat.image_files) == (1500, 2)
    assert stat.db_bytes > 0
    assert stat.table_rows["system_users"] == 1  # the admin this test signed in with
    assert "persons" in stat.table_rows and "system_stats" in stat.table_rows


async def test_missing_image_directory_is_an_empty_store(admin_panel: Panel) -> None:
    """Before the first image download there is no images/ folder: zero, not an error."""
    outcome = await admin_panel.app[runner_key].run("system_stats", trigger="manual")
    assert outcome.status == "ok" and "0 images" in outcome.message


async def _insert(panel: Panel, hours_ago: float, db_bytes: int, image_bytes: int, persons: int) -> None:
    async with panel.app[db_key].transaction() as conn:
        await conn.execute(
            "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, "
            "table_rows) VALUES (?, ?, 0, ?, 3, ?)",
            (to_db(utcnow() - timedelta(hours=hours_ago)), db_bytes, image_bytes,
             json.dumps({"persons": persons, "job_runs": 5})),
        )  # fmt: skip


async def test_page_shows_latest_charts_and_growth_with_gaps(admin_panel: Panel) -> None:
    """Sizes, per-table growth and charts; a day with no measurements breaks the size line."""
    mib = 2**20
    for hours, size, persons in ((96, 10 * mib, 100), (95, 11 * mib, 110), (49, 20 * mib, 300),
                                 (48, 21 * mib, 310), (26, 30 * mib, 500), (1, 40 * mib, 900)):  # fmt: skip
        await _insert(admin_panel, hours, size, size // 2, persons)
    status, html = await admin_panel.get("/admin/system")
    assert status == 200
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("nav.subnav a.active").text == "System Stats"  # type: ignore[union-attr]
    assert soup.select_one("[data-testid=db-size]").text.startswith("40 MiB")  # type: ignore[union-attr]
    row = soup.select_one("tr[data-table=persons]")
    assert row is not None
    cells = [td.text for td in row.select("td")]
    assert cells[1] == "900" and cells[2] == "+400"  # the newest measurement ≥ 24 h older had 500
    size_chart = soup.select("svg.chart")[0]
    # 96→95 h, then 49→48 h, then 26 h alone, then 1 h alone: silences of a day are gaps.
    database = size_chart.select_one("g.series[data-series=database]")
    assert database is not None
    assert len(database.select("polyline")) == 2 and len(database.select("circle")) == 2
    assert len(soup.select("svg.chart")) == 3


async def test_page_without_measurements_points_to_the_job(admin_panel: Panel) -> None:
    """A fresh install shows how to get the first measurement instead of empty charts."""
    status, html = await admin_panel.get("/admin/system")
    assert status == 200
    assert BeautifulSoup(html, "html.parser").select_one("[data-testid=no-stats]") is not None


async def test_only_manage_jobs_may_see_it(panel: Panel) -> None:
    """Subscribers and viewers lack manage_jobs: 403."""
    await add_user(panel.app, "sub", "subscriber")
    await panel.login("sub")
    status, _ = await panel.get("/admin/system")
    assert status == 403


async def test_a_small_image_store_is_told_in_kib(admin_panel: Panel) -> None:
    """A few thumbnails on day one read "12 KiB", not "0 MiB"; an empty store is still 0 MiB."""
    await _insert(admin_panel, 1, 3 * 2**20, 12 * 1024, 10)
    _, html = await admin_panel.get("/admin/system")
    shown = BeautifulSoup(html, "html.parser").select_one("[data-testid=image-size]")
    assert shown is not None and shown.text.startswith("12 KiB in 3 files")


async def test_all_time_over_months_keeps_breaks_spikes_and_table_growth(admin_panel: Panel) -> None:
    """Sixty days of hourly measurements with a two-day silence and one hour of a 500 MiB write-ahead
    log: the chart breaks once and still reaches the spike; rows per table compare the right edges."""
    mib, now = 2**20, utcnow()
    rows = []
    for hour in range(60 * 24, 0, -1):
        if 40 * 24 <= hour < 42 * 24:
            continue  # the machine was off for two days
        wal = 500 * mib if hour == 30 * 24 else 0
        rows.append((to_db(now - timedelta(hours=hour)), (1440 - hour) * mib, wal, 0, 0,
                     json.dumps({"persons": 1440 - hour})))  # fmt: skip
    async with admin_panel.app[db_key].transaction() as conn:
        await conn.executemany(
            "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, "
            "table_rows) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    status, html = await admin_panel.get("/admin/system?days=all")
    assert status == 200
    soup = BeautifulSoup(html, "html.parser")
    cells = [td.text for td in soup.select("tr[data-table=persons] td")]
    assert cells[1:] == ["1,439", "+24", "+24"]  # now; since 24 h ago; per day since the first (0)
    database = soup.select("svg.chart")[0].select_one("g.series[data-series=database]")
    assert database is not None and len(database.select("polyline")) == 2
    top = max(
        float(t.text.removesuffix(" MiB").replace("k", "e3"))
        for t in soup.select("svg.chart")[0].select("text.ylabel")
    )
    assert top >= 500 + 1440 - 30 * 24
