"""Relationship lists and notes through the panel: the profile's forms, Users › Lists, the JSON twins,
who may write (edit_fans; a note's author or an admin) and what a refusal leaves unchanged."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from bs4 import BeautifulSoup

from service.logs import SecretRegistry, configure_logging
from service.store import fan_lists, person_notes
from service.store.persons import ensure_persons
from service.web.keys import db_key
from service.web.render import create_environment
from tests.support.panel import Panel, add_user

FRIENDS, VIP, WATCHLIST, BANNED = 1, 2, 3, 4


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _person(app: web.Application, name: str = "alice") -> int:
    async with app[db_key].transaction() as conn:
        return (await ensure_persons(conn, [name]))[name]


async def _lists_of(app: web.Application, pid: int) -> list[str]:
    async with app[db_key].read() as conn:
        return [m.chip.name for m in await fan_lists.memberships(conn, pid)]


async def _notes_of(app: web.Application, pid: int) -> list[person_notes.Note]:
    async with app[db_key].read() as conn:
        return await person_notes.list_notes(conn, pid)


async def _sign_in_as(panel: Panel, name: str, role: str | None = None) -> Panel:
    """The same browser signs out and in as another account (created first when `role` is given)."""
    if role is not None:
        await add_user(panel.app, name, role)
    assert (await panel.post("/logout")).status == 303
    await panel.login(name)
    return panel


async def test_lists_are_added_and_removed_from_the_profile(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    for list_id in (VIP, BANNED):
        response = await admin_panel.post("/profile/alice/lists", {"list_id": str(list_id)})
        assert response.status == 303 and response.headers["Location"] == "/profile/alice#lists"
    assert await _lists_of(admin_panel.app, pid) == ["VIP", "Banned"]
    status, html = await admin_panel.get("/profile/alice")
    assert status == 200
    chips = _soup(html).select("[data-testid=person-lists] .chip")
    assert [c.get_text(strip=True).rstrip("×") for c in chips] == ["VIP", "Banned"]
    assert [("warning" in c["class"]) for c in chips] == [False, True]
    # The add form offers only the lists the person is not on yet.
    offered = [o.text for o in _soup(html).select("[data-testid=add-to-list] option")]
    assert offered == ["Friends", "Watchlist"]
    response = await admin_panel.post(f"/profile/alice/lists/{BANNED}/remove")
    assert response.status == 303
    assert await _lists_of(admin_panel.app, pid) == ["VIP"]
    response = await admin_panel.post(f"/profile/alice/lists/{BANNED}/remove")
    assert response.status == 404
    body = await admin_panel.client.get("/profile/alice.json")
    data = await body.json()
    assert [(x["name"], x["builtin"], x["added_by"]) for x in data["lists"]] == [("VIP", "vip", "owner")]


async def test_an_unknown_list_or_person_is_refused_with_a_sentence(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    response = await admin_panel.post("/profile/alice/lists", {"list_id": "999"})
    assert response.status == 400
    assert "That list does not exist (any more)." in await response.text()
    response = await admin_panel.post("/profile/nobody_here/lists", {"list_id": str(VIP)})
    assert response.status == 404
    assert "nobody_here is not known yet." in await response.text()
    response = await admin_panel.post("/profile/alice/lists", {"list_id": "VIP"})
    assert response.status == 400
    assert await _lists_of(admin_panel.app, pid) == []


async def test_a_viewer_reads_lists_and_notes_but_cannot_write(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    await admin_panel.post("/profile/alice/lists", {"list_id": str(FRIENDS)})
    await admin_panel.post("/profile/alice/notes", {"category": "tip_menu", "body": "Loves the 99 menu"})
    viewer = await _sign_in_as(admin_panel, "reader", "viewer")
    status, html = await viewer.get("/profile/alice")
    assert status == 200
    soup = _soup(html)
    assert [c.get_text(strip=True) for c in soup.select("[data-testid=person-lists] .chip")] == ["Friends"]
    assert [n.text for n in soup.select("[data-testid=note-body]")] == ["Loves the 99 menu"]
    assert soup.select("[data-testid=relations] form, [data-testid=notes] form") == []
    data = await (await viewer.client.get("/profile/alice.json")).json()
    assert [n["body"] for n in data["notes"]] == ["Loves the 99 menu"]
    [note] = await _notes_of(admin_panel.app, pid)
    for path, form in (
        ("/profile/alice/lists", {"list_id": str(VIP)}),
        (f"/profile/alice/lists/{FRIENDS}/remove", {}),
        ("/profile/alice/notes", {"category": "note", "body": "viewer's"}),
        (f"/profile/alice/notes/{note.id}/edit", {"category": "note", "body": "changed"}),
        (f"/profile/alice/notes/{note.id}/delete", {}),
        (f"/profile/alice/notes/{note.id}/pin", {}),
        ("/users/lists", {"name": "Mine"}),
    ):
        response = await viewer.post(path, form)
        assert response.status == 403, path
        assert "Your role does not include the &#39;edit_fans&#39; permission." in await response.text()
    assert await _lists_of(admin_panel.app, pid) == ["Friends"]
    assert [(n.body, n.pinned) for n in await _notes_of(admin_panel.app, pid)] == [
        ("Loves the 99 menu", False)
    ]
    _, page = await viewer.get("/users/lists")
    assert _soup(page).select("form[data-testid=create-list]") == []


async def test_notes_are_changed_only_by_their_author_or_an_admin(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await add_user(admin_panel.app, "sub2", "subscriber")
    sub = await _sign_in_as(admin_panel, "sub", "subscriber")
    await sub.get("/profile/alice")
    response = await sub.post(
        "/profile/alice/notes", {"category": "private_message", "body": "Asked for a PM"}
    )
    assert response.status == 303 and response.headers["Location"] == "/profile/alice#notes"
    [note] = await _notes_of(admin_panel.app, pid)
    assert (note.author, note.category, note.body) == ("sub", "private_message", "Asked for a PM")
    # Another subscriber sees it without controls, and a forged post is refused with a sentence.
    other = await _sign_in_as(admin_panel, "sub2")
    _, html = await other.get("/profile/alice")
    article = _soup(html).select_one(f"[data-note-id='{note.id}']")
    assert article is not None and article.select("form") == []
    for action in ("edit", "delete", "pin"):
        form = {"category": "note", "body": "x"} if action == "edit" else {}
        response = await other.post(f"/profile/alice/notes/{note.id}/{action}", form)
        assert response.status == 403
        assert "Only the note&#39;s author or an admin may change or delete it." in await response.text()
    assert await _notes_of(admin_panel.app, pid) == [note]
    # The author edits; the admin pins and deletes.
    sub = await _sign_in_as(admin_panel, "sub")
    _, html = await sub.get("/profile/alice")
    assert _soup(html).select_one(f"[data-note-id='{note.id}'] form[data-testid=edit-note]") is not None
    response = await sub.post(
        f"/profile/alice/notes/{note.id}/edit", {"category": "public_chat", "body": "Edited"}
    )
    assert response.status == 303
    [edited] = await _notes_of(admin_panel.app, pid)
    assert (edited.category, edited.body, edited.author) == ("public_chat", "Edited", "sub")
    assert edited.updated_at >= edited.created_at
    await _sign_in_as(admin_panel, "owner")
    await admin_panel.get("/profile/alice")
    assert (await admin_panel.post(f"/profile/alice/notes/{note.id}/pin")).status == 303
    assert (await _notes_of(admin_panel.app, pid))[0].pinned
    assert (await admin_panel.post(f"/profile/alice/notes/{note.id}/delete")).status == 303
    assert await _notes_of(admin_panel.app, pid) == []


async def test_pinned_first_then_newest_and_pinning_another_unpins(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    await admin_panel.post("/profile/alice/notes", {"category": "note", "body": "one", "pinned": "1"})
    await admin_panel.post("/profile/alice/notes", {"category": "other", "body": "two"})
    await admin_panel.post("/profile/alice/notes", {"category": "tip_menu", "body": "three"})
    _, html = await admin_panel.get("/profile/alice")
    bodies = [n.text for n in _soup(html).select("[data-testid=note-body]")]
    assert bodies == ["one", "three", "two"]
    two = next(n for n in await _notes_of(admin_panel.app, pid) if n.body == "two")
    assert (await admin_panel.post(f"/profile/alice/notes/{two.id}/pin")).status == 303
    assert [(n.body, n.pinned) for n in await _notes_of(admin_panel.app, pid)] == [
        ("two", True), ("three", False), ("one", False)
    ]  # fmt: skip
    _, html = await admin_panel.get("/profile/alice")
    pinned = _soup(html).select("[data-testid=note] [data-testid=pinned]")
    assert len(pinned) == 1
    assert (await admin_panel.post(f"/profile/alice/notes/{two.id}/unpin")).status == 303
    assert not any(n.pinned for n in await _notes_of(admin_panel.app, pid))


@pytest.mark.parametrize(
    ("form", "sentence"),
    [
        ({"category": "note", "body": "   "}, "The note must not be empty."),
        ({"category": "note", "body": "x" * 10_001}, "The note must have at most 10000 characters."),
        ({"category": "gossip", "body": "hello"}, "The category:"),
        ({"body": "hello"}, "The category is required."),
        ({"category": "note", "body": "hello", "author_id": "1"}, "“author_id” is not part of this form."),
    ],
)
async def test_a_bad_note_is_refused_with_a_sentence_and_nothing_stored(
    admin_panel: Panel, form: dict[str, str], sentence: str
) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    response = await admin_panel.post("/profile/alice/notes", form)
    assert response.status == 400
    assert sentence in await response.text()
    assert await _notes_of(admin_panel.app, pid) == []


async def test_a_ten_thousand_character_note_with_browser_line_breaks_fits(admin_panel: Panel) -> None:
    """A textarea sends CRLF; each line break counts as one character of the 10,000."""
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    body = ("a" * 99 + "\r\n") * 100  # 10,000 characters sent as CRLF, 9,901 once stripped
    response = await admin_panel.post("/profile/alice/notes", {"category": "note", "body": body})
    assert response.status == 303
    [note] = await _notes_of(admin_panel.app, pid)
    assert "\r" not in note.body and len(note.body) == 9_999


async def test_users_lists_page_creates_renames_and_deletes_custom_lists(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    status, html = await admin_panel.get("/users/lists")
    assert status == 200
    soup = _soup(html)
    assert soup.select_one("nav.subnav a.active").text == "Lists"  # type: ignore[union-attr]
    assert [s["data-list"] for s in soup.select("section[data-list]")] == [
        "friends",
        "vip",
        "watchlist",
        "banned",
    ]
    assert soup.select("section[data-list] form[data-testid=delete]") == []  # built-ins cannot go
    response = await admin_panel.post("/users/lists", {"name": "  Birthday club "})
    assert response.status == 303 and response.headers["Location"] == "/users/lists"
    response = await admin_panel.post("/users/lists", {"name": "birthday CLUB"})
    assert response.status == 409
    assert "A list named “birthday CLUB” exists already." in await response.text()
    response = await admin_panel.post("/users/lists", {"name": "x" * 41})
    assert response.status == 400
    assert "The list&#39;s name must have at most 40 characters." in await response.text()
    async with admin_panel.app[db_key].read() as conn:
        custom = [x for x in await fan_lists.list_lists(conn) if not x.is_builtin]
    assert [x.name for x in custom] == ["Birthday club"]
    list_id = custom[0].id
    await admin_panel.post("/profile/alice/lists", {"list_id": str(list_id)})
    _, html = await admin_panel.get("/users/lists")
    section = _soup(html).select_one(f"section[data-list='{list_id}']")
    assert section is not None
    assert section.select_one("[data-testid=member-count]").text == "1 person"  # type: ignore[union-attr]
    assert [a.text for a in section.select("[data-testid=members] a")] == ["alice"]
    assert (await admin_panel.post(f"/users/lists/{list_id}/rename", {"name": "Birthdays"})).status == 303
    data = await (await admin_panel.client.get("/users/lists.json")).json()
    assert [(x["name"], x["member_count"]) for x in data["lists"]][-1] == ("Birthdays", 1)
    assert data["lists"][-1]["members"][0]["username"] == "alice"
    response = await admin_panel.post(f"/users/lists/{BANNED}/delete")
    assert response.status == 403 and "built-in list: it cannot be deleted." in await response.text()
    response = await admin_panel.post(f"/users/lists/{VIP}/rename", {"name": "Whales"})
    assert response.status == 403 and "built-in list: it cannot be renamed." in await response.text()
    assert (await admin_panel.post(f"/users/lists/{list_id}/delete")).status == 303
    assert await _lists_of(admin_panel.app, pid) == []
    assert (await admin_panel.post(f"/users/lists/{list_id}/delete")).status == 404


async def test_a_post_without_the_csrf_token_changes_nothing(admin_panel: Panel) -> None:
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    response = await admin_panel.post("/profile/alice/notes", {"category": "note", "body": "x"}, csrf=False)
    assert response.status == 403
    response = await admin_panel.post("/profile/alice/lists", {"list_id": str(VIP)}, csrf=False)
    assert response.status == 403
    assert await _notes_of(admin_panel.app, pid) == [] and await _lists_of(admin_panel.app, pid) == []


async def test_note_text_never_reaches_the_log(admin_panel: Panel) -> None:
    """Even at MHC_LOG_LEVEL=DEBUG (aiosqlite would log every statement's parameters)."""
    pid = await _person(admin_panel.app)
    await admin_panel.get("/profile/alice")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aiosqlite").level)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    configure_logging("DEBUG", SecretRegistry())
    root.addHandler(Keep())
    try:
        secret = "Her real name is Zanzibar Quux"
        await admin_panel.post("/profile/alice/notes", {"category": "note", "body": secret})
        [note] = await _notes_of(admin_panel.app, pid)
        await admin_panel.post(
            f"/profile/alice/notes/{note.id}/edit", {"category": "note", "body": secret + "!"}
        )
        await admin_panel.post("/profile/alice/notes", {"category": "note", "body": secret + "x" * 10_001})
        await admin_panel.get("/profile/alice")
        await admin_panel.get("/profile/alice.json")
        logging.getLogger("service").debug("debug logging is on")
        await admin_panel.post(f"/profile/alice/notes/{note.id}/delete")
    finally:
        root.handlers[:], _, _ = saved
        root.setLevel(saved[1])
        logging.getLogger("aiosqlite").setLevel(saved[2])
    assert any("debug logging is on" in line for line in lines)
    assert not any("Zanzibar" in line for line in lines)


async def test_the_marks_macro_renders_chips_for_a_page_of_names(admin_panel: Panel) -> None:
    """marks_for + _fan_marks.html: list chips (Banned as a warning), a note chip carrying the pinned
    note (escaped), and nothing at all for a person on no list."""
    app = admin_panel.app
    alice, bob = await _person(app, "alice"), await _person(app, "bob")
    await admin_panel.get("/profile/alice")
    for list_id in (BANNED, FRIENDS):
        await admin_panel.post("/profile/alice/lists", {"list_id": str(list_id)})
    await admin_panel.post(
        "/profile/alice/notes", {"category": "note", "body": "<b>big</b> tipper", "pinned": "1"}
    )
    async with app[db_key].read() as conn:
        marks = await fan_lists.marks_for(conn, [alice, bob])
    template = create_environment().from_string(
        '{% from "_fan_marks.html" import marks %}'
        "<p id=a>{{ marks(m.get(a)) }}</p><p id=b>{{ marks(m.get(b)) }}</p><p id=c>{{ marks(m.get(0)) }}</p>"
    )
    soup = _soup(template.render(m=marks, a=alice, b=bob))
    chips = soup.select("#a .chip")
    assert [(c.text, "warning" in c["class"]) for c in chips] == [
        ("Friends", False), ("Banned", True), ("note", False)
    ]  # fmt: skip
    assert chips[-1]["title"] == "Pinned note: <b>big</b> tipper"  # an attribute value, escaped in the HTML
    assert soup.select_one("#b").decode_contents() == ""  # type: ignore[union-attr]
    assert soup.select_one("#c").decode_contents() == ""  # type: ignore[union-attr]
