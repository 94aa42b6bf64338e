"""A fan's tier badge and list chips appear wherever their name does; an anonymous tip shows none."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from service.store import person_state
from service.web.keys import db_key
from tests.support.events import ROOM, ingest, seed_room
from tests.support.panel import Panel

VIP = "2"


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def badges_beside(html: str, username: str) -> list[str]:
    """The text of each badge shown right after a link to the person's profile."""
    found = []
    for link in BeautifulSoup(html, "html.parser").select(f'a[href="/profile/{username}"]'):
        badge = link.find_next_sibling("span", attrs={"data-testid": "fan-badge"})
        if badge is not None:
            found.append(badge.get_text(" ", strip=True))
    return found


async def test_badges_beside_names_on_every_page(admin_panel: Panel) -> None:
    feed = await seed_room(admin_panel.app[db_key])  # alice tips 110 in all: Bronze (100+)
    await ingest(admin_panel.app[db_key], [feed.event(122, "follow", "alice")])
    async with admin_panel.app[db_key].transaction() as conn:
        await person_state.refresh_all(conn)  # as the state job does: the Directory reads person_state
    await admin_panel.get("/profile/alice")
    assert (await admin_panel.post("/profile/alice/lists", {"list_id": VIP})).status == 303
    _, room = await admin_panel.get("/room")
    broadcast = BeautifulSoup(room, "html.parser").select(
        "[data-testid=broadcasts] tbody tr[data-broadcast]"
    )[1]
    pages = ["/users/directory", "/users/followers", "/users/fans", "/events",
             f"/room/broadcasts/{broadcast['data-broadcast']}"]  # fmt: skip
    for page in pages:
        status, html = await admin_panel.get(page)
        assert status == 200
        shown = badges_beside(html, "alice")
        assert shown and all(text == "Bronze VIP" for text in shown), (page, shown)
    _, html = await admin_panel.get("/profile/alice")
    h1 = BeautifulSoup(html, "html.parser").select_one("[data-testid=username]")
    assert h1 is not None and "Bronze" in h1.get_text()


async def test_an_anonymous_tip_carries_no_badge(admin_panel: Panel) -> None:
    """secret_sam's only spending is anonymous: no tier, and no badge that would hint at him."""
    await seed_room(admin_panel.app[db_key])
    _, html = await admin_panel.get("/events")
    assert "secret_sam" not in html
    _, revealed = await admin_panel.get("/events?reveal=1")
    assert badges_beside(revealed, "secret_sam") == []


async def test_the_fans_page_filters_by_relationship_list(admin_panel: Panel) -> None:
    await seed_room(admin_panel.app[db_key])
    await admin_panel.get("/profile/alice")
    await admin_panel.post("/profile/bob/lists", {"list_id": VIP})
    status, body = await admin_panel.get_json(f"/users/fans.json?rel={VIP}")
    assert status == 200 and [row["username"] for row in body["fans"]] == ["bob"]
    _, everyone = await admin_panel.get_json("/users/fans.json")
    assert {row["username"] for row in everyone["fans"]} >= {"alice", "bob"}
    _, html = await admin_panel.get(f"/users/fans?rel={VIP}")
    selected = BeautifulSoup(html, "html.parser").select_one("[data-testid=rel-filter] option[selected]")
    assert selected is not None and selected.get_text() == "VIP"


async def test_the_directory_shows_tokens_and_filters_by_tier(admin_panel: Panel) -> None:
    """alice spent 110 (Bronze), bob nothing; the tier filter keeps alice only, the CSV too."""
    await seed_room(admin_panel.app[db_key])
    async with admin_panel.app[db_key].transaction() as conn:
        await person_state.refresh_all(conn)
    _, html = await admin_panel.get("/users/directory")
    rows = {
        tr["data-username"]: tr.select_one("[data-testid=tokens]").get_text(strip=True)  # type: ignore[union-attr]
        for tr in BeautifulSoup(html, "html.parser").select(
            "table[data-testid=directory] tbody tr[data-username]"
        )
    }
    assert rows["alice"] == "110" and rows["bob"] == ""
    _, filtered = await admin_panel.get_json("/users/directory.json?tier=1")
    assert [p["username"] for p in filtered["persons"]] == ["alice"]
    _, none_silver = await admin_panel.get_json("/users/directory.json?tier=2")
    assert none_silver["persons"] == []
