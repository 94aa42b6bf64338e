"""Every panel page's `.json` twin: the page's own data (checked against the rendered page), the
page's filters and paging, the page's permission, and anonymous tips kept anonymous."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from bs4 import BeautifulSoup

from service.clock import from_db, utcnow
from service.permissions import Permission
from service.store import follows
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest, seed_room
from tests.support.panel import Panel, add_user
from tests.support.rows import add_activity, add_person, ago


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def get_json(panel: Panel, path: str, status: int = 200) -> dict[str, Any]:
    response = await panel.client.get(path, allow_redirects=False)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    assert "Set-Cookie" not in response.headers
    body: dict[str, Any] = await response.json()
    return body


async def add_role(app: web.Application, name: str, permissions: set[Permission]) -> None:
    """A role an admin might define, holding only some permissions."""
    async with app[db_key].transaction() as conn:
        await conn.execute("INSERT INTO system_roles (name) VALUES (?)", (name,))
        await conn.executemany(
            "INSERT INTO system_role_permissions (role_id, permission_id) SELECT r.id, p.id "
            "FROM system_roles r, system_permissions p WHERE r.name = ? AND p.name = ?",
            [(name, permission.value) for permission in permissions],
        )


async def people(panel: Panel) -> dict[str, int]:
    """Five persons; alice, bob and carol follow the room, dave and erin did and left."""
    async with panel.app[db_key].transaction() as conn:
        ids = {
            "alice": await add_person(conn, "alice", role="model", age=24, age_source="affiliate",
                                      age_at=ago(minutes=3), followers=5000, followers_source="cbhours",
                                      followers_at=ago(minutes=3), tags=["asian"],
                                      last_seen_at=ago(minutes=1), image_sha256="a" * 64,
                                      image_url="https://img.example/alice.jpg"),
            "bob": await add_person(conn, "bob", role="viewer", last_seen_at=ago(days=2), events_count=40),
            "carol": await add_person(conn, "carol", role="model", followers=300, tags=["milf"],
                                      last_seen_at=ago(hours=5), priority=2, lookup_status="tracking"),
            "dave": await add_person(conn, "dave", role="viewer", last_seen_at=ago(days=9)),
            "erin": await add_person(conn, "erin", role="model", last_seen_at=ago(days=20)),
        }  # fmt: skip
        for days, name in ((30, "alice"), (20, "bob"), (10, "carol")):
            await follows.open_period(
                conn, ids[name], "follower", at=ago(days=days), source="manual", ref=None
            )
        await follows.open_period(conn, ids["alice"], "following", at=ago(days=12), source="manual", ref=None)
        for name, start, end in (("dave", 40, 5), ("erin", 60, 2)):
            await follows.open_period(
                conn, ids[name], "follower", at=ago(days=start), source="manual", ref=None
            )
            await follows.close_period(
                conn, ids[name], "follower", at=ago(days=end), source="manual", ref=None
            )
    return ids


def listed(html: str, testid: str) -> list[str]:
    return [
        str(tr["data-username"])
        for tr in soup(html).select(f"[data-testid={testid}] tbody tr[data-username]")
    ]


@pytest.mark.parametrize("query", ["", "?role=model&sort=followers&dir=desc", "?q=al", "?tag=asian,milf",
                                   "?sort=username&dir=asc", "?q=no-such"])  # fmt: skip
async def test_directory_json_is_the_page_data(admin_panel: Panel, query: str) -> None:
    """Same persons in the same order, same total, for every filter and sort of the page."""
    await people(admin_panel)
    _, html = await admin_panel.get(f"/users/directory{query}")
    data = await get_json(admin_panel, f"/users/directory.json{query}")
    assert [p["username"] for p in data["persons"]] == listed(html, "directory")
    assert str(data["total"]) == soup(html).select_one("[data-testid=total]").get_text()  # type: ignore[union-attr]
    assert data["valid_search"] is ("no-such" not in query)


async def test_directory_json_values_carry_their_source(admin_panel: Panel) -> None:
    """Each value says which source gave it and when, as the page's hover text does."""
    await people(admin_panel)
    data = await get_json(admin_panel, "/users/directory.json?q=alice")
    alice = data["persons"][0]
    assert alice["followers"] == 5000 and alice["sources"]["followers"]["source"] == "cbhours"
    assert alice["age"] == 24 and alice["sources"]["age"]["source"] == "affiliate"
    assert alice["image_path"] == "/images/" + "a" * 64 and alice["tags"] == ["asian"]
    assert data["page"] == 1 and data["pages"] == 1 and data["next_url"] is None


async def test_directory_json_pages(admin_panel: Panel) -> None:
    """Paging info leads from page to page, keeping the filter; a bad page is a JSON 400."""
    async with admin_panel.app[db_key].transaction() as conn:
        for i in range(55):
            await add_person(conn, f"fan_{i:02d}", role="viewer", last_seen_at=ago(minutes=i))
    first = await get_json(admin_panel, "/users/directory.json?role=viewer")
    assert first["total"] == 55 and first["pages"] == 2 and len(first["persons"]) == 50
    second = await get_json(admin_panel, first["next_url"])
    _, html = await admin_panel.get("/users/directory?role=viewer&page=2")
    last_five = [f"fan_{i}" for i in range(50, 55)]
    assert [p["username"] for p in second["persons"]] == listed(html, "directory") == last_five
    assert second["prev_url"] == "/users/directory.json?role=viewer&sort=last_seen&dir=desc"
    error = await get_json(admin_panel, "/users/directory.json?page=0", status=400)
    assert error["ok"] is False and "page" in error["error"]


async def test_follow_lists_json_are_the_page_data(admin_panel: Panel) -> None:
    """Following and Followers (with the page's type filter): same people, order, totals and dates."""
    await people(admin_panel)
    for path, testid in (("/users/following", "following"), ("/users/followers", "followers"),
                         ("/users/followers?type=models", "followers"),
                         ("/users/followers?type=viewers", "followers")):  # fmt: skip
        _, html = await admin_panel.get(path)
        data = await get_json(admin_panel, path.replace(testid, f"{testid}.json"))
        assert [f["username"] for f in data["follows"]] == listed(html, testid), path
        assert f"({data['total']})" == soup(html).select_one("h2 small").get_text()  # type: ignore[union-attr]
        shown = [from_db(str(t["datetime"]).replace("+00:00", "Z"))
                 for t in soup(html).select(f"[data-testid={testid}] [data-testid=since] time")]  # fmt: skip
        assert [from_db(f["since"]) for f in data["follows"]] == shown
    followers = await get_json(admin_panel, "/users/followers.json?type=models")
    assert followers["type"] == "models"
    assert [f["username"] for f in followers["follows"]] == ["carol", "alice"]


async def test_unfollowed_json_is_the_page_data_with_days_followed(admin_panel: Panel) -> None:
    """Unfollowed: the same rows with their days followed; /api/followers/unfollowed answers the same."""
    await people(admin_panel)
    _, html = await admin_panel.get("/users/unfollowed?range=all")
    rows = [
        [td.get_text() for td in tr.select("td")]
        for tr in soup(html).select("[data-testid=unfollowed] tbody tr")
    ]
    data = await get_json(admin_panel, "/users/unfollowed.json?range=all")
    assert [[u["username"], u["role"], str(u["days_followed"]), u["source"]] for u in data["unfollowed"]] == [
        [r[0], r[1], r[4], r[5]] for r in rows
    ]
    assert [u["days_followed"] for u in data["unfollowed"]] == [58, 35]
    assert data["insights"]["total"] == 2 and data["list_size"] == 3
    api = await get_json(admin_panel, "/api/followers/unfollowed?range=all")
    # The same answer; only the rate (unfollows per week up to now) moves between two requests.
    assert api["unfollowed"] == data["unfollowed"] and api["insights"]["total"] == 2
    recent = await get_json(admin_panel, "/api/followers/unfollowed?range=7d")
    assert [u["username"] for u in recent["unfollowed"]] == ["erin", "dave"]
    mine = await get_json(admin_panel, "/users/unfollowed.json?who=me&range=all")
    assert mine["who"] == "me" and mine["unfollowed"] == []


async def test_profile_json_is_the_page_data(admin_panel: Panel) -> None:
    """A person's values, follow dates and sessions; an unknown person is a JSON 404."""
    await people(admin_panel)
    _, html = await admin_panel.get("/profile/alice")
    page = soup(html)
    data = await get_json(admin_panel, "/profile/alice.json")
    assert data["person"]["username"] == page.select_one("[data-testid=username]").get_text().strip()  # type: ignore[union-attr]
    assert f"{data['state']['followers']:,}" == page.select_one("[data-testid=followers]").get_text()  # type: ignore[union-attr]
    assert data["state"]["sources"]["followers"]["source"] == "cbhours"
    since = page.select_one("[data-testid=following-since] time")
    assert since is not None and from_db(data["follow"]["following_since"]) == from_db(
        str(since["datetime"]).replace("+00:00", "Z")
    )
    assert data["follow"]["follower_since"] is not None and data["session_count"] == 0
    assert "<" not in str(data)  # no HTML: the charts stay on the page, their points come along
    assert data["history"]["window_days"] == "30" and data["history"]["followers"]["cbhours"] == []


async def test_profile_json_carries_the_charts_points_for_the_window(admin_panel: Panel) -> None:
    """The points the charts draw, limited by the page's `days` window."""
    ids = await people(admin_panel)
    async with admin_panel.app[db_key].transaction() as conn:
        await add_activity(conn, ids["alice"], utcnow() - timedelta(days=2), 5, rank=40)
        await add_activity(conn, ids["alice"], utcnow() - timedelta(days=45), 3, rank=90)
    recent = (await get_json(admin_panel, "/profile/alice.json"))["history"]
    assert [value for _at, value in recent["followers"]["cbhours"]] == [1000, 1001, 1002, 1003, 1004]
    assert [value for _at, value in recent["rank"]] == [40, 41, 42, 40, 41]
    assert all(from_db(at) > utcnow() - timedelta(days=30) for at, _v in recent["global_rank"])
    everything = (await get_json(admin_panel, "/profile/alice.json?days=all"))["history"]
    assert len(everything["rank"]) == 8 and everything["window_days"] == "all"
    missing = await get_json(admin_panel, "/profile/nobody_here.json", status=404)
    assert missing["ok"] is False
    assert (await get_json(admin_panel, "/profile/not%20a%20name.json", status=404))["ok"] is False


async def finished_broadcast(panel: Panel) -> str:
    _, html = await panel.get("/room")
    link = soup(html).select("[data-testid=broadcasts] tbody tr[data-broadcast]")[1].select_one("a")
    assert link is not None
    return str(link["href"])


async def test_broadcast_json_is_the_page_data_and_keeps_tippers_anonymous(admin_panel: Panel) -> None:
    """Tippers, follows and visitors as the page lists them; the anonymous tipper only with reveal."""
    await seed_room(admin_panel.app[db_key])
    link = await finished_broadcast(admin_panel)
    _, html = await admin_panel.get(link)
    page = soup(html)
    data = await get_json(admin_panel, f"{link}.json")

    def cells(tr: Any) -> list[str]:  # the name without the tier badge beside it
        first, *rest = tr.select("td")
        return [(first.a or first).get_text(), *(td.get_text() for td in rest)]

    tippers = [cells(tr) for tr in page.select("[data-testid=tippers] tbody tr")]
    assert [
        [t["username"] or "anonymous", str(t["tips"]), str(t["tokens"])] for t in data["tippers"]
    ] == tippers
    assert data["tippers"][0] == {"username": None, "anonymous": True, "tips": 1, "tokens": 500}
    assert {v["username"] for v in data["visitors"]} == {
        a.get_text() for a in page.select("[data-testid=visitors] a")
    }
    assert [e["shown_name"] for e in data["follows"]] == ["bob"]
    assert len(data["timeline"]) == len(page.select("[data-testid=timeline] tbody tr"))
    anonymous_tip = next(e for e in data["timeline"] if e["anonymous"])
    assert anonymous_tip["username"] is None and anonymous_tip["shown_name"] == "anonymous"
    assert "secret_sam" not in str(data["tippers"]) + str(data["timeline"])
    revealed = await get_json(admin_panel, f"{link}.json?reveal=1")
    assert revealed["revealed"] and revealed["tippers"][0]["username"] == "secret_sam"
    assert data["broadcast"]["live"] is False and data["broadcast"]["figures"]["tokens"] == 600
    error = await get_json(admin_panel, "/room/broadcasts/999.json", status=404)
    assert error == {"ok": False, "error": "There is no broadcast 999."}


async def test_events_json_is_the_page_data_filtered_and_anonymous(panel: Panel) -> None:
    """Same events for the same filters; a viewer's ?reveal=1 still hides the anonymous tipper."""
    await seed_room(panel.app[db_key])
    await add_user(panel.app, "owner", "admin")
    await panel.login("owner")

    async def ids(path: str) -> list[str]:
        _, html = await panel.get(path)
        return [str(r["data-id"]) for r in soup(html).select("[data-testid=events] tbody tr[data-id]")]

    for query in ("", "?type=tip", "?min_tip=50", "?username=bob", "?since=2026-01-01&until=2026-01-03"):
        data = await get_json(panel, f"/events.json{query}")
        assert [e["id"] for e in data["events"]] == await ids(f"/events{query}"), query
    tips = await get_json(panel, "/events.json?type=tip")
    _, html = await panel.get("/events?type=tip")
    status_line = soup(html).select_one("[data-testid=stream-status]")
    assert status_line is not None and f"state-{tips['stream']['state']}" in status_line["class"]
    shown_last = status_line.select("time")[-1]["datetime"]
    assert from_db(tips["stream"]["last_event_at"]) == from_db(str(shown_last).replace("+00:00", "Z"))
    assert tips["filters"] == {"type": "tip"} and "secret_sam" not in str(tips)
    assert "secret_sam" in str(await get_json(panel, "/events.json?type=tip&reveal=1"))
    assert (await get_json(panel, "/events.json?type=bogus", status=400))["ok"] is False

    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    for path in ("/events.json?reveal=1", "/events.json?username=secret_sam&reveal=1"):
        data = await get_json(panel, path)
        assert "secret_sam" not in str(data["events"]) and data["revealed"] is False
        assert all(e["username"] is None for e in data["events"] if e["anonymous"])


async def test_events_json_is_keyset_paged(admin_panel: Panel) -> None:
    """120 events: pages of 50, 50 and 20 through next_url, none repeated or skipped, as on the page."""
    f = Feed()
    batch = [f.event(n, "chatMessage", "alice", message=str(n)) for n in range(120)]
    await ingest(admin_panel.app[db_key], batch)
    seen: list[str] = []
    url: str | None = "/events.json?type=chatMessage"
    sizes = []
    while url:
        data = await get_json(admin_panel, url)
        seen += [e["id"] for e in data["events"]]
        sizes.append(len(data["events"]))
        assert data["next_before"] == (data["events"][-1]["id"] if data["next_url"] else None)
        url = data["next_url"]
    assert sizes == [50, 50, 20] and seen == [e.id for e in reversed(batch)]
    second = await get_json(admin_panel, f"/events.json?type=chatMessage&before={seen[49]}")
    _, html = await admin_panel.get(f"/events?type=chatMessage&before={seen[49]}")
    assert [e["id"] for e in second["events"]] == [
        str(r["data-id"]) for r in soup(html).select("[data-testid=events] tbody tr[data-id]")
    ]
    assert second["newest_url"] == "/events.json?type=chatMessage"


PEOPLE_PAGES = ["/users/directory.json", "/users/following.json", "/users/followers.json",
                "/users/unfollowed.json", "/api/followers/unfollowed", "/profile/alice.json"]  # fmt: skip
STATS_PAGES = ["/events.json", "/room/broadcasts/1.json"]


async def test_json_needs_the_page_permission(panel: Panel) -> None:
    """A role without view_users gets 403 JSON on the people pages, one without view_stats on the
    room pages; each still reads the other kind, as on the pages."""
    await people(panel)
    await seed_room(panel.app[db_key])
    await add_role(panel.app, "stats_only", {Permission.VIEW_STATS})
    await add_role(panel.app, "people_only", {Permission.VIEW_USERS})
    await add_user(panel.app, "counter", "stats_only")
    await add_user(panel.app, "reader", "people_only")
    for user, refused, allowed in (
        ("counter", PEOPLE_PAGES, STATS_PAGES),
        ("reader", STATS_PAGES, PEOPLE_PAGES),
    ):
        await panel.login(user)
        for path in refused:
            body = await get_json(panel, path, status=403)
            assert body["ok"] is False and "permission" in body["error"], path
            html_status, _ = await panel.get(path.removesuffix(".json"))
            assert html_status == 403 or path.startswith("/api/"), path
        for path in allowed:
            assert (await get_json(panel, path))["ok"] is True, path


async def test_signed_out_json_is_401_json_not_a_redirect(panel: Panel) -> None:
    """Like the /api/ routes, a .json page never redirects to the login form."""
    for path in [*PEOPLE_PAGES, *STATS_PAGES]:
        body = await get_json(panel, path, status=401)
        assert body == {"ok": False, "error": "Sign in first."}
