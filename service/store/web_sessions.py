"""Panel login sessions and the one-time setup links. Only hashes of the secrets are stored."""

from __future__ import annotations

from datetime import datetime

from service.clock import from_db, now_db, to_db
from service.models import WebSession
from service.store.db import Connection, fetch_all
from service.store.system_users import GRANT_COLUMNS, GRANT_JOINS, GRANT_ORDER, user_from_grant_rows


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
    """The live session for this cookie hash, or None if unknown, expired or its user is disabled.

    One statement with the user and their grants: every panel request asks this first, and each
    statement is a trip to the reader's thread."""
    sql = (
        "SELECT s.csrf_token AS session_csrf, s.expires_at AS session_expires, s.flash AS session_flash, "  # noqa: S608 — fixed text
        f"{GRANT_COLUMNS} FROM web_sessions s JOIN system_users u ON u.id = s.user_id {GRANT_JOINS} "
        f"WHERE s.token_hash = :hash AND s.expires_at > :now AND u.disabled = 0 ORDER BY {GRANT_ORDER}"
    )
    rows = await fetch_all(conn, sql, {"hash": token_hash, "now": now_db()})
    user = user_from_grant_rows(rows)
    if user is None:
        return None
    return WebSession(
        user=user,
        csrf_token=rows[0]["session_csrf"],
        expires_at=from_db(rows[0]["session_expires"]),
        flash=rows[0]["session_flash"],
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
