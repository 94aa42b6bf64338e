"""Housekeeping statements: expiry of short-lived rows, planner statistics, WAL checkpoints."""

from __future__ import annotations

from service.clock import now_db
from service.store.db import Database


async def purge_expired(db: Database) -> dict[str, int]:
    now = now_db()
    async with db.transaction() as conn:
        sessions = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= :now", {"now": now})
        links = await conn.execute(
            "DELETE FROM setup_tokens WHERE expires_at <= :now OR used_at IS NOT NULL", {"now": now}
        )
    return {"sessions": sessions.rowcount, "setup_links": links.rowcount}


async def optimize(db: Database) -> None:
    async with db.exclusive() as conn:
        await conn.execute("PRAGMA optimize")
        # TRUNCATE keeps the -wal file from growing without bound between restarts.
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
