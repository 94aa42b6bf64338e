"""The first-run checklist's questions about stored data: each is one cheap EXISTS."""

from __future__ import annotations

from dataclasses import dataclass

from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class FirstData:
    list_run: bool  # the extension has sent a following or followers list
    persons: bool  # any source has stored anyone


async def _exists(conn: Connection, sql: str) -> bool:
    async with conn.execute(f"SELECT EXISTS ({sql})") as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


async def first_data(conn: Connection) -> FirstData:
    return FirstData(
        list_run=await _exists(conn, "SELECT 1 FROM list_snapshots"),
        persons=await _exists(conn, "SELECT 1 FROM persons"),
    )
