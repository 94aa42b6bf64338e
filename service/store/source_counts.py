"""Row counts of the data-source tables, for Admin › Sources."""

from __future__ import annotations

from collections.abc import Iterable

from service.store.db import Connection

# Table names are interpolated, so only these may be counted.
COUNTABLE = frozenset({
    "affiliate_api_snapshots", "affiliate_sweeps", "images", "stats_snapshots", "cbhours_live_stats",
    "cbhours_activity", "statbate_member_info", "statbate_model_info", "statbate_member_tips",
    "follower_history", "person_state", "lookup_queue",
})  # fmt: skip


async def row_counts(conn: Connection, tables: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in tables:
        if table not in COUNTABLE:
            raise ValueError(f"not a data-source table: {table!r}")
        async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:  # noqa: S608 - allow-listed
            row = await cursor.fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts
