"""The notification centre: the header's bell, /alerts (paged, read marks), its JSON twin, each user's
choices on the Account page, and the live toasts' server-sent events."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from bs4 import BeautifulSoup

from service.clock import utcnow
from service.store import alert_inbox
from service.web.keys import db_key
from tests.support.alerts import raise_one
from tests.support.panel import Panel, add_user


def _bell(html: str) -> tuple[str | None, str]:
    """(the count shown, or None when hidden; the live URL)."""
    soup = BeautifulSoup(html, "html.parser")
    bell = soup.select_one("[data-testid=bell]")
    assert bell is not None
    count = bell.select_one("[data-testid=bell-count]")
    assert count is not None
    return (None if count.has_attr("hidden") else count.get_text(strip=True)), str(bell["data-live-url"])


def _rows(html: str) -> list[tuple[int, str, str]]:
    soup = BeautifulSoup(html, "html.parser")
    rows = []
    for tr in soup.select("[data-testid=alerts] tbody tr"):
        title = tr.select_one(".alert-title")
        assert title is not None
        rows.append((int(str(tr["data-alert"])), " ".join(tr.get("class") or []), title.get_text()))
    return rows


async def test_bell_counts_unread_recent_wanted_alerts(admin_panel: Panel) -> None:
    """Read, older than 30 days and unwanted kinds do not count; the live feed starts at the newest id."""
    app = admin_panel.app
    _, html = await admin_panel.get("/account")
    assert _bell(html) == (None, "/alerts/live?after=0")
    first = await raise_one(app, "big_tip", "500 tokens from alice", username="alice")
    await raise_one(app, "new_follower", "bob followed you")
    await raise_one(app, "unfollow", "carol left", at=utcnow() - timedelta(days=31))
    newest = await raise_one(app, "fan_enters", "dave entered", quiet=True)
    _, html = await admin_panel.get("/account")
    assert _bell(html) == ("3", f"/alerts/live?after={newest}")
    await admin_panel.get("/alerts")
    assert (await admin_panel.post(f"/alerts/{first}/read")).status == 303
    wanted = [("panel", kind) for kind in alert_inbox.ALERT_KINDS if kind != "fan_enters"]
    response = await admin_panel.post("/account/alerts", wanted)
    assert response.status == 303
    _, html = await admin_panel.get("/account")
    assert _bell(html)[0] == "1"  # fan_enters is now unwanted on the panel; only the follower is left


async def test_the_directory_shows_the_same_bell(admin_panel: Panel) -> None:
    """The Directory reads the header with its own rows (one trip); the bell says what it says elsewhere."""
    app = admin_panel.app
    await raise_one(app, "big_tip", "500 tokens from alice", username="alice")
    newest = await raise_one(app, "new_follower", "bob followed you")
    _, account = await admin_panel.get("/account")
    _, directory = await admin_panel.get("/users/directory")
    assert _bell(directory) == _bell(account) == ("2", f"/alerts/live?after={newest}")


async def test_bell_stops_counting_at_99(admin_panel: Panel) -> None:
    for number in range(101):
        await raise_one(admin_panel.app, title=f"tip {number}")
    _, html = await admin_panel.get("/account")
    assert _bell(html)[0] == "99+"


async def test_bell_is_one_indexed_statement(admin_panel: Panel) -> None:
    """It runs on every page: the count reads a range of the raised_at index, never the whole table."""
    async with admin_panel.app[db_key].read() as conn:
        rows = await conn.execute_fetchall(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM (SELECT 1 FROM alerts a WHERE a.raised_at >= '2026' AND "
            "NOT EXISTS (SELECT 1 FROM alert_reads r WHERE r.user_id = 1 AND r.alert_id = a.id) LIMIT 100)"
        )
    plan = " / ".join(str(row[3]) for row in rows)
    assert "idx_alerts_raised" in plan and "SCAN a" not in plan.replace("SCAN a USING", ""), plan


async def test_no_bell_without_view_stats(panel: Panel) -> None:
    """A user who may not read the alerts gets no bell and no live feed (and the page is refused)."""
    app = panel.app
    async with app[db_key].transaction() as conn:
        await conn.execute("INSERT INTO system_roles (name) VALUES ('nobody') ON CONFLICT DO NOTHING")
    await add_user(app, "plain", "nobody")
    await panel.login("plain")
    _, html = await panel.get("/account")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("[data-testid=bell]") is None and "alerts-live.js" not in html
    assert (await panel.client.get("/alerts", allow_redirects=False)).status == 403
    assert (await panel.client.get("/alerts/live", allow_redirects=False)).status == 403


async def test_list_is_newest_first_paged_with_links_and_read_state(admin_panel: Panel) -> None:
    app = admin_panel.app
    ids = [await raise_one(app, title=f"tip {n}") for n in range(52)]
    profile = await raise_one(app, "fan_enters", "alice entered", body="Tier: whale", username="alice")
    elsewhere = await raise_one(app, "summary_ready", "Summary", url="/room/broadcasts/7")
    unsafe = await raise_one(app, "summary_ready", "Odd link", url="javascript:alert(1)")
    status, html = await admin_panel.get("/alerts")
    assert status == 200
    rows = _rows(html)
    assert [r[0] for r in rows] == [unsafe, elsewhere, profile, *reversed(ids)][:50]
    soup = BeautifulSoup(html, "html.parser")
    links = {int(str(tr["data-alert"])): tr.select_one("a.alert-title") for tr in soup.select("tbody tr")}
    assert links[profile] is not None and links[profile]["href"] == "/profile/alice"  # type: ignore[index]
    assert links[elsewhere]["href"] == "/room/broadcasts/7"  # type: ignore[index]
    assert links[unsafe] is None
    assert "Tier: whale" in html and all(r[1] == "unread" for r in rows)
    older = soup.select_one("[data-testid=older]")
    assert older is not None
    _, html = await admin_panel.get(str(older["href"]))
    assert [r[0] for r in _rows(html)] == list(reversed(ids[:5]))


async def test_mark_read_and_mark_all_read(admin_panel: Panel) -> None:
    """Mark all read covers what the page showed: an alert raised after the page was drawn stays unread."""
    app = admin_panel.app
    first = await raise_one(app, title="first")
    second = await raise_one(app, title="second")
    await admin_panel.get("/alerts?unread=1")
    response = await admin_panel.post(
        f"/alerts/{first}/read", headers={"Referer": f"{admin_panel.origin}/alerts?unread=1"}
    )
    assert response.status == 303 and response.headers["Location"] == "/alerts?unread=1"
    _, html = await admin_panel.get("/alerts")
    assert {r[0]: r[1] for r in _rows(html)} == {first: "read", second: "unread"}
    soup = BeautifulSoup(html, "html.parser")
    through = soup.select_one("[data-testid=read-all] input[name=through]")
    assert through is not None and through["value"] == str(second)
    late = await raise_one(app, title="late")
    response = await admin_panel.post("/alerts/read-all", {"through": str(second)})
    assert response.status == 303
    _, html = await admin_panel.get("/alerts?unread=1")
    assert [r[0] for r in _rows(html)] == [late]
    assert "1 alert(s) marked read." in html
    async with app[db_key].read() as conn:  # one mark per user instead of a row per alert
        marks = list(await conn.execute_fetchall("SELECT user_id, through_id FROM alert_read_marks"))
        singles = list(await conn.execute_fetchall("SELECT alert_id FROM alert_reads"))
    assert ([tuple(m) for m in marks], singles) == ([(1, second)], [])
    await admin_panel.post(f"/alerts/{first}/read")  # already read by the mark: no row
    response = await admin_panel.post("/alerts/read-all", {"through": str(first)})  # never back
    _, html = await admin_panel.get("/alerts")
    assert {r[0]: r[1] for r in _rows(html)} == {first: "read", second: "read", late: "unread"}
    assert (await admin_panel.post("/alerts/9999/read")).status == 404


async def test_read_marks_need_csrf_and_are_per_user(admin_panel: Panel) -> None:
    app = admin_panel.app
    alert = await raise_one(app, title="tip")
    response = await admin_panel.post(f"/alerts/{alert}/read", csrf=False)
    assert response.status == 403
    response = await admin_panel.post("/alerts/read-all", {"through": "nope"})
    assert response.status == 400
    await admin_panel.post(f"/alerts/{alert}/read")
    await add_user(app, "second", "viewer")
    async with app[db_key].read() as conn:
        owner = await alert_inbox.bell(conn, 1, since=utcnow() - timedelta(days=1))
        other = await alert_inbox.bell(conn, 2, since=utcnow() - timedelta(days=1))
    assert (owner.unread, other.unread) == (0, 1)


async def test_json_twin(admin_panel: Panel) -> None:
    app = admin_panel.app
    first = await raise_one(app, "fan_enters", "alice entered", username="alice")
    await admin_panel.post(f"/alerts/{first}/read")
    second = await raise_one(app, "big_tip", "tip")
    status, body = await admin_panel.get_json("/alerts.json")
    assert status == 200 and body["ok"] is True
    shown = [(a["id"], a["read"], a["link"]) for a in body["alerts"]]
    assert shown == [(second, False, None), (first, True, "/profile/alice")]
    assert body["newest_id"] == second and body["next_url"] is None
    status, body = await admin_panel.get_json("/alerts.json?unread=1")
    assert [a["id"] for a in body["alerts"]] == [second]
    status, body = await admin_panel.get_json("/alerts.json?before=x")
    assert status == 400


async def test_preferences_on_the_account_page(admin_panel: Panel) -> None:
    """Each kind per channel: unchecked = not wanted (stored), and the list hides it and says so."""
    app = admin_panel.app
    _, html = await admin_panel.get("/account")
    soup = BeautifulSoup(html, "html.parser")
    boxes = soup.select("[data-testid=alert-preferences] input[type=checkbox]")
    assert len(boxes) == 2 * len(alert_inbox.ALERT_KINDS) and all(b.has_attr("checked") for b in boxes)
    kinds = [k for k in alert_inbox.ALERT_KINDS if k != "fan_enters"]
    form = [("panel", k) for k in kinds] + [("desktop", "big_tip")]
    response = await admin_panel.post("/account/alerts", form)
    assert response.status == 303
    async with app[db_key].read() as conn:
        chosen = await alert_inbox.get_preferences(conn, 1)
    assert chosen[("panel", "fan_enters")] is False and chosen[("panel", "big_tip")] is True
    assert chosen[("desktop", "big_tip")] is True and chosen[("desktop", "unfollow")] is False
    _, html = await admin_panel.get("/account")
    soup = BeautifulSoup(html, "html.parser")
    row = soup.select_one("tr[data-kind=fan_enters]")
    assert row is not None and not row.select("input[name=panel]")[0].has_attr("checked")
    await raise_one(app, "fan_enters", "hidden one")
    shown = await raise_one(app, "big_tip", "shown one")
    _, html = await admin_panel.get("/alerts")
    assert [r[0] for r in _rows(html)] == [shown]
    assert "a fan enters the room" in html


async def test_preferences_refuse_unknown_kinds_and_change_nothing(admin_panel: Panel) -> None:
    response = await admin_panel.post("/account/alerts", [("panel", "big_tip"), ("panel", "world_peace")])
    assert response.status == 400
    text = await response.text()
    assert "unknown alert kind world_peace" in text
    response = await admin_panel.post("/account/alerts", [("panel", "big_tip"), ("colour", "red")])
    assert response.status == 400
    async with admin_panel.app[db_key].read() as conn:
        rows = await conn.execute_fetchall("SELECT count(*) FROM alert_preferences")
    assert next(iter(rows))[0] == 0


async def _next_alert(lines: Any) -> dict[str, Any]:
    """The next `event: alert` of a server-sent events stream (keepalives and retry lines skipped)."""
    event = ""
    async for raw in lines:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "alert":
            return dict(json.loads(line[6:]))
    raise AssertionError("the stream ended")


async def test_live_feed_sends_new_wanted_alerts_as_they_are_raised(admin_panel: Panel) -> None:
    """Woken by the hub after the commit; starts after `after`; unwanted kinds never sent; quiet flagged."""
    app = admin_panel.app
    before = await raise_one(app, title="already known")
    await admin_panel.post(
        "/account/alerts", [("panel", k) for k in alert_inbox.ALERT_KINDS if k != "unfollow"]
    )
    response = await admin_panel.client.get(f"/alerts/live?after={before}")
    assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
    lines = response.content.__aiter__()
    reader = asyncio.ensure_future(_next_alert(lines))
    await asyncio.sleep(0.1)
    assert not reader.done()
    await raise_one(app, "unfollow", "not for this user")
    started = asyncio.get_running_loop().time()
    alert = await raise_one(app, "fan_enters", "alice entered", body="whale", username="alice")
    got = await asyncio.wait_for(reader, 5)
    assert asyncio.get_running_loop().time() - started < 2  # the hub woke it, not the keepalive
    assert (got["id"], got["title"], got["body"], got["link"], got["quiet"]) == (
        alert, "alice entered", "whale", "/profile/alice", False)  # fmt: skip
    quiet = await raise_one(app, "big_tip", "at night", quiet=True)
    got = await asyncio.wait_for(_next_alert(lines), 5)
    assert (got["id"], got["quiet"]) == (quiet, True)
    response.close()


async def test_live_feed_resumes_from_last_event_id(admin_panel: Panel) -> None:
    app = admin_panel.app
    first = await raise_one(app, title="one")
    second = await raise_one(app, title="two")
    response = await admin_panel.client.get("/alerts/live?after=0", headers={"Last-Event-ID": str(first)})
    got = await asyncio.wait_for(_next_alert(response.content.__aiter__()), 5)
    assert got["id"] == second
    response.close()
    bad = await admin_panel.client.get("/alerts/live?after=-1")
    assert bad.status == 400
