"""web_sessions.get_session reads the session, its user and the user's grants in one statement: it
must answer exactly what the session row plus system_users.get_user_by_name (a statement per part)
answer, and nothing for an expired, unknown or deleted session or a disabled user."""

from __future__ import annotations

from datetime import timedelta

from service.clock import utcnow
from service.models import SystemUser, WebSession
from service.permissions import Permission
from service.store import system_users, web_sessions
from service.store.db import Database

HASH = "a" * 64


async def _user(
    db: Database, name: str, roles: list[str], *, expires_in: timedelta = timedelta(hours=1)
) -> int:
    async with db.transaction() as conn:
        await system_users.sync_roles_and_permissions(conn)
        user_id = await system_users.insert_user(conn, username=name, password_hash="x", roles=roles)
        await web_sessions.insert_session(
            conn, token_hash=HASH, user_id=user_id, csrf_token="csrf", expires_at=utcnow() + expires_in
        )
    return user_id


async def _session(db: Database) -> WebSession | None:
    async with db.read() as conn:
        return await web_sessions.get_session(conn, HASH)


async def _by_name(db: Database, name: str) -> SystemUser | None:
    async with db.read() as conn:
        return await system_users.get_user_by_name(conn, name)


async def test_the_session_carries_the_user_as_read_on_its_own(db: Database) -> None:
    await _user(db, "ann", ["viewer", "subscriber"])
    session = await _session(db)

    assert session is not None
    assert session.csrf_token == "csrf"
    assert session.flash is None
    assert session.user == await _by_name(db, "ann")
    assert session.user.roles == ("subscriber", "viewer")
    assert Permission.SCRAPE_PROFILES in session.user.permissions
    assert Permission.MANAGE_USERS not in session.user.permissions


async def test_a_user_without_roles_still_has_a_session_and_no_permissions(db: Database) -> None:
    await _user(db, "bob", [])
    session = await _session(db)

    assert session is not None
    assert session.user == await _by_name(db, "bob")
    assert session.user.roles == ()
    assert session.user.permissions == frozenset()


async def test_the_flash_is_read_with_the_session(db: Database) -> None:
    await _user(db, "cat", ["viewer"])
    async with db.transaction() as conn:
        await web_sessions.set_flash(conn, HASH, "Saved.")
    session = await _session(db)
    assert session is not None and session.flash == "Saved."


async def test_a_role_change_shows_on_the_next_read(db: Database) -> None:
    user_id = await _user(db, "dan", ["viewer"])
    async with db.transaction() as conn:
        await system_users.set_roles(conn, user_id, ["admin"])
    session = await _session(db)

    assert session is not None
    assert session.user.roles == ("admin",)
    assert session.user.permissions == frozenset(Permission)


async def test_expired_session_is_none(db: Database) -> None:
    await _user(db, "eve", ["admin"], expires_in=timedelta(seconds=-1))
    assert await _session(db) is None


async def test_disabled_user_has_no_session(db: Database) -> None:
    user_id = await _user(db, "fay", ["admin"])
    async with db.transaction() as conn:
        await system_users.set_disabled(conn, user_id, disabled=True)
    assert await _session(db) is None


async def test_deleted_session_and_unknown_hash_are_none(db: Database) -> None:
    await _user(db, "gus", ["admin"])
    async with db.read() as conn:
        assert await web_sessions.get_session(conn, "b" * 64) is None
    async with db.transaction() as conn:
        await web_sessions.delete_session(conn, HASH)
    assert await _session(db) is None


async def test_get_user_reads_roles_and_permissions_as_before(db: Database) -> None:
    """get_user is one statement too; the user it reads is the one get_user_by_name reads."""
    user_id = await _user(db, "hal", ["subscriber"])
    async with db.read() as conn:
        assert await system_users.get_user(conn, user_id) == await system_users.get_user_by_name(conn, "hal")
        assert await system_users.get_user(conn, user_id + 100) is None
