"""The Events, Room, broadcast, person-in-room and Admin › Events stream pages, and the live feed."""

from __future__ import annotations

import asyncio
import json

import pytest
from bs4 import BeautifulSoup

from service.clock import now_db
from service.store import stream_state
from service.store.room_events import QuarantineItem
from service.web.keys import db_key, events_hub_key
from tests.support.events import ROOM, Feed, ingest, seed_room
from tests.support.panel import Panel, add_user


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def seed(panel: Panel) -> Feed:
    return await seed_room(panel.app[db_key])


async def test_events_page_lists_newest_first_and_hides_anonymous_tippers(admin_panel: Panel) -> None:
    """Rows link to profiles; an anonymous tip shows "anonymous" and the name is nowhere in the page."""
    await seed(admin_panel)
    status, html = await admin_panel.get("/events")
    assert status == 200
    rows = soup(html).select("[data-testid=events] tbody tr")
    assert [r.select("td")[1].get_text() for r in rows][:2] == ["Tip", "Broadcast start"]
    assert rows[0].select_one("a")["href"] == "/profile/alice"  # type: ignore[index]
    assert "anonymous" in html and "secret_sam" not in html
    _, revealed = await admin_panel.get("/events?reveal=1")
    assert "secret_sam" in revealed


async def test_reveal_needs_manage_users(panel: Panel) -> None:
    """A viewer asking for ?reveal=1 still sees "anonymous", also when filtering by the tipper's name."""
    await seed(panel)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    _, html = await panel.get("/events?reveal=1")
    assert "secret_sam" not in html and "Reveal anonymous" not in html
    _, html = await panel.get("/events?username=secret_sam&reveal=1")
    assert soup(html).select("[data-testid=events] tbody tr.ev-tip") == []


async def test_events_filters(admin_panel: Panel) -> None:
    """Type, minimum tip, username and dates narrow the list; a bad filter is a 400."""
    await seed(admin_panel)

    def ids(html: str) -> list[str]:
        return [r["data-id"] for r in soup(html).select("[data-testid=events] tbody tr[data-id]")]  # type: ignore[misc]

    assert len(ids((await admin_panel.get("/events?type=tip"))[1])) == 3
    assert len(ids((await admin_panel.get("/events?min_tip=50"))[1])) == 2
    assert len(ids((await admin_panel.get("/events?username=bob"))[1])) == 2
    assert ids((await admin_panel.get("/events?username=nobody_here"))[1]) == []
    assert len(ids((await admin_panel.get("/events?since=2026-01-01&until=2026-01-03"))[1])) == 9
    assert ids((await admin_panel.get("/events?since=2027-01-01"))[1]) == []
    assert (await admin_panel.get("/events?type=bogus"))[0] == 400
    assert (await admin_panel.get("/events?before=not-an-id"))[0] == 400


async def test_events_pagination_by_id(admin_panel: Panel) -> None:
    """120 events: pages of 50, 50 and 20 following the Older link, none repeated or skipped."""
    f = Feed()
    batch = [f.event(n, "chatMessage", "alice", message=str(n)) for n in range(120)]
    await ingest(admin_panel.app[db_key], batch)
    seen: list[str] = []
    url: str | None = "/events"
    while url:
        _, html = await admin_panel.get(url)
        page = soup(html)
        seen += [r["data-id"] for r in page.select("[data-testid=events] tbody tr[data-id]")]  # type: ignore[misc]
        older = page.select_one("[data-testid=older]")
        url = older["href"] if older else None  # type: ignore[assignment]
    assert seen == [e.id for e in reversed(batch)]


async def test_room_page_banner_and_broadcasts(admin_panel: Panel) -> None:
    """While live, the banner shows tokens and followers; the list links each broadcast's detail."""
    await seed(admin_panel)
    _, html = await admin_panel.get("/room")
    page = soup(html)
    banner = page.select_one("[data-testid=live-banner]")
    assert banner is not None and "tokens this session 10" in " ".join(banner.get_text().split())
    rows = page.select("[data-testid=broadcasts] tbody tr[data-broadcast]")
    assert len(rows) == 2
    done = rows[1].select_one("td[data-figure=tokens]")
    assert done is not None and done.get_text() == "600"
    # The live one has 10 tokens against an average of 600: coloured as below average.
    assert "down" in rows[0].select_one("td[data-figure=tokens]")["class"]  # type: ignore[index]
    assert "Stats API" in page.select_one("[data-testid=account-stats]").get_text()  # type: ignore[union-attr]


async def test_live_broadcast_duration_runs_to_now(admin_panel: Panel) -> None:
    """The live row's duration is the banner's (to now), not the time to its last event."""
    await seed(admin_panel)
    _, html = await admin_panel.get("/room")
    page = soup(html)
    banner = " ".join(page.select_one("[data-testid=live-banner]").get_text().split())  # type: ignore[union-attr]
    live_cell = page.select("[data-testid=broadcasts] tbody tr[data-broadcast]")[0].select_one(
        "td[data-figure=duration_seconds]"
    )
    assert live_cell is not None and live_cell.get_text().endswith("so far")
    assert f"On air for {live_cell.get_text().removesuffix(' so far')}" in banner
    assert not live_cell.get("class")


async def test_broadcast_detail(admin_panel: Panel) -> None:
    """Top tippers group anonymous tips under "anonymous"; followers and visitors are listed."""
    await seed(admin_panel)
    _, html = await admin_panel.get("/room")
    link = soup(html).select("[data-testid=broadcasts] tbody tr[data-broadcast]")[1].select_one("a")["href"]  # type: ignore[index]
    status, html = await admin_panel.get(link)  # type: ignore[arg-type]
    assert status == 200
    page = soup(html)
    tippers = [
        [td.get_text() for td in tr.select("td")] for tr in page.select("[data-testid=tippers] tbody tr")
    ]
    assert tippers == [["anonymous", "1", "500"], ["alice Bronze", "1", "100"]]  # alice: 110 tokens lifetime
    assert "bob" in page.select_one("[data-testid=follows]").get_text()  # type: ignore[union-attr]
    visitors = {a.get_text() for a in page.select("[data-testid=visitors] a")}
    # secret_sam's only trace is his anonymous tip: listing him would name the anonymous tipper.
    assert visitors == {"alice", "bob"}
    assert "secret_sam" not in html
    _, revealed = await admin_panel.get(f"{link}?reveal=1")
    assert "secret_sam" in {a.get_text() for a in soup(revealed).select("[data-testid=visitors] a")}
    # Everyone is new in the room's first broadcast.
    assert soup(html).select_one("[data-testid=new-returning]").get_text() == "2 new · 0 returning"  # type: ignore[union-attr]
    assert (await admin_panel.get("/room/broadcasts/999"))[0] == 404


async def test_broadcast_detail_tells_new_from_returning_visitors(admin_panel: Panel) -> None:
    """alice, seen in the first broadcast, returns in the second; carol is new there."""
    feed = await seed(admin_panel)
    await ingest(admin_panel.app[db_key], [feed.event(122, "userEnter", "carol")])
    _, html = await admin_panel.get("/room")
    live = soup(html).select("[data-testid=broadcasts] tbody tr[data-broadcast]")[0]["data-broadcast"]
    status, detail = await admin_panel.get_json(f"/room/broadcasts/{live}.json")
    assert status == 200
    shown = {v["username"]: (v["new"], v["tokens"], v["lifetime_tokens"]) for v in detail["visitors"]}
    assert shown == {"alice": (False, 10, 110), "carol": (True, 0, 0)}


async def test_profile_room_page(admin_panel: Panel) -> None:
    """A person's events with the room; their anonymous tips only with reveal."""
    await seed(admin_panel)
    _, html = await admin_panel.get("/profile/alice/room")
    page = soup(html)
    assert "110" in page.select_one("[data-testid=person-room-stats]").get_text()  # type: ignore[union-attr]
    assert len(page.select("[data-testid=person-events] tbody tr")) == 3
    _, html = await admin_panel.get("/profile/secret_sam/room")
    assert "500" not in soup(html).select_one("[data-testid=person-events]").get_text()  # type: ignore[union-attr]
    _, html = await admin_panel.get("/profile/secret_sam/room?reveal=1")
    assert "500" in soup(html).select_one("[data-testid=person-events]").get_text()  # type: ignore[union-attr]
    assert (await admin_panel.get("/profile/nobody_here/room"))[0] == 404


async def test_status_and_admin_events_page(admin_panel: Panel) -> None:
    """A stopped stream says why on the room page; Admin lists gaps and quarantined events."""
    db = admin_panel.app[db_key]
    await ingest(db, [], [QuarantineItem("id: should match pattern", '{"id": "x"}', "x", "tip")])
    async with db.transaction() as conn:
        await stream_state.record_gap(conn, reason="the stored cursor belongs to another token", at=now_db())
        await stream_state.set_status(
            conn, state="stopped", detail="token rejected (401)", until=None, at=now_db()
        )
    _, html = await admin_panel.get("/room")
    assert "token rejected" in soup(html).select_one("[data-testid=stream-status]").get_text()  # type: ignore[union-attr]
    status, html = await admin_panel.get("/admin/events")
    assert status == 200
    page = soup(html)
    assert "another token" in page.select_one("[data-testid=gaps]").get_text()  # type: ignore[union-attr]
    assert "should match pattern" in page.select_one("[data-testid=quarantine]").get_text()  # type: ignore[union-attr]
    assert page.select_one("a[href='/admin/events']") is not None


async def test_admin_events_needs_manage_jobs(panel: Panel) -> None:
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    assert (await panel.get("/admin/events"))[0] == 403


async def test_live_feed_sends_new_events(admin_panel: Panel) -> None:
    """The SSE endpoint streams events stored after it was opened, anonymous ones masked."""
    f = await seed(admin_panel)
    response = await admin_panel.client.get("/events/live")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    await ingest(admin_panel.app[db_key], [f.event(130, "tip", "secret_sam", tokens=7, is_anon=True),
                                           f.event(131, "follow", "carol")])  # fmt: skip
    admin_panel.app[events_hub_key].notify()
    received: list[dict[str, object]] = []
    async with asyncio.timeout(5):
        while len(received) < 2:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                received.append(json.loads(line[6:]))
    response.close()
    assert [(r["label"], r["shown_name"]) for r in received] == [("Tip", "anonymous"), ("Follow", "carol")]
    assert "secret_sam" not in json.dumps(received)


async def test_account_stats_and_viewers_from_stats_snapshots(admin_panel: Panel) -> None:
    """With Stats API snapshots stored, the room page shows account figures and their change since
    the last broadcast, and broadcasts get peak and average viewers."""
    db = admin_panel.app[db_key]
    # (fetched_at, last_fetched_at: a repeat of the same figures only moves this, balance, viewers)
    snapshots = [("2026-01-01T23:55:00.000Z", "2026-01-02T00:05:00.000Z", 1000, 40),
                 ("2026-01-02T00:30:00.000Z", "2026-01-02T00:30:00.000Z", 1100, 80),
                 ("2026-01-02T01:30:00.000Z", "2026-01-02T01:30:00.000Z", 1250, 0)]  # fmt: skip
    async with db.transaction() as conn:
        for at, last, balance, viewers in snapshots:
            await conn.execute(
                "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, "
                "token_balance, tips_in_last_hour, votes_up, votes_down, satisfaction_score, num_followers, "
                "num_viewers, num_registered_viewers) VALUES (:room, :at, :last, :at, :balance, 0, 10, 1, "
                "91.0, 500, :viewers, 0)",
                {"room": ROOM, "at": at, "last": last, "balance": balance, "viewers": viewers},
            )
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(40, "userEnter", "alice"),
                      f.event(60, "broadcastStop", ROOM)])  # fmt: skip
    async with db.read() as conn, conn.execute("SELECT peak_viewers, avg_viewers FROM broadcasts") as cursor:
        row = await cursor.fetchone()
    assert (row[0], row[1]) == (80, 60.0)  # type: ignore[index]  # the snapshot in force at the start, and the one during it
    _, html = await admin_panel.get("/room")
    account = " ".join(soup(html).select_one("[data-testid=account-stats]").get_text().split())  # type: ignore[union-attr]
    assert "Token balance1,250 (+150 since the last broadcast)" in account  # grouped, as every figure


async def test_a_live_broadcasts_detail_page_runs_its_duration_to_now(admin_panel: Panel) -> None:
    """The detail page agrees with the Room page: a live broadcast has lasted until now, "so far"."""
    await seed(admin_panel)
    _, html = await admin_panel.get("/room")
    page = soup(html)
    live_row = page.select("[data-testid=broadcasts] tbody tr[data-broadcast]")[0]
    listed = live_row.select_one("td[data-figure=duration_seconds]")
    assert listed is not None
    _, html = await admin_panel.get(f"/room/broadcasts/{live_row['data-broadcast']}")
    cell = soup(html).select_one("tr[data-figure=duration_seconds] td:nth-of-type(2)")
    assert cell is not None
    assert cell.get_text(strip=True) == listed.get_text(strip=True)
