"""Panel login sessions and the one-time setup links. Only hashes of the secrets are stored."""

from __future__ import annotations

from datetime import datetime

from service.clock import from_db, now_db, to_db
from service.models import WebSession
from service.store.db import Connection, fetch_one
from service.store.system_users import get_active_user


async def insert_session(
    conn: Connection, *, token_hash: str, user_id: int, csrf_token: str, expires_at: datetime
) -> None:
    now = now_db()
    await conn.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at, "
        "last_seen_at) VALUES (:hash, :user_id, :csrf, :now, :expires, :now)",
        {
            "hash": token_hash,
            "user_id": user_id,
            "csrf": csrf_token,
            "now": now,
            "expires": to_db(expires_at),
        },
    )


async def get_session(conn: Connection, token_hash: str) -> WebSession | None:
    """The live session for this cookie hash, or None if unknown, expired or its user is disabled."""
    row = await fetch_one(
        conn,
        "SELECT user_id, csrf_token, expires_at, flash FROM web_sessions "
        "WHERE token_hash = :hash AND expires_at > :now",
        {"hash": token_hash, "now": now_db()},
    )
    if row is None:
        return None
    user = await get_active_user(conn, row["user_id"])
    if user is None:
        return None
    return WebSession(
        user=user,
        csrf_token=row["csrf_token"],
        expires_at=from_db(row["expires_at"]),
        flash=row["flash"],
    )


async def set_flash(conn: Connection, token_hash: str, message: str | None) -> None:
    await conn.execute(
        "UPDATE web_sessions SET flash = :flash WHERE token_hash = :hash",
        {"flash": message, "hash": token_hash},
    )


async def delete_session(conn: Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE token_hash = :hash", {"hash": token_hash})


async def delete_user_sessions(conn: Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE user_id = :id", {"id": user_id})


async def delete_expired_sessions(conn: Connection) -> int:
    cursor = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= :now", {"now": now_db()})
    return cursor.rowcount


async def replace_setup_token(conn: Connection, *, token_hash: str, expires_at: datetime) -> None:
    """Store a new setup link; any earlier unused link stops working."""
    await conn.execute("DELETE FROM setup_tokens WHERE used_at IS NULL")
    await conn.execute(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES (:hash, :now, :expires)",
        {"hash": token_hash, "now": now_db(), "expires": to_db(expires_at)},
    )


async def setup_token_valid(conn: Connection, token_hash: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM setup_tokens WHERE token_hash = :hash AND used_at IS NULL AND expires_at > :now",
        {"hash": token_hash, "now": now_db()},
    ) as cursor:
        return await cursor.fetchone() is not None


async def use_setup_token(conn: Connection, token_hash: str) -> bool:
    """Mark the link used; False if it was not valid (so two tabs cannot both use it)."""
    cursor = await conn.execute(
        "UPDATE setup_tokens SET used_at = :now WHERE token_hash = :hash AND used_at IS NULL "
        "AND expires_at > :now",
        {"hash": token_hash, "now": now_db()},
    )
    return cursor.rowcount == 1
