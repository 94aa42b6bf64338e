"""Relationship lists and notes over a real SQLite file: built-in lists, custom lists, memberships,
the one-query marks of a page of names, notes with one pinned per person, and the edit_fans
permission reaching a database made before it existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from service.permissions import Permission
from service.store import fan_lists, person_notes, system_users
from service.store.db import Database, migration_files, open_database
from service.store.persons import ensure_persons


async def _people(db: Database, *names: str) -> dict[str, int]:
    async with db.transaction() as conn:
        return await ensure_persons(conn, list(names))


async def _author(db: Database, name: str = "owner", role: str = "admin") -> int:
    async with db.transaction() as conn:
        await system_users.sync_roles_and_permissions(conn)
        return await system_users.insert_user(conn, username=name, password_hash="x", roles=[role])


async def test_the_four_built_in_lists_exist_in_a_fresh_database(db: Database) -> None:
    async with db.read() as conn:
        lists = await fan_lists.list_lists(conn)
    assert [(x.name, x.builtin) for x in lists] == [
        ("Friends", "friends"),
        ("VIP", "vip"),
        ("Watchlist", "watchlist"),
        ("Banned", "banned"),
    ]
    assert [x.is_warning for x in lists] == [False, False, False, True]


async def test_the_built_in_lists_also_exist_after_the_migrations(tmp_path: Path) -> None:
    """An existing database that runs 0013 gets the same four lists as a fresh one."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, script in migration_files():
            if number <= 12:
                conn.executescript(script.read_text())
                conn.execute(f"PRAGMA user_version = {number}")
    async with open_database(path) as db, db.read() as conn:
        assert [x.name for x in await fan_lists.list_lists(conn)] == ["Friends", "VIP", "Watchlist", "Banned"]


async def test_custom_lists_are_created_renamed_and_deleted_built_in_ones_are_not(db: Database) -> None:
    async with db.transaction() as conn:
        zeta = await fan_lists.create_list(conn, "Zeta club")
        alpha = await fan_lists.create_list(conn, "alpha")
        with pytest.raises(fan_lists.ListNameTaken):
            await fan_lists.create_list(conn, "ALPHA")
        with pytest.raises(fan_lists.ListNameTaken):
            await fan_lists.rename_list(conn, zeta, "vip")
        assert await fan_lists.rename_list(conn, zeta, "Beta")
        assert not await fan_lists.rename_list(conn, 1, "Mates")  # Friends is built in
        assert not await fan_lists.delete_list(conn, 4)  # Banned is built in
        assert await fan_lists.delete_list(conn, alpha)
    async with db.read() as conn:
        names = [x.name for x in await fan_lists.list_lists(conn)]
    assert names == ["Friends", "VIP", "Watchlist", "Banned", "Beta"]


async def test_a_person_on_several_lists_and_deleting_a_list_drops_its_memberships(db: Database) -> None:
    ids = await _people(db, "alice", "bob")
    owner = await _author(db)
    async with db.transaction() as conn:
        custom = await fan_lists.create_list(conn, "Regulars")
        assert await fan_lists.add_member(conn, 2, ids["alice"], added_by=owner)
        assert await fan_lists.add_member(conn, custom, ids["alice"], added_by=owner)
        assert not await fan_lists.add_member(conn, 2, ids["alice"], added_by=owner)  # already on VIP
        assert await fan_lists.add_member(conn, custom, ids["bob"], added_by=owner)
    async with db.read() as conn:
        mine = await fan_lists.memberships(conn, ids["alice"])
        counts = {x.name: x.member_count for x in await fan_lists.list_lists(conn)}
    assert [(m.chip.name, m.added_by) for m in mine] == [("VIP", "owner"), ("Regulars", "owner")]
    assert counts["Regulars"] == 2 and counts["VIP"] == 1 and counts["Friends"] == 0
    async with db.transaction() as conn:
        assert await fan_lists.remove_member(conn, 2, ids["alice"])
        assert await fan_lists.delete_list(conn, custom)
    async with db.read() as conn:
        assert await fan_lists.memberships(conn, ids["alice"]) == []
        assert await fan_lists.memberships(conn, ids["bob"]) == []


async def test_marks_for_a_page_of_names_is_one_query(db: Database) -> None:
    """Lists in the lists' order and the pinned note, for every asked id, read by one statement."""
    ids = await _people(db, "alice", "bob", "carol")
    owner = await _author(db)
    async with db.transaction() as conn:
        custom = await fan_lists.create_list(conn, "Aardvarks")
        for list_id in (custom, 4, 1):
            await fan_lists.add_member(conn, list_id, ids["alice"], added_by=owner)
        await fan_lists.add_member(conn, 3, ids["bob"], added_by=owner)
        await person_notes.insert_note(
            conn, ids["bob"], category="note", body="Likes the blue outfit", author_id=owner, pinned=True
        )
        await person_notes.insert_note(conn, ids["bob"], category="other", body="unpinned", author_id=owner)
    statements: list[str] = []
    async with db.read() as conn:
        await conn.set_trace_callback(statements.append)
        marks = await fan_lists.marks_for(conn, [ids["alice"], ids["bob"], ids["carol"], ids["alice"]])
        await conn.set_trace_callback(None)  # type: ignore[arg-type]
    assert len(statements) == 1
    alice, bob, carol = marks[ids["alice"]], marks[ids["bob"]], marks[ids["carol"]]
    assert [c.name for c in alice.lists] == ["Friends", "Banned", "Aardvarks"]
    assert [c.is_warning for c in alice.lists] == [False, True, False]
    assert alice.pinned_note is None
    assert [c.name for c in bob.lists] == ["Watchlist"] and bob.pinned_note == "Likes the blue outfit"
    assert carol.empty
    async with db.read() as conn:
        assert await fan_lists.marks_for(conn, []) == {}


async def test_pinning_a_note_unpins_the_previous_one(db: Database) -> None:
    ids = await _people(db, "alice", "bob")
    owner = await _author(db)
    async with db.transaction() as conn:
        first = await person_notes.insert_note(
            conn, ids["alice"], category="note", body="first", author_id=owner, pinned=True
        )
        second = await person_notes.insert_note(
            conn, ids["alice"], category="tip_menu", body="second", author_id=owner
        )
        other = await person_notes.insert_note(
            conn, ids["bob"], category="note", body="bob's", author_id=owner, pinned=True
        )
        assert await person_notes.pin_note(conn, ids["alice"], second)
    async with db.read() as conn:
        notes = await person_notes.list_notes(conn, ids["alice"])
        assert [(n.id, n.pinned) for n in notes] == [(second, True), (first, False)]
        assert (await person_notes.get_note(conn, ids["bob"], other)).pinned  # type: ignore[union-attr]
        assert await person_notes.get_note(conn, ids["bob"], first) is None  # not bob's note
    async with db.transaction() as conn:
        # The database itself refuses a second pinned note for one person.
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("UPDATE person_notes SET pinned = 1 WHERE id = :id", {"id": first})


async def test_latest_notes_are_newest_first_without_the_pinned_one(db: Database) -> None:
    ids = await _people(db, "alice")
    owner = await _author(db)
    made = []
    async with db.transaction() as conn:
        for n in range(4):
            made.append(
                await person_notes.insert_note(
                    conn, ids["alice"], category="note", body=f"n{n}", author_id=owner, pinned=n == 3
                )
            )
    async with db.read() as conn:
        latest = await person_notes.latest_notes(conn, ids["alice"], 2)
        with_pinned = await person_notes.latest_notes(conn, ids["alice"], 2, include_pinned=True)
    assert [n.body for n in latest] == ["n2", "n1"]
    assert [n.body for n in with_pinned] == ["n3", "n2"]


async def test_note_body_limits_hold_in_the_database(db: Database) -> None:
    ids = await _people(db, "alice")
    owner = await _author(db)
    async with db.transaction() as conn:
        await person_notes.insert_note(
            conn, ids["alice"], category="note", body="x" * 10_000, author_id=owner
        )
    for body in ("", "x" * 10_001):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await person_notes.insert_note(
                    conn, ids["alice"], category="note", body=body, author_id=owner
                )


async def test_an_existing_databases_subscriber_role_gains_edit_fans(tmp_path: Path) -> None:
    """A database whose roles were created before edit_fans existed: the upgrade grants it to admin and
    subscriber, never to viewer."""
    path = tmp_path / "old.sqlite3"
    old = {"view_users", "manage_users", "view_stats", "manage_jobs", "manage_priorities", "scrape_profiles"}
    grants = {
        "admin": old,
        "subscriber": {"view_users", "view_stats", "manage_priorities", "scrape_profiles"},
        "viewer": {"view_users", "view_stats"},
    }
    with sqlite3.connect(path) as conn:
        for number, script in migration_files():
            if number <= 12:
                conn.executescript(script.read_text())
                conn.execute(f"PRAGMA user_version = {number}")
        conn.executemany("INSERT INTO system_permissions (name) VALUES (?)", [(p,) for p in sorted(old)])
        for role, permissions in grants.items():
            conn.execute("INSERT INTO system_roles (name) VALUES (?)", (role,))
            conn.executemany(
                "INSERT INTO system_role_permissions (role_id, permission_id) SELECT r.id, p.id "
                "FROM system_roles r, system_permissions p WHERE r.name = ? AND p.name = ?",
                [(role, p) for p in permissions],
            )
    async with open_database(path) as db:
        async with db.transaction() as conn:
            await system_users.sync_roles_and_permissions(conn)  # what every start does
            users = {
                role: await system_users.insert_user(conn, username=role, password_hash="x", roles=[role])
                for role in grants
            }
        async with db.read() as conn:
            held = {role: (await system_users.get_user(conn, uid)).permissions for role, uid in users.items()}  # type: ignore[union-attr]
    assert Permission.EDIT_FANS in held["admin"]
    assert Permission.EDIT_FANS in held["subscriber"]
    assert Permission.EDIT_FANS not in held["viewer"]
    assert Permission.SCRAPE_PROFILES in held["subscriber"]  # nothing else changed


async def test_deleting_a_panel_account_keeps_its_notes_and_memberships(db: Database) -> None:
    """The person's notes and lists outlive the account that wrote them; only the name goes."""
    ids = await _people(db, "alice")
    owner = await _author(db)
    helper = await _author(db, "helper", "subscriber")
    async with db.transaction() as conn:
        await person_notes.insert_note(conn, ids["alice"], category="note", body="kept", author_id=helper)
        await fan_lists.add_member(conn, 1, ids["alice"], added_by=helper)
        await system_users.delete_user(conn, helper)
    async with db.read() as conn:
        [note] = await person_notes.list_notes(conn, ids["alice"])
        [member] = await fan_lists.memberships(conn, ids["alice"])
    assert (note.body, note.author_id, note.author) == ("kept", None, None)
    assert (member.chip.name, member.added_by) == ("Friends", None)
    assert owner != helper
