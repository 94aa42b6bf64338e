"""Values saved on the Settings page (credentials, source options), stored as text by key."""

from __future__ import annotations

from service.clock import now_db
from service.store.db import Connection


async def get_all(conn: Connection) -> dict[str, str]:
    async with conn.execute("SELECT key, value FROM settings") as cursor:
        rows = await cursor.fetchall()
    return {row["key"]: row["value"] for row in rows}


async def upsert(conn: Connection, key: str, value: str, *, by: str | None) -> None:
    await conn.execute(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (:key, :value, :now, :by) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
        {"key": key, "value": value, "now": now_db(), "by": by},
    )


async def delete(conn: Connection, key: str) -> None:
    await conn.execute("DELETE FROM settings WHERE key = :key", {"key": key})
