"""Users › Followers, Following and Unfollowed paged by cursor: every row once, in order, with the total,
the filters and "Page N of M" kept, and the same pages as asking for a page by its number."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bs4 import BeautifulSoup

from service.clock import from_db, to_db, utcnow
from service.store import follows, persons
from service.store.follows import PeriodChange
from service.web.handlers.follows import ENDED_PAGE_SIZE, PAGE_SIZE
from service.web.keys import db_key
from tests.support.panel import Panel

FOLLOWERS = 260


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _followers(panel: Panel) -> None:
    """FOLLOWERS followers, most of them in groups that began at one moment (as a first complete list
    starts them all), a third of them models, a third viewers; one more follow is the broadcaster's
    (following)."""
    rng = random.Random(14)
    now = utcnow()
    names = [f"fan_{n:03d}" for n in range(FOLLOWERS)]
    async with panel.app[db_key].transaction() as conn:
        ids = await persons.ensure_persons(conn, [*names, "idol"])
        await persons.set_unknown_roles(conn, [ids[n] for n in names[::3]], "model")
        await persons.set_unknown_roles(conn, [ids[n] for n in names[1::3]], "viewer")
        moments = [to_db(now - timedelta(days=d)) for d in (1, 2, 2.5, 30)]
        for name in names:
            at = (
                rng.choice(moments) if rng.random() < 0.8 else to_db(now - timedelta(days=rng.uniform(0, 60)))
            )
            await follows.open_periods(conn, [PeriodChange(ids[name], at, None)], "follower", source="events")
        await follows.open_period(conn, ids["idol"], "following", at=to_db(now), source="manual", ref=None)


def _rows(html: str, testid: str) -> list[str]:
    return [
        str(tr["data-username"])
        for tr in soup(html).select(f'[data-testid="{testid}"] tbody tr[data-username]')
    ]


def _link(html: str, rel: str) -> str | None:
    found = soup(html).select_one(f'[data-testid="pager"] a[rel="{rel}"]')
    return str(found["href"]) if found else None


def _label(html: str) -> str:
    found = soup(html).select_one('[data-testid="pager"] span')
    return found.text if found else ""


async def _walk(panel: Panel, first: str, testid: str, rel: str = "next") -> list[tuple[str, list[str]]]:
    """(label, rows) of every page from `first` on, by the pages' own `rel` links."""
    pages: list[tuple[str, list[str]]] = []
    url: str | None = first
    while url is not None:
        status, html = await panel.get(url)
        assert status == 200, url
        pages.append((_label(html), _rows(html, testid)))
        url = _link(html, rel)
        assert len(pages) <= FOLLOWERS, "the links go round in circles"
    return pages


async def _expected(panel: Panel, role: str | None) -> list[str]:
    """The followers newest first, ties newest recorded first (as the index orders them)."""
    async with panel.app[db_key].read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT p.username FROM follow_periods f JOIN persons p ON p.id = f.person_id "
            "WHERE f.direction = 'follower' AND f.ended_at IS NULL AND (? IS NULL OR p.role = ?) "
            "ORDER BY f.started_at DESC, f.id DESC",
            (role, role),
        )
    return [row[0] for row in rows]


async def test_next_and_previous_walk_every_follower_once_in_order(admin_panel: Panel) -> None:
    """Next from the first page to the last, Previous back from there, and each page by its number,
    all show the same pages, for all followers and for Models and Viewers."""
    await _followers(admin_panel)
    for show, role in (("all", None), ("models", "model"), ("viewers", "viewer")):
        expected = await _expected(admin_panel, role)
        pages = -(-len(expected) // PAGE_SIZE)
        chunks = [expected[n : n + PAGE_SIZE] for n in range(0, len(expected), PAGE_SIZE)]
        labels = [f"Page {n} of {pages}" for n in range(1, pages + 1)]
        first = f"/users/followers?type={show}"
        _, html = await admin_panel.get(first)
        assert f"Followers ({len(expected)})" in " ".join(soup(html).select_one("h2:has(small)").text.split())  # type: ignore[union-attr]
        forward = await _walk(admin_panel, first, "followers")
        assert forward == list(zip(labels, chunks, strict=True)), show
        last = _link(html, "last")
        assert last is not None
        backward = await _walk(admin_panel, last, "followers", rel="prev")
        assert backward == forward[::-1], show
        for number in (2, pages):
            _, html = await admin_panel.get(f"{first}&page={number}")
            assert (_label(html), _rows(html, "followers")) == forward[number - 1]
        for url in [first] + [u for u in (_link(html, "prev"), _link(html, "first")) if u]:
            assert f"type={show}" in url


async def test_following_pages_the_same_way(admin_panel: Panel) -> None:
    """The Following tab shares the pager: one follow, one page, no links."""
    await _followers(admin_panel)
    _, html = await admin_panel.get("/users/following")
    assert _rows(html, "following") == ["idol"] and soup(html).select('[data-testid="pager"]') == []


async def test_json_twin_follows_next_url_through_the_list(admin_panel: Panel) -> None:
    """/users/followers.json: the page's rows, the total, and next_url to the next page (with its cursor)."""
    await _followers(admin_panel)
    seen: list[str] = []
    url: str | None = "/users/followers.json?type=models"
    while url:
        status, data = await admin_panel.get_json(url)
        assert status == 200 and data["total"] == FOLLOWERS // 3 + 1 and data["type"] == "models"
        seen += [f["username"] for f in data["follows"]]
        url = data["next_url"]
        if url:
            assert url.startswith("/users/followers.json?type=models&after=")
    assert seen == await _expected(admin_panel, "model")


async def test_a_cursor_that_is_not_one_is_a_400_sentence(admin_panel: Panel) -> None:
    """A hand-edited cursor gets a 400 that says what the parameter is; both directions at once too."""
    for query in ("after=yesterday", "before=2026-01-01T00:00:00.000Z,x",
                  "after=2026-01-01T00:00:00Z,99999999999999999999",
                  "after=2026-01-01T00:00:00Z,1&before=2026-01-01T00:00:00Z,2"):  # fmt: skip
        status, html = await admin_panel.get(f"/users/followers?{query}")
        assert status == 400, query
        assert "Previous and Next links" in html or "not both" in html


async def _ended(panel: Panel, count: int) -> list[dict[str, Any]]:
    """`count` ended follower periods over 200 days (several ending at one moment), each of a person
    who follows again since; returns each as the Unfollowed page should list it."""
    rng = random.Random(25)
    now = utcnow()
    names = [f"gone_{n:03d}" for n in range(count)]
    async with panel.app[db_key].transaction() as conn:
        ids = await persons.ensure_persons(conn, names)
        for n, name in enumerate(names):
            ended = now - timedelta(days=rng.choice((3, 10)) if n % 4 == 0 else rng.uniform(0.5, 200))
            started = ended - timedelta(days=rng.uniform(0, 90), milliseconds=rng.choice((0, 1, 999)))
            await follows.open_period(
                conn, ids[name], "follower", at=to_db(started), source="events", ref=None
            )
            await follows.close_period(
                conn, ids[name], "follower", at=to_db(ended), source="events", ref=None
            )
            await follows.open_period(conn, ids[name], "follower", at=to_db(now), source="events", ref=None)
        rows = await conn.execute_fetchall(
            "SELECT p.username, f.started_at, f.ended_at FROM follow_periods f "
            "JOIN persons p ON p.id = f.person_id WHERE f.ended_at IS NOT NULL "
            "ORDER BY f.ended_at DESC, f.id DESC"
        )
    return [
        {"username": r[0], "days": (from_db(r[2]) - from_db(r[1])).days, "ended": from_db(r[2])} for r in rows
    ]


async def test_unfollowed_pages_keep_the_insights_of_the_whole_range(admin_panel: Panel) -> None:
    """Every ended follow once across the pages, newest end first; the total and the average days
    followed are those of the whole range, not of the page."""
    ended = await _ended(admin_panel, 260)
    for period, days in (("all", None), ("30d", 30)):
        cutoff = utcnow() - timedelta(days=days) if days else None
        in_range = [e for e in ended if cutoff is None or e["ended"] >= cutoff]
        assert len(in_range) > ENDED_PAGE_SIZE or period == "30d"
        pages = await _walk(admin_panel, f"/users/unfollowed?who=them&range={period}", "unfollowed")
        assert [name for _label, rows in pages for name in rows] == [e["username"] for e in in_range]
        _, data = await admin_panel.get_json(f"/users/unfollowed.json?who=them&range={period}")
        insights = data["insights"]
        assert insights["total"] == len(in_range)
        assert insights["average_days"] == sum(e["days"] for e in in_range) / len(in_range)
        assert [u["username"] for u in data["unfollowed"]] == [e["username"] for e in in_range][
            :ENDED_PAGE_SIZE
        ]


async def test_unfollowed_insights_count_past_five_thousand(admin_panel: Panel) -> None:
    """The insights once came from the 5,000 newest rows the page loaded: 5,050 unfollows said 5000."""
    now = utcnow()
    names = [f"left_{n:04d}" for n in range(5_050)]
    async with admin_panel.app[db_key].transaction() as conn:
        ids = await persons.ensure_persons(conn, names)
        periods = [
            (ids[name], to_db(now - timedelta(days=20, minutes=n)), to_db(now - timedelta(days=1, minutes=n)))
            for n, name in enumerate(names)
        ]
        await conn.executemany(
            "INSERT INTO follow_periods (person_id, direction, started_at, start_source, ended_at, "
            "end_source) VALUES (?, 'follower', ?, 'events', ?, 'events')",
            periods,
        )
    status, data = await admin_panel.get_json("/users/unfollowed.json?who=them&range=all")
    assert status == 200
    assert data["insights"]["total"] == 5_050 and data["insights"]["average_days"] == 19
    assert data["pages"] == -(-5_050 // ENDED_PAGE_SIZE)
