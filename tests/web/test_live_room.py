"""The live room page, its JSON twin and its live feed, fed through the real Events ingest path."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from bs4 import BeautifulSoup

from service.clock import now_db
from service.store import fan_lists, person_notes, persons, stream_state
from service.web.keys import db_key, events_hub_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel, add_user


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _connected(panel: Panel) -> None:
    async with panel.app[db_key].transaction() as conn:
        await stream_state.set_status(conn, state="connected", detail=None, until=None, at=now_db())


async def _room(panel: Panel) -> Feed:
    """A finished broadcast (whale_wendy tipped 30,000 there), then an open one with people in it."""
    db = panel.app[db_key]
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "userEnter", "whale_wendy"),
        f.event(2, "tip", "whale_wendy", tokens=30_000), f.event(3, "tip", "bob", tokens=1_500),
        f.event(60, "broadcastStop", ROOM),
        f.event(24 * 60, "broadcastStart", ROOM), f.event(24 * 60 + 1, "userEnter", "whale_wendy"),
        f.event(24 * 60 + 2, "userEnter", "bob"), f.event(24 * 60 + 3, "tip", "bob", tokens=200),
        f.event(24 * 60 + 4, "chatMessage", "carol"), f.event(24 * 60 + 5, "follow", "carol"),
        f.event(24 * 60 + 6, "tip", "secret_sam", tokens=900, is_anon=True),
        f.event(24 * 60 + 7, "userEnter", "dave"), f.event(24 * 60 + 8, "userLeave", "dave"),
    ])  # fmt: skip
    async with db.transaction() as conn:
        wendy = await persons.get_person_id(conn, "whale_wendy")
        assert wendy is not None
        vip = next(lst.id for lst in await fan_lists.list_lists(conn) if lst.builtin == "vip")
        await fan_lists.add_member(conn, vip, wendy, added_by=None)  # type: ignore[arg-type]
        await person_notes.insert_note(conn, wendy, category="note", body="Likes the blue dress",
                                       author_id=None, pinned=True)  # type: ignore[arg-type]  # fmt: skip
    await _connected(panel)
    return f


async def test_who_is_in_the_room_sorted_by_tier_then_this_broadcasts_tokens(admin_panel: Panel) -> None:
    """Present: wendy (Diamond by lifetime, 0 tonight), bob (Silver, 200 tonight), carol (chat counts);
    dave left; the broadcaster and the anonymous tipper are not in the room."""
    await _room(admin_panel)
    status, html = await admin_panel.get("/room/live")
    assert status == 200
    page = soup(html)
    people = page.select("[data-testid=present] li.person")
    assert [p["data-username"] for p in people] == ["whale_wendy", "bob", "carol"]
    wendy = people[0]
    assert wendy.select_one(".tier")["data-tier"] == "4"  # type: ignore[index]
    assert "VIP" in wendy.get_text() and "Likes the blue dress" in wendy.get_text()
    assert "30,000" in wendy.get_text()
    assert "follower" in people[2].get_text()
    assert page.select_one("[data-testid=present-count]").get_text() == "3"  # type: ignore[union-attr]
    tips = page.select("[data-testid=tips] li")
    assert [t.get_text(" ", strip=True).split(" ")[:2] for t in tips] == [
        ["900", "anonymous"],
        ["200", "bob"],
    ]
    assert "secret_sam" not in html
    assert "dave left" in page.select_one("[data-testid=moves]").get_text()  # type: ignore[union-attr]
    tokens = page.select_one("[data-total=tokens]")
    assert tokens is not None and "1,100" in tokens.get_text() and "avg 31,500" in tokens.get_text()


async def test_the_json_twin(admin_panel: Panel) -> None:
    await _room(admin_panel)
    status, body = await admin_panel.get_json("/room/live.json")
    assert status == 200 and body["ok"] and body["state"] == "live"
    assert [p["username"] for p in body["present"]] == ["whale_wendy", "bob", "carol"]
    assert body["present"][1]["broadcast_tokens"] == 200 and body["present"][0]["lifetime_tokens"] == 30_000
    assert body["tips"][0] == {**body["tips"][0], "username": None, "anonymous": True, "profile_url": None}
    assert "secret_sam" not in json.dumps(body)


async def test_no_open_broadcast_or_no_stream_says_so(admin_panel: Panel) -> None:
    """Nothing stored and no stream: "not configured"; a stream but no broadcast: "no broadcast"."""
    _, html = await admin_panel.get("/room/live")
    message = soup(html).select_one("[data-testid=live-message]")
    assert message is not None and "not configured" in message.get_text()
    await _connected(admin_panel)
    f = Feed()
    await ingest(admin_panel.app[db_key], [f.event(0, "broadcastStart", ROOM), f.event(1, "userEnter", "bob"),
                                           f.event(2, "broadcastStop", ROOM)])  # fmt: skip
    _, body = await admin_panel.get_json("/room/live.json")
    assert body["state"] == "no_broadcast" and body["present"] == []
    assert "No broadcast is open" in body["message"]


async def test_a_stalled_stream_warns_above_the_last_known_room(admin_panel: Panel) -> None:
    await _room(admin_panel)
    async with admin_panel.app[db_key].transaction() as conn:
        await stream_state.set_status(conn, state="store_error", detail="disk full", until=None, at=now_db())
    _, body = await admin_panel.get_json("/room/live.json")
    # Its last poll is long ago (the feed's times are in the past): stalled, with the moment.
    assert body["state"] == "live" and body["warning"].startswith("The Events stream is stalled since 20")
    assert len(body["present"]) == 3


async def test_the_banner_links_to_the_live_room(admin_panel: Panel) -> None:
    await _room(admin_panel)
    _, html = await admin_panel.get("/room")
    link = soup(html).select_one("[data-testid=live-banner] [data-testid=live-room-link]")
    assert link is not None and link["href"] == "/room/live"


async def test_viewers_see_the_room_subscribers_too(panel: Panel) -> None:
    await _room(panel)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    assert (await panel.get("/room/live"))[0] == 200


async def _next_room(response: Any) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                return dict(json.loads(line[6:]))


async def test_the_live_feed_sends_the_room_again_after_an_arrival(admin_panel: Panel) -> None:
    f = await _room(admin_panel)
    response = await admin_panel.client.get("/room/live/stream")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    first = await _next_room(response)
    assert [p["username"] for p in first["present"]] == ["whale_wendy", "bob", "carol"]
    await ingest(admin_panel.app[db_key], [f.event(24 * 60 + 9, "userEnter", "erin"),
                                           f.event(24 * 60 + 10, "userLeave", "bob")])  # fmt: skip
    admin_panel.app[events_hub_key].notify()
    second = await _next_room(response)
    response.close()
    assert [p["username"] for p in second["present"]] == ["whale_wendy", "carol", "erin"]
