"""Notes about a person: free text with a category, its author and times; at most one pinned.

Notes are private data: they are exported only when asked for and never written to a log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from service.clock import from_db, now_db
from service.store.db import Connection

MAX_BODY_LENGTH = 10_000
CATEGORIES: dict[str, str] = {
    "note": "Note",
    "private_message": "Private message",
    "public_chat": "Public chat",
    "tip_menu": "Tip menu",
    "other": "Other",
}


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    person_id: int
    category: str
    body: str
    author_id: int | None  # None once the author's panel account is deleted
    author: str | None
    pinned: bool
    created_at: datetime
    updated_at: datetime

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at


_SELECT = (
    "SELECT n.id, n.person_id, n.category, n.body, n.author_id, u.username AS author, n.pinned, "
    "n.created_at, n.updated_at FROM person_notes n LEFT JOIN system_users u ON u.id = n.author_id "
)


def _note(row: aiosqlite.Row) -> Note:
    return Note(
        id=row["id"],
        person_id=row["person_id"],
        category=row["category"],
        body=row["body"],
        author_id=row["author_id"],
        author=row["author"],
        pinned=bool(row["pinned"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


async def list_notes(conn: Connection, person_id: int) -> list[Note]:
    """All of a person's notes: the pinned one first, then newest first."""
    async with conn.execute(
        _SELECT + "WHERE n.person_id = :person ORDER BY n.pinned DESC, n.created_at DESC, n.id DESC",
        {"person": person_id},
    ) as cursor:
        return [_note(row) for row in await cursor.fetchall()]


async def latest_notes(
    conn: Connection, person_id: int, limit: int, *, include_pinned: bool = False
) -> list[Note]:
    """The person's newest `limit` notes, newest first. The pinned note is left out unless asked for
    (the fan card shows it from `fan_lists.marks_for`, then these)."""
    async with conn.execute(
        _SELECT + "WHERE n.person_id = :person AND (:pinned OR n.pinned = 0) "
        "ORDER BY n.created_at DESC, n.id DESC LIMIT :limit",
        {"person": person_id, "pinned": include_pinned, "limit": limit},
    ) as cursor:
        return [_note(row) for row in await cursor.fetchall()]


async def get_note(conn: Connection, person_id: int, note_id: int) -> Note | None:
    """The note, if it is this person's."""
    async with conn.execute(
        _SELECT + "WHERE n.id = :id AND n.person_id = :person",
        {"id": note_id, "person": person_id},
    ) as cursor:
        row = await cursor.fetchone()
    return _note(row) if row else None


async def insert_note(
    conn: Connection, person_id: int, *, category: str, body: str, author_id: int, pinned: bool = False
) -> int:
    """Add a note; a pinned one unpins the person's previous pinned note (call in one transaction)."""
    if pinned:
        await _unpin_all(conn, person_id)
    now = now_db()
    cursor = await conn.execute(
        "INSERT INTO person_notes (person_id, category, body, author_id, pinned, created_at, updated_at) "
        "VALUES (:person, :category, :body, :author, :pinned, :now, :now)",
        {"person": person_id, "category": category, "body": body, "author": author_id,
         "pinned": int(pinned), "now": now},
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


async def update_note(conn: Connection, note_id: int, *, category: str, body: str) -> bool:
    cursor = await conn.execute(
        "UPDATE person_notes SET category = :category, body = :body, updated_at = :now WHERE id = :id",
        {"category": category, "body": body, "now": now_db(), "id": note_id},
    )
    return cursor.rowcount == 1


async def delete_note(conn: Connection, note_id: int) -> bool:
    cursor = await conn.execute("DELETE FROM person_notes WHERE id = :id", {"id": note_id})
    return cursor.rowcount == 1


async def _unpin_all(conn: Connection, person_id: int) -> None:
    await conn.execute(
        "UPDATE person_notes SET pinned = 0 WHERE person_id = :person AND pinned = 1",
        {"person": person_id},
    )


async def pin_note(conn: Connection, person_id: int, note_id: int) -> bool:
    """Pin this note and unpin the person's previous one; run inside one transaction, so the person
    never has two pinned notes nor, mid-way, none. False if the note is not this person's."""
    await _unpin_all(conn, person_id)
    cursor = await conn.execute(
        "UPDATE person_notes SET pinned = 1 WHERE id = :id AND person_id = :person",
        {"id": note_id, "person": person_id},
    )
    return cursor.rowcount == 1


async def unpin_note(conn: Connection, person_id: int, note_id: int) -> bool:
    cursor = await conn.execute(
        "UPDATE person_notes SET pinned = 0 WHERE id = :id AND person_id = :person AND pinned = 1",
        {"id": note_id, "person": person_id},
    )
    return cursor.rowcount == 1
