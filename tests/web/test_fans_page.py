"""Users › Fans: the ledger as a table with tiers, smart lists, filters, CSV and JSON, fed through the
real Events ingest path on a real SQLite file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from service.ingest.token_import import import_file
from service.web.keys import db_key
from tests.support.events import ROOM, T0, ingest, seed_room
from tests.support.panel import Panel, add_user


def _minutes_ago(days: float) -> float:
    """Feed minutes (after T0) of a moment `days` before now: the page's windows are relative to now."""
    return (datetime.now(UTC) - timedelta(days=days) - T0).total_seconds() / 60


async def _recent_room(panel: Panel) -> None:
    """seed_room's old broadcasts, then one two days ago: carol tips big, dave enters and follows."""
    db = panel.app[db_key]
    feed = await seed_room(db)
    start = _minutes_ago(2)
    await ingest(db, [
        feed.event(start, "broadcastStart", ROOM), feed.event(start + 1, "userEnter", "carol"),
        feed.event(start + 2, "tip", "carol", tokens=1500), feed.event(start + 3, "tip", "carol", tokens=20),
        feed.event(start + 4, "userEnter", "dave"), feed.event(start + 5, "follow", "dave"),
        feed.event(start + 6, "fanclubJoin", "carol"), feed.event(start + 30, "broadcastStop", ROOM),
    ])  # fmt: skip


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _names(html: str) -> list[str]:
    return [
        str(tr["data-username"])
        for tr in _soup(html).select("table[data-testid=fans] tbody tr[data-username]")
    ]


def _row(html: str, name: str) -> BeautifulSoup:
    row = _soup(html).select_one(f"tr[data-username={name}]")
    assert row is not None, name
    return row  # type: ignore[return-value]


async def test_fans_table_ranks_the_ledger_with_tiers(admin_panel: Panel) -> None:
    """Lifetime order, tier badges, follow and fan-club state, numbers and times as on other pages;
    an anonymous tip counts for nobody."""
    await _recent_room(admin_panel)
    status, html = await admin_panel.get("/users/fans")
    assert status == 200
    names = _names(html)
    assert names[:2] == ["carol", "alice"]
    assert "secret_sam" not in names or "500" not in _row(html, "secret_sam").text
    carol = _row(html, "carol")
    badge = carol.select_one(".tier")
    assert badge is not None and badge.text == "Silver" and "tier-2" in badge["class"]
    assert carol.select_one("[data-testid=lifetime] data.num")["value"] == "1520"  # type: ignore[index]
    assert carol.select_one("[data-testid=fanclub] time") is not None
    assert carol.select_one("[data-testid=follows]").text.strip() == "no"  # type: ignore[union-attr]
    alice = _row(html, "alice")
    assert alice.select_one(".tier").text == "Bronze"  # type: ignore[union-attr]
    dave = _row(html, "dave")
    assert dave.select_one(".tier") is None
    assert dave.select_one("[data-testid=follows] time") is not None
    assert _soup(html).select_one("[data-testid=empty-ledger]") is None
    assert "Bronze ≥ 100 · Silver ≥ 1,000" in html


async def test_smart_lists_are_one_click_filters_with_counts(admin_panel: Panel) -> None:
    """Each list shows its count; clicking one filters the table and explains its rule."""
    await _recent_room(admin_panel)
    _, html = await admin_panel.get("/users/fans")
    chips = {str(a["data-list"]): a for a in _soup(html).select("[data-testid=smart-lists] a")}
    assert set(chips) == {"", "top", "top30", "new", "regulars", "drifting", "lapsed",
                          "followers_never_tipped", "tippers_not_following"}  # fmt: skip
    counts = {key: a.select_one(".count").text for key, a in chips.items() if key}  # type: ignore[union-attr]
    assert counts["top"] == "2" and counts["top30"] == "1" and counts["followers_never_tipped"] == "2"
    expected = {
        "top": ["carol", "alice"],
        "top30": ["carol"],
        "followers_never_tipped": ["dave", "bob"],
        "tippers_not_following": ["carol", "alice"],
        "lapsed": ["alice"],
    }
    for key, names in expected.items():
        _, page = await admin_panel.get("/users/fans" + str(chips[key]["href"]))
        assert _names(page) == names, key
        rule = _soup(page).select_one("[data-testid=list-rule]")
        assert rule is not None and chips[key].text.split()[0] in rule.text
    _, page = await admin_panel.get("/users/fans?list=lapsed")
    assert "spent nothing in the last 30 days" in page


async def test_tier_filter_search_and_sort(admin_panel: Panel) -> None:
    """The tier select, a name prefix and the sortable headers narrow and order the table."""
    await _recent_room(admin_panel)
    _, html = await admin_panel.get("/users/fans?tier=2")
    assert _names(html) == ["carol"]
    _, html = await admin_panel.get("/users/fans?tier=0")
    assert "carol" not in _names(html) and "alice" not in _names(html) and "dave" in _names(html)
    _, html = await admin_panel.get("/users/fans?q=CA")
    assert _names(html) == ["carol"]
    _, html = await admin_panel.get("/users/fans?sort=visits&dir=desc")
    header = _soup(html).select_one("th[data-sort=visits]")
    assert header is not None and header["aria-sort"] == "descending"
    link = _soup(html).select_one("th[data-sort=d7] a")
    assert link is not None and link["href"] == "?sort=d7&dir=desc"
    _, html = await admin_panel.get("/users/fans?sort=d7")
    assert _names(html)[0] == "carol"
    _, html = await admin_panel.get("/users/fans?q=no%20such!")
    assert "cannot be a username" in html and _names(html) == []


async def test_page_number_out_of_range_is_a_400(admin_panel: Panel) -> None:
    """Offset paging is bounded: past the last allowed page the URL is refused with a sentence."""
    response = await admin_panel.client.get("/users/fans?page=401")
    assert response.status == 400
    assert "page: a whole number from 1 to 400" in await response.text()


async def test_csv_export_follows_the_filters(admin_panel: Panel) -> None:
    """The CSV holds every row of the current filters in the page's order, with tier and UTC times."""
    await _recent_room(admin_panel)
    _, html = await admin_panel.get("/users/fans?list=top")
    link = _soup(html).select_one("a[data-testid=csv]")
    assert link is not None and link["href"] == "/users/fans.csv?list=top&sort=lifetime&dir=desc"
    response = await admin_panel.client.get(str(link["href"]))
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["username"], r["tier"], r["lifetime_tokens"]) for r in rows] == [
        ("carol", "Silver", "1520"), ("alice", "Bronze", "110"),
    ]  # fmt: skip
    assert rows[0]["fanclub_since"].endswith("Z") and rows[0]["follower_since"] == ""


async def test_json_twin(admin_panel: Panel) -> None:
    """/users/fans.json: rows with tiers, the lists with counts and rules, the tiers, paging links."""
    await _recent_room(admin_panel)
    response = await admin_panel.client.get("/users/fans.json?list=top30")
    assert response.status == 200
    data = await response.json()
    assert data["ok"] is True and data["filters"]["list"] == "top30" and data["total"] == 1
    (carol,) = data["fans"]
    assert carol["username"] == "carol" and carol["tier"] == {"name": "Silver", "rank": 2, "threshold": 1000}
    assert carol["tokens_30_days"] == 1520 and carol["tokens_7_days"] == 1520
    lists = {item["key"]: item for item in data["lists"]}
    assert lists["top"]["count"] == 2 and "highest lifetime" in lists["top"]["rule"]
    assert [t["name"] for t in data["tiers"]] == ["Bronze", "Silver", "Gold", "Diamond"]
    assert data["next_url"] is None


async def test_empty_ledger_explains_what_fills_it(admin_panel: Panel) -> None:
    """With nobody in the ledger the page says where fans come from."""
    _, html = await admin_panel.get("/users/fans")
    card = _soup(html).select_one("[data-testid=empty-ledger]")
    assert card is not None
    assert "Events API" in card.text and "Admin › Import" in card.text


async def test_tiers_follow_the_settings(admin_panel: Panel) -> None:
    """Saving other tiers and a recent rule on the Settings page changes the badges at once."""
    await _recent_room(admin_panel)
    await admin_panel.get("/admin/settings")
    response = await admin_panel.post(
        "/admin/settings", {"fan_tiers": "Fan 50, Big Fan 5000", "fan_recent_tier": "Big Fan 1000 in 7 days"}
    )
    assert response.status == 303
    _, html = await admin_panel.get("/users/fans")
    assert _row(html, "carol").select_one(".tier").text == "Big Fan"  # type: ignore[union-attr]
    assert _row(html, "alice").select_one(".tier").text == "Fan"  # type: ignore[union-attr]


async def test_viewer_role_reads_and_signed_out_is_redirected(panel: Panel) -> None:
    """view_users is enough; signed out, the page, CSV and JSON need a sign-in."""
    for path in ("/users/fans", "/users/fans.csv"):
        response = await panel.client.get(path, allow_redirects=False)
        assert response.status == 303
    response = await panel.client.get("/users/fans.json", allow_redirects=False)
    assert response.status in (401, 303)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    status, html = await panel.get("/users/fans")
    assert status == 200 and 'href="/users/fans" class="active"' in html


async def test_csv_streams_every_batch(admin_panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows beyond one batch, and beyond the page cap's reach, all arrive in the CSV in order."""
    from service.web.handlers import fans as handler

    monkeypatch.setattr(handler, "CSV_BATCH", 2)
    await _recent_room(admin_panel)
    response = await admin_panel.client.get("/users/fans.csv?sort=visits&dir=asc")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    _, html = await admin_panel.get("/users/fans?sort=visits&dir=asc")
    assert [r["username"] for r in rows] == _names(html)
    assert len(rows) >= 4


async def test_imported_token_history_ranks_and_says_its_source(admin_panel: Panel, tmp_path: Path) -> None:
    """Spending from an imported token history CSV (real import path) counts in lifetime, tier and the
    lists, and the row says part of it was imported."""
    await _recent_room(admin_panel)
    history = tmp_path / "tokens.csv"
    history.write_text(
        "User,Token change,Timestamp,Note\n"
        "zoe,6000,2025-03-01 20:00:00,Tip\n"
        "zoe,40,2025-03-02 20:00:00,Private show\n"
        "alice,2000,2025-04-01 20:00:00,Tip\n",
        encoding="utf-8",
    )
    await import_file(admin_panel.app[db_key], history)
    _, html = await admin_panel.get("/users/fans")
    assert _names(html)[:3] == ["zoe", "alice", "carol"]
    zoe = _row(html, "zoe")
    assert zoe.select_one(".tier").text == "Gold"  # type: ignore[union-attr]
    assert "incl. imported" in zoe.text
    _, html = await admin_panel.get("/users/fans?list=lapsed")
    assert "zoe" in _names(html)
