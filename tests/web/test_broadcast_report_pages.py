"""The written summary atop a broadcast's page and in its JSON; the weekly digest on the Room page."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from service.fan_tiers import DEFAULT_RULES
from service.jobs.broadcast_reports import regenerate_due
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest, scalar
from tests.support.panel import Panel


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


async def _two_broadcasts(panel: Panel) -> tuple[int, int]:
    """An ended broadcast (alice 600 in tips, an anonymous 50, bob follows), then a live one."""
    db, f = panel.app[db_key], Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(5, "tip", "alice", tokens=600),
        f.event(6, "tip", "secret_sam", tokens=50, is_anon=True), f.event(7, "follow", "bob"),
        f.event(90, "broadcastStop", ROOM), f.event(200, "broadcastStart", ROOM),
        f.event(201, "tip", "alice", tokens=5),
    ])  # fmt: skip
    ended = int(await scalar(db, "SELECT min(id) FROM broadcasts"))
    return ended, ended + 1


async def test_an_ended_broadcast_starts_with_its_summary(admin_panel: Panel) -> None:
    """Written now while the stored one is missing, then the stored one; names link, tiers show, the
    anonymous tipper stays anonymous, and the JSON twin carries the same sentences."""
    ended, _ = await _two_broadcasts(admin_panel)
    _, html = await admin_panel.get(f"/room/broadcasts/{ended}")
    section = BeautifulSoup(html, "html.parser").select_one("[data-testid=broadcast-report]")
    assert section is not None
    assert section["data-state"] == "pending" and "late events" not in section.get_text()
    await regenerate_due(admin_panel.app[db_key], DEFAULT_RULES)
    _, html = await admin_panel.get(f"/room/broadcasts/{ended}")
    page = BeautifulSoup(html, "html.parser")
    section = page.select_one("[data-testid=broadcast-report]")
    assert section is not None
    assert section["data-state"] == "ready"
    text = " ".join(section.get_text().split())
    assert "A 1 h 30 min broadcast from" in text
    assert "brought 650 tokens" in text  # tips 600 + 50; the live one's 5 is not in it
    assert "Top tippers: alice Bronze 600; anonymous tips: 50 tokens." in text
    assert "New followers (1): bob." in text
    assert "secret_sam" not in html
    assert page.select_one("[data-testid=broadcast-report] a[href='/profile/alice']") is not None
    assert page.select_one("[data-testid=broadcast-report] .tier-1") is not None
    assert page.select("[data-testid=broadcast-report] time")  # shown in the reader's zone
    status, data = await admin_panel.get_json(f"/room/broadcasts/{ended}.json")
    assert status == 200
    assert data["summary"]["state"] == "ready"
    assert data["summary"]["facts"]["tokens"] == 650
    assert data["summary"]["sentences"][2] == "Top tippers: alice (Bronze) 600; anonymous tips: 50 tokens."
    assert "secret_sam" not in str(data)


async def test_a_live_broadcast_says_the_summary_comes_when_it_ends(admin_panel: Panel) -> None:
    _, live = await _two_broadcasts(admin_panel)
    _, html = await admin_panel.get(f"/room/broadcasts/{live}")
    section = BeautifulSoup(html, "html.parser").select_one("[data-testid=broadcast-report]")
    assert section is not None
    assert section["data-state"] == "live"
    assert "comes when the broadcast ends" in section.get_text()
    _, data = await admin_panel.get_json(f"/room/broadcasts/{live}.json")
    assert data["summary"] == {"state": "live", "generated_at": None, "sentences": [], "facts": {}}


async def test_the_room_page_shows_the_weekly_digest(admin_panel: Panel) -> None:
    """The digest of the 7 days up to now, on the page and in /room.json."""
    await _two_broadcasts(admin_panel)
    status, html = await admin_panel.get("/room")
    assert status == 200
    digest = BeautifulSoup(html, "html.parser").select_one("[data-testid=weekly-digest]")
    assert digest is not None
    assert "hours live in" in digest.get_text() or "hour live in" in digest.get_text()
    status, data = await admin_panel.get_json("/room.json")
    assert status == 200
    assert set(data["digest"]["facts"]) == {"since", "until", "last_7_days", "weekly_average_before", "best"}
    assert [b["figures"]["tokens"] for b in data["broadcasts"]] == [5, 650]
