"""The Profile page over rows stored in the real tables of a temp SQLite file."""

from __future__ import annotations

import json
from datetime import timedelta

from bs4 import BeautifulSoup

from service.clock import to_db, utcnow
from service.store import follows, lookup, person_state, scrapes
from service.store.persons import ensure_persons
from service.web.handlers.profile import BUCKETS
from service.web.keys import db_key
from tests.support import paths
from tests.support.panel import Panel, add_user
from tests.support.rows import add_activity, add_session, ago

SITE = paths.SITE


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _alice(panel: Panel) -> int:
    """Two affiliate sessions two days apart, CBHours activity with a silence, a live check,
    Statbate figures and a follow period."""
    now = utcnow()
    async with panel.app[db_key].transaction() as conn:
        pid = (await ensure_persons(conn, ["alice"], seen_at=to_db(now)))["alice"]
        await conn.execute("UPDATE persons SET role = 'model' WHERE id = ?", (pid,))
        await add_session(conn, pid, now - timedelta(days=3), 2, (900, 950))
        await add_session(conn, pid, now - timedelta(hours=2), 2, (990, 1010))
        await add_activity(conn, pid, now - timedelta(days=3), 20, rank=40)  # one hour
        await add_activity(conn, pid, now - timedelta(hours=2), 20, rank=30)  # after a 3-day silence
        await conn.execute(
            "INSERT INTO cbhours_live_stats (person_id, checked_at, online, gender, rank, grank, viewers, "
            "followers, current_show, tags) VALUES (?, ?, 1, 'f', 31, 310, 95, 1234, 'public', ?)",
            (pid, ago(minutes=3), json.dumps(["asian"])),
        )
        await conn.execute(
            "INSERT INTO statbate_model_info (person_id, fetched_at, rid, gender, rank, sessions_count, "
            "sessions_total_duration, sessions_average_duration, income_tokens, income_usd, raw) "
            "VALUES (?, ?, 77, 1, 512, 42, 151200, 3600, 123456, 6172.8, ?)",
            (pid, ago(hours=1), json.dumps({"rid": 77, "income": {"tokens": 123456}})),
        )
        await follows.open_period(conn, pid, "following", at=ago(days=10), source="manual", ref=None)
        await person_state.refresh(conn, [pid])
    return pid


async def test_current_state_says_where_each_value_came_from(admin_panel: Panel) -> None:
    """Followers from CBHours (it outranks Affiliate), age from the Affiliate API, each with its age."""
    await _alice(admin_panel)
    status, html = await admin_panel.get("/profile/Alice")
    assert status == 200
    soup = _soup(html)
    assert soup.select_one("[data-testid=username]").text.startswith("alice")  # type: ignore[union-attr]
    followers = soup.select_one("[data-testid=followers]")
    assert followers is not None and followers.text == "1,234"
    assert followers["title"] == "from CBHours, 3 min ago"
    age = soup.select_one("[data-testid=age]")
    assert age is not None and age.text == "24" and str(age["title"]).startswith("from the Affiliate API")
    tags = soup.select_one("[data-testid=tags]")
    assert tags is not None and [t.text for t in tags.select(".tag")] == ["asian", "teen"]
    assert str(tags["title"]).startswith("from the Affiliate API")
    live = soup.select_one("[data-testid=live] .live")
    assert live is not None and live.text == "live"
    assert soup.select_one("[data-testid=following-since] time") is not None
    assert soup.select_one("[data-testid=follower-since]").text == "—"  # type: ignore[union-attr]
    link = soup.select_one("a[data-testid=room-link]")
    assert link is not None and link["href"] == "/profile/alice/room"
    assert soup.select_one("nav.mainnav a.active").text == "Profile"  # type: ignore[union-attr]


async def test_history_charts_show_silences_as_gaps(admin_panel: Panel) -> None:
    """Two stretches of CBHours activity three days apart are two lines, not one bridged line."""
    await _alice(admin_panel)
    _, html = await admin_panel.get("/profile/alice?days=7")
    soup = _soup(html)
    rank = soup.select_one("[data-testid=rank-chart] g.series[data-series='Rank (gender)']")
    assert rank is not None and len(rank.select("polyline")) == 2
    cbhours = soup.select_one("[data-testid=followers-chart] g.series[data-series=CBHours]")
    assert cbhours is not None and len(cbhours.select("polyline")) == 2
    affiliate = soup.select_one("[data-testid=followers-chart] g.series[data-series=Affiliate]")
    assert affiliate is not None and len(affiliate.select("polyline")) == 2  # one line per session
    assert soup.select_one("[data-testid=window] a.active").text == "7 days"  # type: ignore[union-attr]


async def test_window_parameter_limits_the_history(admin_panel: Panel) -> None:
    """?days= picks 7/30/60/all; an unknown value falls back to 30 days; old points drop out."""
    pid = await _alice(admin_panel)
    async with admin_panel.app[db_key].transaction() as conn:
        await add_activity(conn, pid, utcnow() - timedelta(days=50), 20, rank=90)
    _, html = await admin_panel.get("/profile/alice?days=60")
    rank = _soup(html).select_one("[data-testid=rank-chart] g.series[data-series='Rank (gender)']")
    assert rank is not None and len(rank.select("polyline")) == 3
    _, html = await admin_panel.get("/profile/alice?days=bogus")
    soup = _soup(html)
    assert soup.select_one("[data-testid=window] a.active").text == "30 days"  # type: ignore[union-attr]
    rank = soup.select_one("[data-testid=rank-chart] g.series[data-series='Rank (gender)']")
    assert rank is not None and len(rank.select("polyline")) == 2


async def test_sessions_statbate_and_raw_records(admin_panel: Panel) -> None:
    """Sessions newest first with follower gain; Statbate model figures; raw records behind <details>."""
    await _alice(admin_panel)
    _, html = await admin_panel.get("/profile/alice")
    soup = _soup(html)
    rows = soup.select("[data-testid=sessions] tbody tr")
    assert len(rows) == 2
    cells = [td.text.strip() for td in rows[0].select("td")]
    assert cells[2] == "2:00" and cells[3] == "150" and cells[4] == "1,010 (+20)"
    income = soup.select_one("[data-testid=statbate-income]")
    assert income is not None and income.text == "123,456 tokens ($6,172.80)"
    raw = {d.select_one("summary").text: d for d in soup.select("[data-testid=raw] details")}  # type: ignore[union-attr]
    assert {"Affiliate API (latest session)", "CBHours live check", "Statbate model"} <= set(raw)
    model = json.loads(raw["Statbate model"].select_one("pre").text)  # type: ignore[union-attr]
    assert model["raw"] == {"rid": 77, "income": {"tokens": 123456}}


async def test_person_with_no_data_yet(admin_panel: Panel) -> None:
    """A queued person with nothing from any source gets a page that says so, with empty charts."""
    async with admin_panel.app[db_key].transaction() as conn:
        await lookup.enqueue(conn, "quiet_one", 1, "", "owner")
    status, html = await admin_panel.get("/profile/quiet_one")
    assert status == 200
    soup = _soup(html)
    assert [t.text for t in soup.select("svg.chart text.empty")] == ["No data for this period"] * 3
    assert "has not seen quiet_one broadcast" in html
    async with admin_panel.app[db_key].transaction() as conn:
        await ensure_persons(conn, ["from_a_list"])  # known, but no current state computed yet
    status, html = await admin_panel.get("/profile/from_a_list")
    assert status == 200 and _soup(html).select_one("[data-testid=no-state]") is not None


async def test_unknown_person_is_404_offering_the_queue(admin_panel: Panel) -> None:
    """A stranger's profile answers 404 with the P1/P2 queue form that comes back to the profile."""
    status, html = await admin_panel.get("/profile/stranger")
    assert status == 404
    form = _soup(html).select_one("[data-testid=unknown-person] form[data-testid=queue-add]")
    assert form is not None
    assert form.select_one("input[name=back]")["value"] == "/profile/stranger"  # type: ignore[index]
    response = await admin_panel.post("/users/directory/queue", {"username": "stranger", "priority": "1",
                                                                 "back": "/profile/stranger"})  # fmt: skip
    assert response.status == 303 and response.headers["Location"] == "/profile/stranger"
    status, _ = await admin_panel.get("/profile/stranger")
    assert status == 200


async def test_invalid_name_is_404_and_viewer_gets_no_queue_form(panel: Panel) -> None:
    """A name that cannot exist is a 404; a viewer's 404 page has no queue form."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    status, html = await panel.get("/profile/not%20valid")
    assert status == 404 and "cannot be a username" in html
    status, html = await panel.get("/profile/stranger")
    assert status == 404 and _soup(html).select("form[data-testid=queue-add]") == []


async def test_profile_search_box_redirects(admin_panel: Panel) -> None:
    """/profile?u=Name goes to /profile/name; a bad name stays on the search page with the reason."""
    response = await admin_panel.client.get("/profile?u=%20Alice%20", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/profile/alice"
    status, html = await admin_panel.get("/profile?u=bad!")
    assert status == 200 and "cannot be a username" in html
    status, html = await admin_panel.get("/profile")
    assert status == 200 and _soup(html).select_one("form[data-testid=profile-search]") is not None


async def test_statbate_tips_on_demand(admin_panel: Panel) -> None:
    """The button asks for the member's tips (the job fetches them); stored tips are listed."""
    pid = await _alice(admin_panel)
    _, html = await admin_panel.get("/profile/alice")
    assert _soup(html).select_one("[data-testid=request-tips]") is not None
    response = await admin_panel.post("/profile/alice/statbate-tips")
    assert response.status == 303
    _, html = await admin_panel.get("/profile/alice")
    soup = _soup(html)
    assert soup.select_one("[data-testid=tips-pending]") is not None
    assert "once Statbate is configured" in soup.select_one(".flash").text  # type: ignore[union-attr]
    async with admin_panel.app[db_key].transaction() as conn:
        await conn.execute(
            "INSERT INTO statbate_member_tips (person_id, tipped_at, model, rid, tokens, usd, fetched_at) "
            "VALUES (?, ?, 'some_room', 5, 250, 12.5, ?)",
            (pid, ago(days=2), ago(hours=1)),
        )
    _, html = await admin_panel.get("/profile/alice")
    rows = _soup(html).select("[data-testid=statbate-tips] tbody tr")
    assert len(rows) == 1 and "some_room" in rows[0].text and "250" in rows[0].text


async def test_viewer_cannot_request_tips(panel: Panel) -> None:
    """Asking Statbate costs requests: it needs manage_priorities."""
    await _alice(panel)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    _, html = await panel.get("/profile/alice")
    assert _soup(html).select_one("[data-testid=request-tips]") is None
    assert (await panel.post("/profile/alice/statbate-tips")).status == 403
    assert (await panel.post("/profile/nobody_here/statbate-tips")).status == 403


async def test_a_scraped_profile_reads_as_a_section_not_raw_json(admin_panel: Panel) -> None:
    """Bio rows, social links (locked ones with their price), wish list and photo sets are shown
    as a readable section of the profile."""
    expected = json.loads((SITE / "profiles" / "profile-followed-offline.expected.json").read_text())
    async with admin_panel.app[db_key].transaction() as conn:
        pid = (await ensure_persons(conn, [expected["username"]]))[expected["username"]]
        await scrapes.insert_profile_scrape(
            conn, person_id=pid, key="k1", client_id=None, url=f"https://chaturbate.com/{expected['username']}/",
            scraped_at=to_db(utcnow() - timedelta(hours=1)), follow_status=expected["follow_status"],
            identity_ok=True, online=expected["online"], bio=expected["bio"],
            social_links=expected["social_links"], wishlist=expected["wishlist"],
            photosets=expected["photosets"], header_online=None, header_total=None,
        )  # fmt: skip
    status, html = await admin_panel.get(f"/profile/{expected['username']}")
    assert status == 200
    section = _soup(html).select_one("[data-testid=scraped-profile]")
    assert section is not None
    bio = {
        dt.get_text(strip=True): dd.get_text(strip=True)
        for dt, dd in zip(section.select("dl.bio dt"), section.select("dl.bio dd"), strict=True)
    }
    assert bio["Real name"] == expected["bio"]["real-name"]
    assert bio["About me"] == expected["bio"]["about-me"]
    links = [li.get_text(" ", strip=True) for li in section.select("[data-testid=social-links] li")]
    assert len(links) == len(expected["social_links"])
    assert any("instagram" in text and "locked" in text and "25 tokens" in text for text in links)
    wish = section.select("[data-testid=wishlist] a")
    assert [a["href"] for a in wish] == expected["wishlist"]
    assert all(a.get("rel") and "noreferrer" in a["rel"] for a in wish)
    sets = section.select("[data-testid=photosets] li")
    assert len(sets) == len(expected["photosets"])
    assert expected["photosets"][0]["title"] in sets[0].get_text()


async def test_long_history_is_drawn_thinned_and_carried_whole_in_json(admin_panel: Panel) -> None:
    """More CBHours segments than the chart has buckets draw at most one point per bucket; the JSON twin
    still carries every stored point."""
    pid = await _alice(admin_panel)
    start = utcnow() - timedelta(days=6)
    async with admin_panel.app[db_key].transaction() as conn:
        await add_activity(conn, pid, start, 2000, rank=50)  # 2000 segments, 3 minutes apart: 100 hours
    _, html = await admin_panel.get("/profile/alice?days=7")
    rank = _soup(html).select_one("[data-testid=rank-chart] g.series[data-series='Rank (gender)']")
    assert rank is not None
    drawn = sum(len(str(line["points"]).split()) for line in rank.select("polyline"))
    assert 100 < drawn <= BUCKETS
    status, data = await admin_panel.get_json("/profile/alice.json?days=7")
    assert status == 200 and len(data["history"]["rank"]) >= 2000
