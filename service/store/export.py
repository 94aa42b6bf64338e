"""Reading whole data tables for `mhc export`. Secrets, hashes and sessions are never exported."""

from __future__ import annotations

from collections.abc import AsyncIterator

from service.store.db import Connection

# Tables holding the user's data. Panel accounts, sessions, setup links and settings (which hold
# tokens) are deliberately absent.
EXPORTED_TABLES: tuple[str, ...] = ("persons", "job_runs")


async def columns(conn: Connection, table: str) -> list[str]:
    if table not in EXPORTED_TABLES:
        raise ValueError(f"{table} is not exportable")
    async with conn.execute(f"SELECT * FROM {table} LIMIT 0") as cursor:  # noqa: S608 - allow-listed
        return [d[0] for d in cursor.description]


async def rows(conn: Connection, table: str) -> AsyncIterator[tuple[object, ...]]:
    if table not in EXPORTED_TABLES:
        raise ValueError(f"{table} is not exportable")
    async with conn.execute(f"SELECT * FROM {table} ORDER BY rowid") as cursor:  # noqa: S608
        async for row in cursor:
            yield tuple(row)
