"""Users › Lists (the relationship lists and their members), and the profile's forms that put a
person on a list, take them off, and write, edit, pin or delete notes about them.

Reading needs view_users; every change needs edit_fans, and changing a note is for its author or
an admin (web/relations.py). Note bodies are private: they are never logged nor flashed.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.errors import Forbidden, InvalidInput, NotFound
from service.permissions import Permission
from service.store import fan_lists, person_notes, persons
from service.store.db import Connection
from service.web import page_json, relations, sessions
from service.web.access import requires
from service.web.forms import parse_form
from service.web.json_view import respond
from service.web.keys import db_key
from service.web.query_params import route_id, route_username

Category = Literal["note", "private_message", "public_chat", "tip_menu", "other"]


class ListNameForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=fan_lists.MAX_NAME_LENGTH, title="The list's name")


class MembershipForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: int = Field(ge=1, title="The list")


class NoteEditForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category = Field(title="The category")
    body: str = Field(min_length=1, max_length=person_notes.MAX_BODY_LENGTH, title="The note")

    @field_validator("body", mode="before")
    @classmethod
    def _plain_lines(cls, value: object) -> object:
        # Browsers send CRLF from a textarea; one line break counts as one character.
        return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class NoteForm(NoteEditForm):
    pinned: bool = False


# ---- Users › Lists ---------------------------------------------------------------------------


async def _lists_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    async with request.app[db_key].read() as conn:
        lists = await fan_lists.lists_with_members(conn)
    context: dict[str, Any] = {
        "active": "users",
        "tab": "lists",
        "lists": lists,
        "shown": fan_lists.MEMBERS_SHOWN,
        "max_name_length": fan_lists.MAX_NAME_LENGTH,
        "can_edit_fans": relations.can_edit_fans(request),
        "errors": errors or [],
    }
    return await respond(request, "users/lists.html", context, page_json.fan_lists, status=status)


def _to_lists(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["users_lists"].url_for())


@requires(Permission.VIEW_USERS)
async def users_lists(request: web.Request) -> web.StreamResponse:
    return await _lists_page(request)


@requires(Permission.EDIT_FANS)
async def users_list_create(request: web.Request) -> web.StreamResponse:
    try:
        form = await parse_form(request, ListNameForm)
        async with request.app[db_key].transaction() as conn:
            await fan_lists.create_list(conn, form.name)
    except InvalidInput as exc:
        return await _lists_page(request, errors=exc.details or [exc.message], status=400)
    except fan_lists.ListNameTaken:
        return await _lists_page(request, errors=[f"A list named “{form.name}” exists already."], status=409)
    await sessions.flash(request, f"List “{form.name}” created.")
    raise _to_lists(request)


async def _custom_list(conn: Connection, list_id: int, verb: str) -> fan_lists.FanList:
    found = await fan_lists.get_list(conn, list_id)
    if found is None:
        raise NotFound(f"There is no list {list_id}.")
    if found.is_builtin:
        raise Forbidden(f"“{found.name}” is a built-in list: it cannot be {verb}.")
    return found


@requires(Permission.EDIT_FANS)
async def users_list_rename(request: web.Request) -> web.StreamResponse:
    list_id = route_id(request, "list_id")
    try:
        form = await parse_form(request, ListNameForm)
        async with request.app[db_key].transaction() as conn:
            old = await _custom_list(conn, list_id, "renamed")
            await fan_lists.rename_list(conn, list_id, form.name)
    except InvalidInput as exc:
        return await _lists_page(request, errors=exc.details or [exc.message], status=400)
    except fan_lists.ListNameTaken:
        return await _lists_page(request, errors=[f"A list named “{form.name}” exists already."], status=409)
    await sessions.flash(request, f"List “{old.name}” renamed to “{form.name}”.")
    raise _to_lists(request)


@requires(Permission.EDIT_FANS)
async def users_list_delete(request: web.Request) -> web.StreamResponse:
    list_id = route_id(request, "list_id")
    async with request.app[db_key].transaction() as conn:
        old = await _custom_list(conn, list_id, "deleted")
        await fan_lists.delete_list(conn, list_id)
    people = "1 person" if old.member_count == 1 else f"{old.member_count} people"
    await sessions.flash(request, f"List “{old.name}” deleted ({people} were on it).")
    raise _to_lists(request)


# ---- A person's lists, from their profile ----------------------------------------------------


async def _person_id(conn: Connection, username: str) -> int:
    pid = await persons.get_person_id(conn, username)
    if pid is None:
        raise NotFound(f"{username} is not known yet.")
    return pid


def _to_profile(request: web.Request, username: str, anchor: str) -> web.HTTPSeeOther:
    url = request.app.router["profile_person"].url_for(username=username)
    return web.HTTPSeeOther(f"{url}#{anchor}")


def _acting_user_id(request: web.Request) -> int:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    return session.user.id


@requires(Permission.EDIT_FANS)
async def profile_list_add(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    form = await parse_form(request, MembershipForm)
    async with request.app[db_key].transaction() as conn:
        pid = await _person_id(conn, username)
        chosen = await fan_lists.get_list(conn, form.list_id)
        if chosen is None:
            raise InvalidInput("The form has errors", details=["That list does not exist (any more)."])
        added = await fan_lists.add_member(conn, chosen.id, pid, added_by=_acting_user_id(request))
    message = f"Added to “{chosen.name}”." if added else f"{username} was already on “{chosen.name}”."
    await sessions.flash(request, message)
    raise _to_profile(request, username, "lists")


@requires(Permission.EDIT_FANS)
async def profile_list_remove(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    list_id = route_id(request, "list_id")
    async with request.app[db_key].transaction() as conn:
        pid = await _person_id(conn, username)
        chosen = await fan_lists.get_list(conn, list_id)
        removed = chosen is not None and await fan_lists.remove_member(conn, list_id, pid)
    if chosen is None or not removed:
        raise NotFound(f"{username} is not on that list.")
    await sessions.flash(request, f"Removed from “{chosen.name}”.")
    raise _to_profile(request, username, "lists")


# ---- Notes -----------------------------------------------------------------------------------


@requires(Permission.EDIT_FANS)
async def profile_note_add(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    form = await parse_form(request, NoteForm)
    async with request.app[db_key].transaction() as conn:
        pid = await _person_id(conn, username)
        await person_notes.insert_note(
            conn, pid, category=form.category, body=form.body, author_id=_acting_user_id(request),
            pinned=form.pinned,
        )  # fmt: skip
    await sessions.flash(request, "Note added and pinned." if form.pinned else "Note added.")
    raise _to_profile(request, username, "notes")


async def _changeable_note(request: web.Request, conn: Connection, username: str) -> person_notes.Note:
    """The route's note, if it is this person's and this user may change it (else 404 / 403)."""
    note_id = route_id(request, "note_id")
    note = await person_notes.get_note(conn, await _person_id(conn, username), note_id)
    if note is None:
        raise NotFound(f"{username} has no note {note_id}.")
    if not relations.may_change_note(request, note):
        raise Forbidden("Only the note's author or an admin may change or delete it.")
    return note


@requires(Permission.EDIT_FANS)
async def profile_note_edit(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    form = await parse_form(request, NoteEditForm)
    async with request.app[db_key].transaction() as conn:
        note = await _changeable_note(request, conn, username)
        await person_notes.update_note(conn, note.id, category=form.category, body=form.body)
    await sessions.flash(request, "Note saved.")
    raise _to_profile(request, username, f"note-{note.id}")


@requires(Permission.EDIT_FANS)
async def profile_note_delete(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    async with request.app[db_key].transaction() as conn:
        note = await _changeable_note(request, conn, username)
        await person_notes.delete_note(conn, note.id)
    await sessions.flash(request, "Note deleted.")
    raise _to_profile(request, username, "notes")


@requires(Permission.EDIT_FANS)
async def profile_note_pin(request: web.Request) -> web.StreamResponse:
    """Pin the note (the previous pinned one is unpinned in the same transaction)."""
    username = route_username(request)
    async with request.app[db_key].transaction() as conn:
        note = await _changeable_note(request, conn, username)
        await person_notes.pin_note(conn, note.person_id, note.id)
    await sessions.flash(request, "Note pinned.")
    raise _to_profile(request, username, "notes")


@requires(Permission.EDIT_FANS)
async def profile_note_unpin(request: web.Request) -> web.StreamResponse:
    username = route_username(request)
    async with request.app[db_key].transaction() as conn:
        note = await _changeable_note(request, conn, username)
        await person_notes.unpin_note(conn, note.person_id, note.id)
    await sessions.flash(request, "Note unpinned.")
    raise _to_profile(request, username, "notes")
