"""What the profile shows of a person's relationship lists and notes, and who may change them.

Writing needs edit_fans; a note is edited, deleted or pinned by its author or an admin (a holder of
manage_users). Shared by the profile handler (which shows them) and handlers/fan_lists.py (which
changes them), so neither imports the other.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.permissions import Permission
from service.store import fan_lists, person_notes
from service.store.db import Connection
from service.store.person_notes import Note
from service.web import sessions
from service.web.handler_support import may
from service.web.json_view import iso


def can_edit_fans(request: web.Request) -> bool:
    return may(request, Permission.EDIT_FANS)


def may_change_note(request: web.Request, note: Note) -> bool:
    """Edit, delete or pin: the note's author, or an admin; always with edit_fans."""
    session = sessions.current(request)
    if session is None or Permission.EDIT_FANS not in session.user.permissions:
        return False
    return note.author_id == session.user.id or Permission.MANAGE_USERS in session.user.permissions


async def profile_context(request: web.Request, conn: Connection, person_id: int) -> dict[str, Any]:
    """The profile's lists-and-notes block: every list (for the add form), the person's lists, their
    notes (pinned first, then newest) and which of them this user may change."""
    notes = await person_notes.list_notes(conn, person_id)
    memberships = await fan_lists.memberships(conn, person_id)
    on = {m.chip.id for m in memberships}
    return {
        "memberships": memberships,
        "lists_to_add": [x for x in await fan_lists.list_lists(conn) if x.id not in on],
        "notes": notes,
        "changeable_notes": {n.id for n in notes if may_change_note(request, n)},
        "note_categories": person_notes.CATEGORIES,
        "note_max_length": person_notes.MAX_BODY_LENGTH,
        "can_edit_fans": can_edit_fans(request),
    }


def lists_json(memberships: list[fan_lists.Membership]) -> list[dict[str, Any]]:
    return [
        {"id": m.chip.id, "name": m.chip.name, "builtin": m.chip.builtin,
         "added_at": iso(m.added_at), "added_by": m.added_by}
        for m in memberships
    ]  # fmt: skip


def notes_json(notes: list[Note]) -> list[dict[str, Any]]:
    return [
        {"id": n.id, "category": n.category, "body": n.body, "author": n.author, "pinned": n.pinned,
         "created_at": iso(n.created_at), "updated_at": iso(n.updated_at)}
        for n in notes
    ]  # fmt: skip
