"""The profile's fan card: the ledger of one person in the room, recent windows and weekly chart; the
model-only charts are left out for a viewer; the JSON twin carries the same figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from service.clock import utcnow
from service.store.room_events import IncomingEvent
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel

DAY = 24 * 60


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


async def _seed(panel: Panel) -> None:
    """whale tips 1,000 sixty days ago, 200 twenty days ago and 50 yesterday, buys a 30-token video,
    joins the fan club, and tips 5,000 anonymously (which counts for nobody)."""
    start = (utcnow() - timedelta(days=60)).replace(hour=12, minute=0, second=0, microsecond=0)
    f = Feed(start)
    db = panel.app[db_key]

    def at(day: int, minute: int, method: str, user: str, **fields: object) -> IncomingEvent:
        return f.event(day * DAY + minute, method, user, **fields)

    await ingest(db, [at(0, 0, "broadcastStart", ROOM), at(0, 1, "userEnter", "whale"),
                      at(0, 2, "tip", "whale", tokens=1000), at(0, 3, "broadcastStop", ROOM)])  # fmt: skip
    await ingest(db, [at(40, 0, "broadcastStart", ROOM), at(40, 1, "tip", "whale", tokens=200),
                      at(40, 2, "mediaPurchase", "whale", tokens=30), at(40, 3, "fanclubJoin", "whale"),
                      at(40, 4, "broadcastStop", ROOM)])  # fmt: skip
    await ingest(db, [at(59, 0, "broadcastStart", ROOM), at(59, 1, "tip", "whale", tokens=50),
                      at(59, 2, "tip", "whale", tokens=5000, is_anon=True)])  # fmt: skip


async def test_the_fan_card_shows_the_ledger(admin_panel: Panel) -> None:
    await _seed(admin_panel)
    status, html = await admin_panel.get("/profile/whale")
    assert status == 200
    card = BeautifulSoup(html, "html.parser").select_one("[data-testid=fan-card]")
    assert card is not None
    text = {key: card.select_one(f"[data-testid=fan-{key}]").get_text(" ", strip=True)  # type: ignore[union-attr]
            for key in ("lifetime", "7d", "30d", "90d", "tips", "visits", "club")}  # fmt: skip
    assert text["lifetime"] == "1,280"
    assert (text["7d"], text["30d"], text["90d"]) == ("50", "280", "1,280")
    assert text["tips"].startswith("3 · biggest 1,000")
    assert text["visits"] == "1 · 3 broadcasts attended"
    assert text["club"].startswith("member since")
    assert card.select("[data-testid=fan-weeks] svg rect")  # the weekly bars are drawn
    assert "5,000" not in card.get_text()  # the anonymous tip is nobody's
    # A viewer has no follower or rank history: those charts are not drawn for them.
    assert "followers-chart" not in html and "rank-chart" not in html


async def test_the_profile_json_carries_the_fan_figures(admin_panel: Panel) -> None:
    await _seed(admin_panel)
    status, body = await admin_panel.get_json("/profile/whale.json")
    assert status == 200
    fan = body["fan"]
    assert (fan["lifetime_tokens"], fan["tokens_tipped"], fan["media_tokens"], fan["imported_tokens"]) == (
        1280,
        1250,
        30,
        0,
    )
    assert fan["recent_tokens"] == {"7d": 50, "30d": 280, "90d": 1280}
    assert sum(week["tokens"] for week in fan["tokens_per_week"]) == 1280
    assert len(fan["tokens_per_week"]) == 26


async def test_a_person_never_in_the_room_has_no_fan_card(admin_panel: Panel) -> None:
    await _seed(admin_panel)
    status, html = await admin_panel.get(f"/profile/{ROOM}")
    assert status == 200 and "fan-card" not in html


async def test_the_fan_card_shows_lists_the_pinned_note_and_the_latest_two(admin_panel: Panel) -> None:
    await _seed(admin_panel)
    await admin_panel.get("/profile/whale")
    await admin_panel.post("/profile/whale/lists", {"list_id": "2"})  # VIP, built in
    for n in range(4):
        await admin_panel.post("/profile/whale/notes", {"category": "note", "body": f"note number {n}"})
    await admin_panel.post("/profile/whale/notes", {"category": "tip_menu", "body": "likes the 99 menu",
                                                    "pinned": "1"})  # fmt: skip
    _, html = await admin_panel.get("/profile/whale")
    card = BeautifulSoup(html, "html.parser").select_one("[data-testid=fan-card]")
    assert card is not None
    assert card.select_one("[data-testid=fan-lists]").get_text(" ", strip=True) == "VIP"  # type: ignore[union-attr]
    notes = [li.get_text(" ", strip=True) for li in card.select("[data-testid=fan-notes] li")]
    assert len(notes) == 3 and notes[0].startswith("pinned") and notes[0].endswith("likes the 99 menu")
    assert [note[-13:] for note in notes[1:]] == ["note number 3", "note number 2"]
