"""The panel's own accounts, their roles and permissions."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from service.clock import from_db, now_db
from service.models import Credentials, Role, SystemUser
from service.permissions import (
    ALL_PERMISSIONS_ROLE,
    DEFAULT_ROLES,
    PERMISSION_DESCRIPTIONS,
    Permission,
)
from service.store.db import Connection, fetch_all

_SELECT_USERS = "SELECT u.id, u.username, u.disabled, u.created_at, u.last_login_at FROM system_users u"


async def sync_roles_and_permissions(conn: Connection) -> None:
    """Create missing permissions and default roles; the admin role always holds everything.

    Roles an admin edited keep their edits: defaults are only applied when a role is created.
    """
    for permission, description in PERMISSION_DESCRIPTIONS.items():
        await conn.execute(
            "INSERT INTO system_permissions (name, description) VALUES (:name, :description) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description",
            {"name": permission.value, "description": description},
        )
    for name, (description, permissions) in DEFAULT_ROLES.items():
        cursor = await conn.execute(
            "INSERT INTO system_roles (name, description) VALUES (:name, :description) "
            "ON CONFLICT (name) DO NOTHING",
            {"name": name, "description": description},
        )
        created = cursor.rowcount == 1
        if created or name == ALL_PERMISSIONS_ROLE:
            await conn.executemany(
                "INSERT OR IGNORE INTO system_role_permissions (role_id, permission_id) "
                "SELECT r.id, p.id FROM system_roles r, system_permissions p "
                "WHERE r.name = :role AND p.name = :permission",
                [{"role": name, "permission": p.value} for p in permissions],
            )


async def count_users(conn: Connection) -> int:
    async with conn.execute("SELECT count(*) FROM system_users") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def count_active_admins(conn: Connection, *, excluding_user_id: int | None = None) -> int:
    async with conn.execute(
        "SELECT count(DISTINCT u.id) FROM system_users u "
        "JOIN system_user_roles ur ON ur.user_id = u.id "
        "JOIN system_roles r ON r.id = ur.role_id "
        "WHERE r.name = :admin AND u.disabled = 0 AND u.id IS NOT :excluded",
        {"admin": ALL_PERMISSIONS_ROLE, "excluded": excluding_user_id},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _roles_and_permissions(
    conn: Connection, user_id: int
) -> tuple[tuple[str, ...], frozenset[Permission]]:
    rows = await fetch_all(
        conn,
        "SELECT r.name AS role, p.name AS permission FROM system_user_roles ur "
        "JOIN system_roles r ON r.id = ur.role_id "
        "LEFT JOIN system_role_permissions rp ON rp.role_id = r.id "
        "LEFT JOIN system_permissions p ON p.id = rp.permission_id "
        "WHERE ur.user_id = :user_id ORDER BY r.name",
        {"user_id": user_id},
    )
    roles = tuple(dict.fromkeys(row["role"] for row in rows))
    known = {p.value for p in Permission}
    permissions = frozenset(Permission(row["permission"]) for row in rows if row["permission"] in known)
    return roles, permissions


async def _user_from_row(conn: Connection, row: aiosqlite.Row) -> SystemUser:
    roles, permissions = await _roles_and_permissions(conn, row["id"])
    return SystemUser(
        id=row["id"],
        username=row["username"],
        disabled=bool(row["disabled"]),
        roles=roles,
        permissions=frozenset() if row["disabled"] else permissions,
        created_at=from_db(row["created_at"]),
        last_login_at=from_db(row["last_login_at"]) if row["last_login_at"] else None,
    )


# A user with each of their roles and each role's permissions, one row per (role, permission) (a
# user without roles is one row, NULL there): the columns and the joins after `system_users u`, for
# statements that read a user along with something else; order the rows by GRANT_ORDER.
GRANT_COLUMNS = (
    "u.id, u.username, u.disabled, u.created_at, u.last_login_at, r.name AS role, p.name AS permission"
)
GRANT_JOINS = (
    "LEFT JOIN system_user_roles ur ON ur.user_id = u.id "
    "LEFT JOIN system_roles r ON r.id = ur.role_id "
    "LEFT JOIN system_role_permissions rp ON rp.role_id = r.id "
    "LEFT JOIN system_permissions p ON p.id = rp.permission_id"
)
GRANT_ORDER = "r.name"
_KNOWN_PERMISSIONS = frozenset(p.value for p in Permission)


def user_from_grant_rows(rows: Sequence[aiosqlite.Row]) -> SystemUser | None:
    """The user of GRANT_COLUMNS rows (all of one user, in GRANT_ORDER); None for no rows."""
    if not rows:
        return None
    first = rows[0]
    roles = tuple(dict.fromkeys(row["role"] for row in rows if row["role"] is not None))
    permissions = frozenset(
        Permission(row["permission"]) for row in rows if row["permission"] in _KNOWN_PERMISSIONS
    )
    return SystemUser(
        id=first["id"],
        username=first["username"],
        disabled=bool(first["disabled"]),
        roles=roles,
        permissions=frozenset() if first["disabled"] else permissions,
        created_at=from_db(first["created_at"]),
        last_login_at=from_db(first["last_login_at"]) if first["last_login_at"] else None,
    )


async def get_user(conn: Connection, user_id: int) -> SystemUser | None:
    """One statement: every page's session check reads the user (web_sessions.get_session joins it)."""
    sql = f"SELECT {GRANT_COLUMNS} FROM system_users u {GRANT_JOINS} WHERE u.id = :id ORDER BY {GRANT_ORDER}"  # noqa: S608
    return user_from_grant_rows(await fetch_all(conn, sql, {"id": user_id}))


async def get_active_user(conn: Connection, user_id: int) -> SystemUser | None:
    """The user a session or an API key acts for: None if deleted or disabled, so neither works."""
    user = await get_user(conn, user_id)
    return None if user is None or user.disabled else user


async def get_user_by_name(conn: Connection, username: str) -> SystemUser | None:
    async with conn.execute(
        _SELECT_USERS + " WHERE u.username = :username",
        {"username": username},
    ) as cursor:
        row = await cursor.fetchone()
    return await _user_from_row(conn, row) if row else None


async def get_credentials(conn: Connection, username: str) -> Credentials | None:
    async with conn.execute(
        "SELECT id, password_hash, disabled FROM system_users WHERE username = :username",
        {"username": username},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Credentials(row["id"], row["password_hash"], bool(row["disabled"]))


async def list_users(conn: Connection) -> list[SystemUser]:
    async with conn.execute(_SELECT_USERS + " ORDER BY u.username") as cursor:
        rows = await cursor.fetchall()
    return [await _user_from_row(conn, row) for row in rows]


async def list_roles(conn: Connection) -> list[Role]:
    async with conn.execute(
        "SELECT r.id, r.name, r.description, "
        "(SELECT count(*) FROM system_user_roles ur WHERE ur.role_id = r.id) AS members, "
        "(SELECT group_concat(p.name) FROM system_role_permissions rp "
        " JOIN system_permissions p ON p.id = rp.permission_id WHERE rp.role_id = r.id) AS perms "
        "FROM system_roles r ORDER BY r.id"
    ) as cursor:
        rows = await cursor.fetchall()
    known = {p.value for p in Permission}
    return [
        Role(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            permissions=frozenset(Permission(p) for p in (row["perms"] or "").split(",") if p in known),
            member_count=row["members"],
        )
        for row in rows
    ]


async def insert_user(conn: Connection, *, username: str, password_hash: str, roles: list[str]) -> int:
    now = now_db()
    cursor = await conn.execute(
        "INSERT INTO system_users (username, password_hash, created_at, updated_at, "
        "password_changed_at) VALUES (:username, :hash, :now, :now, :now)",
        {"username": username, "hash": password_hash, "now": now},
    )
    user_id = cursor.lastrowid
    if user_id is None:
        raise RuntimeError("INSERT returned no row id")
    await set_roles(conn, user_id, roles)
    return user_id


async def username_taken(conn: Connection, username: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM system_users WHERE username = :username", {"username": username}
    ) as cursor:
        return await cursor.fetchone() is not None


async def set_roles(conn: Connection, user_id: int, roles: list[str]) -> None:
    await conn.execute("DELETE FROM system_user_roles WHERE user_id = :id", {"id": user_id})
    await conn.executemany(
        "INSERT INTO system_user_roles (user_id, role_id) "
        "SELECT :id, r.id FROM system_roles r WHERE r.name = :role",
        [{"id": user_id, "role": role} for role in roles],
    )
    await conn.execute(
        "UPDATE system_users SET updated_at = :now WHERE id = :id", {"now": now_db(), "id": user_id}
    )


async def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    now = now_db()
    await conn.execute(
        "UPDATE system_users SET password_hash = :hash, password_changed_at = :now, "
        "updated_at = :now WHERE id = :id",
        {"hash": password_hash, "now": now, "id": user_id},
    )


async def set_disabled(conn: Connection, user_id: int, *, disabled: bool) -> None:
    await conn.execute(
        "UPDATE system_users SET disabled = :disabled, updated_at = :now WHERE id = :id",
        {"disabled": int(disabled), "now": now_db(), "id": user_id},
    )


async def record_login(conn: Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE system_users SET last_login_at = :now WHERE id = :id",
        {"now": now_db(), "id": user_id},
    )


async def delete_user(conn: Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM system_users WHERE id = :id", {"id": user_id})
