"""Users › Directory: filters, sort, pages, search, tags, CSV and the lookup queue, on a real SQLite file."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup

from service.store import extension, lookup
from service.web.keys import db_key
from tests.support.panel import Panel, add_user
from tests.support.rows import add_person, ago


async def _people(panel: Panel) -> None:
    async with panel.app[db_key].transaction() as conn:
        await add_person(
            conn,
            "alice",
            role="model",
            age=24,
            age_source="affiliate",
            age_at=ago(minutes=3),
            followers=5000,
            followers_source="cbhours",
            followers_at=ago(minutes=3),
            rank=12,
            rank_source="cbhours",
            rank_at=ago(minutes=3),
            tags=["Asian", "teen"],
            last_seen_at=ago(minutes=1),
            snapshot_count=7,
            is_live=1,
            live_source="affiliate",
            live_at=ago(minutes=1),
            image_sha256="a" * 64,
            image_url="https://img.example/alice.jpg",
        )
        await add_person(conn, "bob", role="viewer", last_seen_at=ago(days=2), events_count=40)
        await add_person(
            conn,
            "carol",
            role="model",
            followers=300,
            rank=900,
            tags=["milf"],
            last_seen_at=ago(hours=5),
            priority=2,
            lookup_status="tracking",
        )
        await add_person(
            conn, "alina", role="model", followers=None, tags=["asian"], last_seen_at=ago(hours=1)
        )
        await add_person(conn, "dave", role="unknown")  # fmt: skip


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _names(html: str) -> list[str]:
    return [
        str(tr["data-username"])
        for tr in _soup(html).select("table[data-testid=directory] tbody tr[data-username]")
    ]


async def test_default_view_lists_everyone_by_last_seen(admin_panel: Panel) -> None:
    """All persons, most recently seen first, never-seen last; the Users tab bar stays."""
    await _people(admin_panel)
    status, html = await admin_panel.get("/users/directory")
    assert status == 200
    assert _names(html) == ["alice", "alina", "carol", "bob", "dave"]
    soup = _soup(html)
    assert [a.text for a in soup.select("nav.subnav a")] == [
        "Directory",
        "Fans",
        "Following",
        "Followers",
        "Unfollowed",
        "Lists",
    ]
    assert soup.select_one("[data-testid=total]").text == "5"  # type: ignore[union-attr]
    headers = [th.text.strip(" ▲▼") for th in soup.select("table[data-testid=directory] thead th")]
    assert headers == ["Username", "Image", "Age", "Role", "Tags", "Priority", "Followers", "Rank", "Events",
                       "Tokens", "Snapshots", "Last Seen", "Actions"]  # fmt: skip


async def test_values_say_their_source_and_image_falls_back(admin_panel: Panel) -> None:
    """Hovering a value names its source and age; the local image has the remote URL as fallback."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory")
    row = _soup(html).select_one("tr[data-username=alice]")
    assert row is not None
    titles = [span["title"] for span in row.select("span.sourced")]
    assert "from CBHours, 3 min ago" in titles and "from the Affiliate API, 3 min ago" in titles
    img = row.select_one("img")
    assert img is not None and img["src"] == "/images/" + "a" * 64
    assert img["data-fallback"] == "https://img.example/alice.jpg"
    assert _soup(html).select_one("script[src='/static/person-images.js']") is not None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=model", ["alice", "alina", "carol"]),
        ("role=viewer", ["bob"]),
        ("q=ali", ["alice", "alina"]),
        ("q=ALI&role=model", ["alice", "alina"]),
        ("tag=asian", ["alice", "alina"]),
        ("tag=MILF,nothing", ["carol"]),
        ("tag=asian&q=alin", ["alina"]),
        ("sort=followers&dir=desc", ["alice", "carol", "bob", "alina", "dave"]),
        ("sort=followers&dir=asc", ["carol", "alice", "bob", "alina", "dave"]),
        ("sort=rank", ["alice", "carol", "bob", "alina", "dave"]),
        ("sort=username&dir=asc", ["alice", "alina", "bob", "carol", "dave"]),
        ("sort=events&role=all", ["bob", "dave", "alina", "carol", "alice"]),  # ties: newest person first
        ("sort=priority", ["carol", "alice", "bob", "alina", "dave"]),
        # A bad page number is a 400 now (issue 8 item 10); the filters still fall back to defaults.
        ("sort=bogus&dir=sideways&role=robots", ["alice", "alina", "carol", "bob", "dave"]),
    ],
)
async def test_filters_and_sorts(admin_panel: Panel, query: str, expected: list[str]) -> None:
    """Role toggle, prefix search, tag filter (any tag, case-insensitive) and sorts; persons without a
    value for the sort column come after those with one, whatever the direction, in the order
    they became known."""
    await _people(admin_panel)
    status, html = await admin_panel.get(f"/users/directory?{query}")
    assert status == 200
    assert _names(html) == expected


async def test_sort_headers_and_toggle_keep_the_rest_of_the_url(admin_panel: Panel) -> None:
    """Filters and sort live in the URL: a header click flips direction and keeps the filters."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory?role=model&tag=asian&sort=followers&dir=desc")
    soup = _soup(html)
    link = soup.select_one("th[data-sort=followers] a")
    assert link is not None and link["href"] == "?role=model&tag=asian&sort=followers&dir=asc"
    assert soup.select_one("th[data-sort=followers]")["aria-sort"] == "descending"  # type: ignore[index]
    viewers = soup.select_one("[data-testid=role-toggle] a:-soup-contains('Viewers')")
    assert viewers is not None and viewers["href"] == "?role=viewer&tag=asian&sort=followers&dir=desc"


async def test_pagination(admin_panel: Panel) -> None:
    """120 persons: three pages of 50/50/20, valued rows first, then the rest, with no repeats."""
    async with admin_panel.app[db_key].transaction() as conn:
        for i in range(120):
            await add_person(conn, f"p{i:03d}", role="model", followers=i if i % 2 else None)
    seen: list[str] = []
    for page in (1, 2, 3):
        status, html = await admin_panel.get(f"/users/directory?sort=followers&dir=desc&page={page}")
        assert status == 200
        seen += _names(html)
        pager = _soup(html).select_one("[data-testid=pager]")
        assert pager is not None and f"Page {page} of 3" in pager.text
    assert len(seen) == 120 and len(set(seen)) == 120
    assert seen[0] == "p119" and seen[59] == "p001"  # 60 valued, highest first
    assert seen[60:] == sorted(seen[60:])  # then the 60 without a value, in the order they became known


async def test_unknown_name_offers_the_queue_and_queues_it(admin_panel: Panel) -> None:
    """Searching an unknown name offers P1/P2 with a note; posting it queues the person."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory?q=NewGirl")
    offer = _soup(html).select_one("[data-testid=unknown-person] form[data-testid=queue-add]")
    assert offer is not None
    assert {i["value"] for i in offer.select("input[name=priority]")} == {"1", "2"}
    response = await admin_panel.post("/users/directory/queue",
                                      {"username": "NewGirl", "priority": "2", "note": "friend of alice",
                                       "back": "/users/directory?q=newgirl"})  # fmt: skip
    assert response.status == 303
    assert response.headers["Location"] == "/users/directory?q=newgirl"
    async with admin_panel.app[db_key].read() as conn:
        queue = await lookup.list_queue(conn)
    assert [(e.username, e.priority, e.status, e.note, e.queued_by) for e in queue] == [
        ("newgirl", 2, "tracking", "friend of alice", "owner")
    ]
    _, html = await admin_panel.get("/users/directory?q=newgirl")
    assert _names(html) == ["newgirl"]
    assert _soup(html).select_one("[data-testid=unknown-person]") is None
    assert "Queued newgirl as P2" in html


async def test_row_actions_queue_a_refresh(admin_panel: Panel) -> None:
    """'Refresh now' posts a P1 lookup for that row's person and returns to the same view."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory?role=viewer")
    form = _soup(html).select_one("tr[data-username=bob] form:has(button:-soup-contains('Refresh now'))")
    assert form is not None
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"}
    response = await admin_panel.post(str(form["action"]), fields)  # type: ignore[arg-type]
    assert response.status == 303 and response.headers["Location"] == "/users/directory?role=viewer"
    async with admin_panel.app[db_key].read() as conn:
        entry = (await lookup.list_queue(conn))[0]
    assert (entry.username, entry.priority, entry.status) == ("bob", 1, "pending")
    scrape = _soup(html).select_one("tr[data-username=bob] button:-soup-contains('Scrape Profile')")
    assert (
        scrape is not None and scrape.has_attr("disabled") and scrape["title"] == "needs the Chrome extension"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "bad name!", "priority": "1"}, "not a valid username"),
        ({"username": "someone", "priority": "3"}, "priority"),
        ({"username": "someone", "priority": "one"}, "priority"),
        ({"username": "someone", "priority": "1", "note": "x" * 501}, "note"),
        ({"priority": "1"}, "username"),
        ({"username": "someone", "priority": "1", "extra": "x"}, "extra"),
    ],
)
async def test_queue_validation_errors_are_400(
    admin_panel: Panel, fields: dict[str, str], message: str
) -> None:
    """Invalid queue requests answer 400 naming the field, and queue nothing."""
    response = await admin_panel.post("/users/directory/queue", fields)
    assert response.status == 400
    assert message in (await response.text()).lower()  # the field, by its label ("Priority: …")
    async with admin_panel.app[db_key].read() as conn:
        assert await lookup.list_queue(conn) == []


async def test_external_back_link_is_ignored(admin_panel: Panel) -> None:
    """The return address must be one of our pages; anything else goes back to the search."""
    fields = {"username": "eve", "priority": "1", "back": "https://evil.example/"}
    response = await admin_panel.post("/users/directory/queue", fields)
    assert response.headers["Location"] == "/users/directory?q=eve"


async def test_viewer_sees_but_cannot_enqueue(panel: Panel) -> None:
    """A viewer gets the Directory without queue buttons, and a forged post is refused with 403."""
    await _people(panel)
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    status, html = await panel.get("/users/directory?q=stranger")
    assert status == 200
    assert _soup(html).select("form[action='/users/directory/queue']") == []
    assert "cannot queue lookups" in html
    response = await panel.post("/users/directory/queue", {"username": "stranger", "priority": "1"})
    assert response.status == 403
    async with panel.app[db_key].read() as conn:
        assert await lookup.list_queue(conn) == []


async def test_invalid_search_says_why(admin_panel: Panel) -> None:
    """A search that cannot be a username says so instead of offering to queue it."""
    status, html = await admin_panel.get("/users/directory?q=no+spaces")
    assert status == 200
    assert "cannot be a username" in html and _soup(html).select_one("[data-testid=unknown-person]") is None


async def test_csv_export_follows_the_filter(admin_panel: Panel) -> None:
    """The CSV holds every row of the current filter in the current order, not just one page."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory?role=model&sort=followers&dir=desc")
    link = _soup(html).select_one("a[data-testid=csv]")
    assert link is not None and link["href"] == "/users/directory.csv?role=model&sort=followers&dir=desc"
    response = await admin_panel.client.get(str(link["href"]))
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [r["username"] for r in rows] == ["alice", "carol", "alina"]
    assert rows[0]["followers"] == "5000" and rows[0]["tags"] == "Asian teen" and rows[0]["is_live"] == "1"


async def test_directory_needs_sign_in(panel: Panel) -> None:
    """Signed out, the Directory and its CSV redirect to the login page."""
    for path in ("/users/directory", "/users/directory.csv"):
        response = await panel.client.get(path, allow_redirects=False)
        assert response.status == 303


async def test_scrape_profile_needs_a_paired_extension_and_queues_a_task(admin_panel: Panel) -> None:
    """Disabled until an extension is paired; then the button queues one profile task (not two)."""
    await _people(admin_panel)
    async with admin_panel.app[db_key].transaction() as conn:
        await conn.execute(
            "INSERT INTO ext_clients (extension_id, token_hash, paired_at) VALUES ('abc', 'hash', ?)",
            (ago(),),
        )
    _, html = await admin_panel.get("/users/directory?role=viewer")
    form = _soup(html).select_one("tr[data-username=bob] form[action='/users/directory/scrape']")
    assert form is not None
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"}
    for _ in range(2):
        response = await admin_panel.post("/users/directory/scrape", fields)  # type: ignore[arg-type]
        assert response.status == 303 and response.headers["Location"] == "/users/directory?role=viewer"
    async with admin_panel.app[db_key].read() as conn:
        tasks = await extension.list_tasks(conn, kind="profile")
    assert [(t.username, t.state, t.requested_by) for t in tasks] == [("bob", "queued", "owner")]


async def test_viewer_cannot_scrape(panel: Panel) -> None:
    """Without scrape_profiles the button is not offered at all, and a forged post is 403."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    async with panel.app[db_key].transaction() as conn:
        await add_person(conn, "bob", role="viewer")
    _, html = await panel.get("/users/directory")
    assert _soup(html).select_one("tr[data-username=bob]") is not None
    assert _soup(html).select_one("tr[data-username=bob] button:-soup-contains('Scrape Profile')") is None
    response = await panel.post("/users/directory/scrape", {"username": "bob"})
    assert response.status == 403


async def test_csv_streams_every_page(admin_panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 50-row batches, 120 persons still come out once each, valued rows first."""
    from service.web.handlers import directory as handler

    monkeypatch.setattr(handler, "CSV_BATCH", 50)
    async with admin_panel.app[db_key].transaction() as conn:
        for i in range(120):
            await add_person(conn, f"p{i:03d}", role="model", followers=i if i % 2 else None)
    response = await admin_panel.client.get("/users/directory.csv?sort=followers&dir=desc")
    names = [r["username"] for r in csv.DictReader(io.StringIO(await response.text()))]
    assert len(names) == 120 and len(set(names)) == 120
    assert names[0] == "p119" and names[59] == "p001" and names[60] == "p000"


async def test_csv_neutralises_formulas(admin_panel: Panel) -> None:
    """Display names and tags that would start a spreadsheet formula come out as text."""
    async with admin_panel.app[db_key].transaction() as conn:
        await add_person(
            conn, "eve", role="model", display_name='=HYPERLINK("http://evil.example")', tags=["+cmd", "x"],
            age=30, followers=-1,
        )  # fmt: skip
    response = await admin_panel.client.get("/users/directory.csv")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert rows[0]["display_name"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["tags"] == "'+cmd x" and rows[0]["age"] == "30" and rows[0]["followers"] == "-1"


async def test_a_page_of_ascii_names_is_ascii(admin_panel: Panel) -> None:
    """The page's own dashes, dots and arrows are entities: a page whose data is ASCII is ASCII text,
    which Python encodes as a copy (one non-ASCII character makes it a 2-byte string, ~130 µs to
    encode at 100,000 persons); the reader still sees the characters."""
    await _people(admin_panel)
    _, html = await admin_panel.get("/users/directory?sort=followers&dir=desc")
    assert html.isascii()
    soup = _soup(html)
    bob = soup.select_one("tr[data-username=bob]")
    assert bob is not None
    assert [td.get_text(strip=True) for td in bob.select("td.num")][:2] == ["—", "—"]  # age, followers
    assert soup.select_one("th[aria-sort] a").get_text().endswith("▼")  # type: ignore[union-attr]
    assert "· MHC" in soup.title.get_text()  # type: ignore[union-attr]
