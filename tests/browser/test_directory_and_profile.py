"""Directory and Profile in real Chromium against the real `mhc serve` on a filled database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
# A 1×1 PNG: the remote fallback Chromium loads when the local copy is missing (CSP allows data:).
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret


def _db_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _fill(db: Path) -> None:
    """Two persons and a week of CBHours activity with silences between broadcasts."""
    now = datetime.now(UTC)
    with sqlite3.connect(db) as conn:
        for pid, name, role in ((1, "alice", "model"), (2, "bob", "viewer")):
            seen = _db_time(now - timedelta(minutes=pid))
            conn.execute(
                "INSERT INTO persons (id, username, role, first_seen_at, last_seen_at, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pid, name, role, seen, seen, seen, seen),
            )
        conn.execute(
            "INSERT INTO person_state (person_id, username, role, age, age_source, age_at, followers, "
            "followers_source, followers_at, rank, rank_source, rank_at, tags, last_seen_at, is_live, "
            "image_sha256, image_url, snapshot_count) VALUES (1, 'alice', 'model', 24, 'affiliate', ?, 1234, "
            "'cbhours', ?, 31, 'cbhours', ?, ?, ?, 1, ?, ?, 7)",
            (*[_db_time(now - timedelta(minutes=3))] * 3, json.dumps(["asian", "teen"]),
             _db_time(now), "f" * 64, PIXEL),
        )  # fmt: skip
        conn.execute("INSERT INTO person_state (person_id, username, role, events_count, last_seen_at) "
                     "VALUES (2, 'bob', 'viewer', 12, ?)", (_db_time(now - timedelta(days=1)),))  # fmt: skip
        for hours in range(72, 0, -1):  # hourly measurements of a growing database, one day missing
            if 30 <= hours < 50:
                continue
            conn.execute(
                "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, "
                "table_rows) VALUES (?, ?, 0, ?, ?, ?)",
                (_db_time(now - timedelta(hours=hours)), (200 - hours) * 2**20, (100 - hours) * 2**19,
                 400 - hours, json.dumps({"persons": 10_000 - hours * 10})),
            )  # fmt: skip
        for day in (6, 5, 4, 1, 0):  # a two-hour broadcast on five of the last seven days
            start = now - timedelta(days=day, hours=3)
            conn.executemany(
                "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, viewers, "
                "fetched_at) VALUES (1, ?, 'public', ?, ?, ?, 80, ?)",
                [(_db_time(start + timedelta(minutes=3 * i)), 30 + i % 5, 300 + i, 1000 + 50 * (6 - day) + i,
                  _db_time(now)) for i in range(40)],
            )  # fmt: skip


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = ServiceProcess(tmp_path_factory.mktemp("pages") / "data")
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    _fill(process.data_dir / "mhc.sqlite3")
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


def test_directory_and_profile_render_in_chromium(browser: Browser, service: str) -> None:
    """Sign in, filter the Directory, open a profile: the image falls back to its remote URL, the
    charts are drawn with their gap, and no request leaves the machine."""
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((service, "data:")) else None)
    try:
        page.goto(service + "/login?next=/users/directory")  # an admin would land on the checklist
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(service + "/users/directory")
        expect(page.locator("[data-testid=directory] tbody tr")).to_have_count(2)
        page.click("[data-testid=role-toggle] >> text=Models")
        expect(page.locator("[data-testid=directory] tbody tr")).to_have_count(1)
        image = page.locator("tr[data-username=alice] img")
        expect(image).to_have_attribute("src", PIXEL)  # /images/fff… is not stored: the fallback took over
        assert image.evaluate("img => img.naturalWidth") == 1
        page.screenshot(path=str(SHOTS / "directory.png"), full_page=True)

        page.click("tr[data-username=alice] [data-testid=row-actions]")  # the row's actions menu
        page.click("tr[data-username=alice] >> text=View Profile")
        expect(page).to_have_url(service + "/profile/alice")
        page.click("[data-testid=window] >> text=7 days")
        expect(page.locator("[data-testid=followers]")).to_have_attribute("title", "from CBHours, 3 min ago")
        rank = page.locator("[data-testid=rank-chart] g.series[data-series='Rank (gender)'] polyline")
        expect(rank).to_have_count(5)  # five two-hour broadcasts, five lines: the silences stay empty
        box = page.locator("[data-testid=followers-chart] svg").bounding_box()
        assert box is not None and box["width"] > 300
        page.screenshot(path=str(SHOTS / "profile.png"), full_page=True)

        page.goto(service + "/admin/system")
        expect(page.locator("svg.chart")).to_have_count(3)
        expect(page.locator("[data-testid=db-size]")).to_contain_text("199 MiB")
        page.screenshot(path=str(SHOTS / "system.png"), full_page=True)
        assert outside == []
    finally:
        context.close()


def test_times_and_numbers_follow_the_browsers_zone_and_locale(browser: Browser, service: str) -> None:
    """A reader in Tokyo with a German browser sees Tokyo times (UTC on hover) and "9.990"."""
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="de-DE")
    page = context.new_page()
    try:
        page.goto(service + "/login?next=/users/directory")  # an admin would land on the checklist
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(service + "/users/directory")
        seen = page.locator("tr[data-username=bob] time").first
        stamp = datetime.fromisoformat(seen.get_attribute("datetime") or "")
        tokyo = stamp.astimezone(ZoneInfo("Asia/Tokyo"))
        expect(seen).to_have_text(tokyo.strftime("%Y-%m-%d %H:%M"))
        expect(seen).to_have_attribute("title", stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))

        page.goto(service + "/admin/system")
        rows = page.locator("tr[data-table=persons] data.num").first
        expect(rows).to_have_text(f"{int(rows.get_attribute('value') or 0):,}".replace(",", "."))
    finally:
        context.close()
