"""Personal API keys: named, hashed, revocable credentials a user's scripts read the JSON pages with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db, now_db
from service.models import SystemUser
from service.store.db import Connection
from service.store.system_users import get_active_user

MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as its owner sees it on the account page: never the key itself, nor its hash."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Who a presented key speaks for, and when it was last used (to keep last-use writes rare)."""

    key_id: int
    user: SystemUser
    last_used_at: datetime | None


def _when(value: str | None) -> datetime | None:
    return from_db(value) if value else None


async def insert_key(conn: Connection, *, user_id: int, name: str, token_hash: str) -> int:
    cursor = await conn.execute(
        "INSERT INTO api_keys (user_id, name, token_hash, created_at) VALUES (:user, :name, :hash, :now)",
        {"user": user_id, "name": name, "hash": token_hash, "now": now_db()},
    )
    return int(cursor.lastrowid or 0)


async def list_keys(conn: Connection, user_id: int) -> list[ApiKey]:
    """The user's keys, working ones first, newest first."""
    async with conn.execute(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = :user "
        "ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC",
        {"user": user_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        ApiKey(
            id=row["id"],
            name=row["name"],
            created_at=from_db(row["created_at"]),
            last_used_at=_when(row["last_used_at"]),
            revoked_at=_when(row["revoked_at"]),
        )
        for row in rows
    ]


async def revoke_key(conn: Connection, *, key_id: int, user_id: int) -> bool:
    """Revoke one of this user's own working keys; False if there is no such key (or it is not theirs)."""
    cursor = await conn.execute(
        "UPDATE api_keys SET revoked_at = :now WHERE id = :id AND user_id = :user AND revoked_at IS NULL",
        {"now": now_db(), "id": key_id, "user": user_id},
    )
    return cursor.rowcount == 1


async def key_owner(conn: Connection, token_hash: str) -> KeyOwner | None:
    """The owner of a working key; None if the key is unknown or revoked, or its owner is disabled
    (a deleted owner takes the key with them: ON DELETE CASCADE)."""
    async with conn.execute(
        "SELECT id, user_id, last_used_at FROM api_keys WHERE token_hash = :hash AND revoked_at IS NULL",
        {"hash": token_hash},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    user = await get_active_user(conn, row["user_id"])
    if user is None:
        return None
    return KeyOwner(key_id=row["id"], user=user, last_used_at=_when(row["last_used_at"]))


async def touch_key(conn: Connection, key_id: int) -> None:
    await conn.execute(
        "UPDATE api_keys SET last_used_at = :now WHERE id = :id", {"now": now_db(), "id": key_id}
    )
