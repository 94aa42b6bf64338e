"""Relationship lists the broadcaster curates: the built-in Friends, VIP, Watchlist and Banned, and
custom lists; a person may be on several. `marks_for` reads what any page shows beside a name (the
lists and the pinned note) for a whole page of people in one query."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from service.clock import from_db, now_db
from service.store.db import Connection, fetch_all

MAX_NAME_LENGTH = 40
# Members shown per list on the lists page; the count is always the full one.
MEMBERS_SHOWN = 200


class ListNameTaken(Exception):
    """Another list already has this name (names are compared ignoring case)."""


@dataclass(frozen=True, slots=True)
class FanList:
    id: int
    name: str
    builtin: str | None  # 'friends', 'vip', 'watchlist', 'banned'; None for a custom list
    created_at: datetime
    member_count: int = 0

    @property
    def is_builtin(self) -> bool:
        return self.builtin is not None

    @property
    def is_warning(self) -> bool:
        return self.builtin == "banned"


@dataclass(frozen=True, slots=True)
class ListChip:
    """A list as a chip beside a name."""

    id: int
    name: str
    builtin: str | None

    @property
    def is_warning(self) -> bool:
        return self.builtin == "banned"


@dataclass(frozen=True, slots=True)
class PersonMarks:
    """What a page shows beside a person's name: their lists and the pinned note's text."""

    lists: tuple[ListChip, ...] = ()
    pinned_note: str | None = None

    @property
    def empty(self) -> bool:
        return not self.lists and self.pinned_note is None


@dataclass(frozen=True, slots=True)
class Member:
    person_id: int
    username: str
    added_at: datetime
    added_by: str | None  # the panel account that added them; None once that account is deleted


@dataclass(frozen=True, slots=True)
class ListWithMembers:
    fan_list: FanList
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Membership:
    """One of a person's lists, as their profile shows it."""

    chip: ListChip
    added_at: datetime
    added_by: str | None


async def list_lists(conn: Connection) -> list[FanList]:
    """Every list with its member count: the built-in ones first (in their fixed order), then custom
    lists by name."""
    async with conn.execute(
        "SELECT l.id, l.name, l.builtin, l.created_at, "
        "(SELECT count(*) FROM fan_list_members m WHERE m.list_id = l.id) AS members "
        "FROM fan_lists l ORDER BY l.builtin IS NULL, CASE WHEN l.builtin IS NULL THEN l.name END, l.id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        FanList(row["id"], row["name"], row["builtin"], from_db(row["created_at"]), row["members"])
        for row in rows
    ]


async def get_list(conn: Connection, list_id: int) -> FanList | None:
    async with conn.execute(
        "SELECT l.id, l.name, l.builtin, l.created_at, "
        "(SELECT count(*) FROM fan_list_members m WHERE m.list_id = l.id) AS members "
        "FROM fan_lists l WHERE l.id = :id",
        {"id": list_id},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return FanList(row["id"], row["name"], row["builtin"], from_db(row["created_at"]), row["members"])


async def lists_with_members(conn: Connection, *, shown: int = MEMBERS_SHOWN) -> list[ListWithMembers]:
    """Every list with its newest `shown` members (the count on the list is the full one)."""
    lists = await list_lists(conn)
    async with conn.execute(
        "SELECT list_id, person_id, username, added_at, added_by FROM ("
        " SELECT m.list_id, m.person_id, p.username, m.added_at, u.username AS added_by, "
        " row_number() OVER (PARTITION BY m.list_id ORDER BY m.added_at DESC, p.username) AS n "
        " FROM fan_list_members m JOIN persons p ON p.id = m.person_id "
        " LEFT JOIN system_users u ON u.id = m.added_by"
        ") WHERE n <= :shown ORDER BY list_id, n",
        {"shown": shown},
    ) as cursor:
        rows = await cursor.fetchall()
    members: dict[int, list[Member]] = {}
    for row in rows:
        members.setdefault(row["list_id"], []).append(
            Member(row["person_id"], row["username"], from_db(row["added_at"]), row["added_by"])
        )
    return [ListWithMembers(item, members.get(item.id, [])) for item in lists]


async def create_list(conn: Connection, name: str) -> int:
    """A new custom list; ListNameTaken if a list of that name (ignoring case) exists."""
    try:
        cursor = await conn.execute(
            "INSERT INTO fan_lists (name, builtin, created_at) VALUES (:name, NULL, :now)",
            {"name": name, "now": now_db()},
        )
    except sqlite3.IntegrityError as exc:
        raise ListNameTaken(name) from exc
    return int(cursor.lastrowid or 0)


async def rename_list(conn: Connection, list_id: int, name: str) -> bool:
    """Rename a custom list; False when there is no such custom list (built-in lists keep their name)."""
    try:
        cursor = await conn.execute(
            "UPDATE fan_lists SET name = :name WHERE id = :id AND builtin IS NULL",
            {"name": name, "id": list_id},
        )
    except sqlite3.IntegrityError as exc:
        raise ListNameTaken(name) from exc
    return cursor.rowcount == 1


async def delete_list(conn: Connection, list_id: int) -> bool:
    """Delete a custom list and its memberships; False when there is no such custom list."""
    cursor = await conn.execute(
        "DELETE FROM fan_lists WHERE id = :id AND builtin IS NULL",
        {"id": list_id},
    )
    return cursor.rowcount == 1


async def add_member(conn: Connection, list_id: int, person_id: int, *, added_by: int) -> bool:
    """Put a person on a list; False if they were already on it (who added them first stays)."""
    cursor = await conn.execute(
        "INSERT INTO fan_list_members (list_id, person_id, added_at, added_by) "
        "VALUES (:list, :person, :now, :by) ON CONFLICT (list_id, person_id) DO NOTHING",
        {"list": list_id, "person": person_id, "now": now_db(), "by": added_by},
    )
    return cursor.rowcount == 1


async def remove_member(conn: Connection, list_id: int, person_id: int) -> bool:
    cursor = await conn.execute(
        "DELETE FROM fan_list_members WHERE list_id = :list AND person_id = :person",
        {"list": list_id, "person": person_id},
    )
    return cursor.rowcount == 1


async def memberships(conn: Connection, person_id: int) -> list[Membership]:
    """The person's lists, in the lists' own order, with who added them and when."""
    async with conn.execute(
        "SELECT l.id, l.name, l.builtin, m.added_at, u.username AS added_by "
        "FROM fan_list_members m JOIN fan_lists l ON l.id = m.list_id "
        "LEFT JOIN system_users u ON u.id = m.added_by "
        "WHERE m.person_id = :person "
        "ORDER BY l.builtin IS NULL, CASE WHEN l.builtin IS NULL THEN l.name END, l.id",
        {"person": person_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Membership(
            ListChip(row["id"], row["name"], row["builtin"]), from_db(row["added_at"]), row["added_by"]
        )
        for row in rows
    ]


async def marks_for(conn: Connection, person_ids: Iterable[int]) -> dict[int, PersonMarks]:
    """Each asked-for person's lists and pinned note text, in ONE query (a page of names at once).

    Every id asked for has an entry; a person on no list and without a pinned note has an empty one.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        conn,
        "WITH asked (person_id) AS (SELECT DISTINCT value FROM json_each(:ids)) "
        "SELECT a.person_id, l.id AS list_id, l.name, l.builtin, NULL AS note, "
        " l.builtin IS NULL AS custom, CASE WHEN l.builtin IS NULL THEN l.name END AS custom_name "
        "FROM asked a JOIN fan_list_members m ON m.person_id = a.person_id "
        "JOIN fan_lists l ON l.id = m.list_id "
        "UNION ALL "
        "SELECT a.person_id, NULL, NULL, NULL, n.body, 2, NULL "
        "FROM asked a JOIN person_notes n ON n.person_id = a.person_id AND n.pinned = 1 "
        "ORDER BY 1, 6, 7, 2",
        {"ids": json.dumps(ids)},
    )
    chips: dict[int, list[ListChip]] = {pid: [] for pid in ids}
    notes: dict[int, str] = {}
    for row in rows:
        if row["list_id"] is None:
            notes[row["person_id"]] = row["note"]
        else:
            chips[row["person_id"]].append(ListChip(row["list_id"], row["name"], row["builtin"]))
    return {pid: PersonMarks(tuple(chips[pid]), notes.get(pid)) for pid in ids}
