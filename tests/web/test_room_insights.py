"""Room › Insights through the real Events ingest: heatmap cells, follows per broadcast, unfollow
clusters, the CSVs and the JSON twin, on broadcasts whose numbers are known in advance."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from service.settings import Settings
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel, add_user

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00 UTC
WEEK = 7 * 24 * 60
WED = 2 * 24 * 60


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        jobs_enabled=False,
        password_time_cost=1,
        password_memory_kib=8,
        broadcaster=ROOM,
    )


async def seed(panel: Panel) -> None:
    """Two broadcasts on Mondays 20:00–22:00 and one on Wednesday 10:30–14:00 (minutes after MONDAY).

    Monday 20h: 2 h live, tips 100 + 300, one follow → 200 tokens/h, 0.5 follows/h.
    Monday 21h: 2 h live, tip 50, two follows → 25 tokens/h, 1 follow/h.
    Wednesday: 10h 0.5 h, 11h–13h 1 h each; tip 70 at 11:15 → 70 tokens/h at 11h.
    Unfollows after the broadcasts: f1 the next morning (1 after the first Monday), f2 and f3 the
    same night (2 after the second Monday), none after Wednesday.
    """
    db = panel.app[db_key]
    f = Feed(MONDAY)
    await ingest(
        db,
        [
            f.event(1200, "broadcastStart", ROOM),
            f.event(1210, "tip", "t1", tokens=100),
            f.event(1220, "follow", "f1"),
            f.event(1290, "tip", "t2", tokens=50),
            f.event(1320, "broadcastStop", ROOM),
            f.event(1980, "unfollow", "f1"),  # Tuesday 09:00
            f.event(WED + 630, "broadcastStart", ROOM),
            f.event(WED + 675, "tip", "t3", tokens=70),
            f.event(WED + 840, "broadcastStop", ROOM),
            f.event(WEEK + 1200, "broadcastStart", ROOM),
            f.event(WEEK + 1240, "tip", "t1", tokens=300),
            f.event(WEEK + 1270, "follow", "f2"),
            f.event(WEEK + 1310, "follow", "f3"),
            f.event(WEEK + 1320, "broadcastStop", ROOM),
            f.event(WEEK + 1350, "unfollow", "f2"),
            f.event(WEEK + 1380, "unfollow", "f3"),
        ],
    )


def _cell(cells: list[dict[str, object]], weekday: int, hour: int) -> dict[str, object]:
    return next(c for c in cells if c["weekday"] == weekday and c["hour"] == hour)


async def test_heatmap_cells_from_known_broadcasts(admin_panel: Panel) -> None:
    """The Monday 20h and 21h cells and the Wednesday cells hold exactly the seeded hours and tokens."""
    await seed(admin_panel)
    status, data = await admin_panel.get_json("/room/insights.json")
    assert status == 200, data
    live = data["when_to_go_live"]
    assert data["time_zone"] == "UTC"
    assert live["broadcast_hours"] == 7.5
    tokens, followers = live["tokens"], live["followers"]
    assert _cell(tokens, 0, 20) == {
        "weekday": 0,
        "hour": 20,
        "hours": 2.0,
        "total": 400,
        "per_hour": 200.0,
        "thin": True,
    }
    assert _cell(tokens, 0, 21)["per_hour"] == 25.0
    assert _cell(followers, 0, 20)["per_hour"] == 0.5
    assert _cell(followers, 0, 21)["per_hour"] == 1.0
    assert [_cell(tokens, 2, h)["hours"] for h in (10, 11, 12, 13)] == [0.5, 1.0, 1.0, 1.0]
    assert _cell(tokens, 2, 11)["per_hour"] == 70.0
    assert _cell(tokens, 2, 10)["per_hour"] == 0.0
    assert _cell(tokens, 1, 9)["per_hour"] is None  # never live on Tuesday morning
    assert sum(c["hours"] for c in tokens) == 7.5


async def test_cbhours_adds_hours_the_stream_never_saw(admin_panel: Panel) -> None:
    """CBHours segments of the own room on Tuesday 09:00–09:57 (followers 100…119) add 1 h and 19
    followers to Tuesday 09h; segments inside a stored broadcast are ignored."""
    await seed(admin_panel)
    db = admin_panel.app[db_key]
    async with db.transaction() as conn:
        async with conn.execute("SELECT id FROM persons WHERE username = ?", (ROOM,)) as cursor:
            (room_id,) = await cursor.fetchone()  # type: ignore[misc]
        rows = [(room_id, f"2026-01-06T09:{3 * n:02d}:00.000Z", 100 + n) for n in range(20)]
        rows += [(room_id, f"2026-01-05T20:{3 * n:02d}:00.000Z", 500 + 10 * n) for n in range(20)]
        await conn.executemany(
            "INSERT INTO cbhours_activity (person_id, segment_at, show, followers, fetched_at) "
            "VALUES (?, ?, 'public', ?, '2026-02-01T00:00:00.000Z')",
            rows,
        )
    _, data = await admin_panel.get_json("/room/insights.json")
    live = data["when_to_go_live"]
    assert live["cbhours_only_hours"] == 1.0
    assert _cell(live["followers"], 1, 9) == {
        "weekday": 1,
        "hour": 9,
        "hours": 1.0,
        "total": 19,
        "per_hour": 19.0,
        "thin": True,
    }
    assert _cell(live["followers"], 0, 20)["total"] == 1  # the broadcast's own follow, not CBHours'
    assert _cell(live["tokens"], 1, 9)["per_hour"] is None  # CBHours knows no tokens


async def test_follows_by_start_hour_duration_and_unfollow_clusters(admin_panel: Panel) -> None:
    """Per start hour and duration the seeded follows; the second Monday leads the clusters with 2."""
    await seed(admin_panel)
    _, data = await admin_panel.get_json("/room/insights.json")
    moves = data["what_moves_followers"]
    assert moves["by_start_hour"] == [
        {"label": "10h", "broadcasts": 1, "hours": 3.5, "follows": 0, "unfollows": 0},
        {"label": "20h", "broadcasts": 2, "hours": 4.0, "follows": 3, "unfollows": 0},
    ]
    assert [(g["label"], g["broadcasts"]) for g in moves["by_duration"]] == [
        ("under 1 h", 0),
        ("1–2 h", 0),
        ("2–3 h", 2),
        ("3–4 h", 1),
        ("4 h or more", 0),
    ]
    clusters = moves["unfollow_clusters"]
    assert [(c["started_at"], c["unfollows_24h"]) for c in clusters] == [
        ("2026-01-12T20:00:00.000Z", 2),
        ("2026-01-05T20:00:00.000Z", 1),
    ]


async def test_page_draws_every_analysis_with_tables(admin_panel: Panel) -> None:
    """Four sections, the heatmaps as SVG with thin cells hatched, tables under <details>, CSV links."""
    await seed(admin_panel)
    status, html = await admin_panel.get("/room/insights")
    assert status == 200
    page = BeautifulSoup(html, "html.parser")
    for section in ("go-live", "retention", "follows", "economy"):
        block = page.select_one(f"[data-testid={section}]")
        assert block is not None, section
        assert block.select_one("details table") is not None, section
        assert block.select_one(f'a[href="/room/insights/{section}.csv"]') is not None, section
    go_live = page.select_one("[data-testid=go-live]")
    assert go_live is not None
    maps = go_live.select("svg.heatmap")
    assert len(maps) == 2
    monday_20 = maps[0].select_one('g.cell[data-row="0"][data-col="20"]')
    assert monday_20 is not None and "thin" in monday_20["class"]
    assert [t.get_text() for t in monday_20.select("text")] == ["200", "2.0 h"]
    assert monday_20.select_one("rect.hatched") is not None
    assert "UTC" in page.select_one("[data-testid=time-zone]").get_text()  # type: ignore[union-attr]
    row = go_live.select_one('tr[data-cell="0-20"]')
    assert row is not None and [td.get_text() for td in row.select("td")][:4] == [
        "Mon",
        "20:00",
        "2.0",
        "400",
    ]
    _, room = await admin_panel.get("/room")
    assert BeautifulSoup(room, "html.parser").select_one(
        '[data-testid=insights-link] a[href="/room/insights"]'
    )


async def test_csv_tables(admin_panel: Panel) -> None:
    """Each analysis as CSV; an unknown one is a 404 that says which exist."""
    await seed(admin_panel)
    client = admin_panel.client
    response = await client.get("/room/insights/go-live.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert len(rows) == 7 * 24
    monday_21 = next(r for r in rows if r["weekday"] == "Mon" and r["hour_utc"] == "21")
    assert (monday_21["hours_live"], monday_21["tokens"], monday_21["follows_per_hour"]) == (
        "2.0",
        "50",
        "1.0",
    )
    follows = list(csv.DictReader(io.StringIO(await (await client.get("/room/insights/follows.csv")).text())))
    assert [(r["start_hour_utc"], r["hours"], r["follows"]) for r in follows] == [
        ("20", "2.0", "1"),
        ("10", "3.5", "0"),
        ("20", "2.0", "2"),
    ]
    for name in ("retention", "economy"):
        assert (await client.get(f"/room/insights/{name}.csv")).status == 200
    missing = await client.get("/room/insights/bogus.csv")
    assert missing.status == 404
    assert "go-live" in await missing.text()


async def test_needs_view_stats(panel: Panel) -> None:
    """Signed out: sent to the login; every signed-in role has view_stats."""
    response = await panel.client.get("/room/insights", allow_redirects=False)
    assert response.status in (302, 303)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    assert (await panel.get("/room/insights"))[0] == 200


async def test_empty_room(admin_panel: Panel) -> None:
    """No data at all: the page still renders, saying so, and the JSON is all zeros and blanks."""
    status, html = await admin_panel.get("/room/insights")
    assert status == 200
    assert "No followers recorded yet" in html and "No fan has spent tokens yet" in html
    _, data = await admin_panel.get_json("/room/insights.json")
    assert data["fan_economy"]["fans"] == 0 and data["retention"]["cohorts"] == []
