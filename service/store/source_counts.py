"""Row counts of the tables an upstream owns (its spec names them), for Admin › Sources."""

from __future__ import annotations

import re
from collections.abc import Iterable

from service.store.db import Connection

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


async def row_counts(conn: Connection, tables: Iterable[str]) -> dict[str, int]:
    """Rows per table; a name that is not a table of the schema is refused, never interpolated."""
    wanted = sorted(set(tables))
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        existing = {row[0] for row in await cursor.fetchall()}
    counts: dict[str, int] = {}
    for table in wanted:
        if not _NAME.match(table) or table not in existing:
            raise ValueError(f"not a table: {table!r}")
        async with conn.execute(f'SELECT count(*) FROM "{table}"') as cursor:  # noqa: S608 - checked above
            row = await cursor.fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts
