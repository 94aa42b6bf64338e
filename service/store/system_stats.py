"""The service's own footprint: database size, rows per table and image store, recorded hourly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from service.clock import from_db, to_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class SystemStat:
    recorded_at: datetime
    db_bytes: int
    wal_bytes: int
    image_bytes: int
    image_files: int
    table_rows: dict[str, int]

    @property
    def total_db_bytes(self) -> int:
        return self.db_bytes + self.wal_bytes


async def database_bytes(conn: Connection) -> int:
    """Pages in use × page size: the main file's logical size, free pages included."""
    async with conn.execute("PRAGMA page_count") as cur:
        pages = await cur.fetchone()
    async with conn.execute("PRAGMA page_size") as cur:
        size = await cur.fetchone()
    return int(pages[0]) * int(size[0]) if pages and size else 0


async def table_row_counts(conn: Connection) -> dict[str, int]:
    """Exact rows per table. count(*) walks the smallest index, which is fine once an hour."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ) as cur:
        names = [str(row[0]) for row in await cur.fetchall()]
    counts = {}
    for name in names:
        # Names come from sqlite_master, not from a user; quoting still guards odd characters.
        quoted = '"' + name.replace('"', '""') + '"'
        async with conn.execute(f"SELECT count(*) FROM {quoted}") as cur:  # noqa: S608
            row = await cur.fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


async def insert_stat(conn: Connection, stat: SystemStat) -> None:
    await conn.execute(
        "INSERT INTO system_stats (recorded_at, db_bytes, wal_bytes, image_bytes, image_files, table_rows) "
        "VALUES (:at, :db, :wal, :img, :files, :rows)",
        {
            "at": to_db(stat.recorded_at),
            "db": stat.db_bytes,
            "wal": stat.wal_bytes,
            "img": stat.image_bytes,
            "files": stat.image_files,
            "rows": json.dumps(stat.table_rows, sort_keys=True),
        },
    )


def _stat(row: aiosqlite.Row) -> SystemStat:
    rows = json.loads(row["table_rows"])
    return SystemStat(
        recorded_at=from_db(row["recorded_at"]),
        db_bytes=int(row["db_bytes"]),
        wal_bytes=int(row["wal_bytes"]),
        image_bytes=int(row["image_bytes"]),
        image_files=int(row["image_files"]),
        table_rows={str(k): int(v) for k, v in rows.items()},
    )


@dataclass(frozen=True, slots=True)
class SizeHistory:
    """The sizes of every measurement in a window, oldest first, one list per column.

    What the charts need and no more: a year of hourly measurements is ~8,760 rows, and parsing
    each one's rows per table would cost the page more than everything else it does.
    """

    seconds: list[float]  # recorded_at as Unix time
    db_bytes: list[int]  # main file + write-ahead log
    image_bytes: list[int]
    image_files: list[int]


# Reads the covering index idx_system_stats_sizes alone, never the rows with their JSON. The time is
# rounded to the millisecond it was stored with (julianday's double is off by some microseconds).
SIZE_HISTORY_SQL = (
    "SELECT round((julianday(recorded_at) - 2440587.5) * 86400000.0) / 1000.0, db_bytes + wal_bytes, "
    "image_bytes, image_files FROM system_stats WHERE recorded_at >= :since ORDER BY recorded_at"
)


async def size_history(conn: Connection, *, since: datetime | None = None) -> SizeHistory:
    """Sizes measured from `since` on (all when None)."""
    async with conn.execute(SIZE_HISTORY_SQL, {"since": _lower_bound(since)}) as cur:
        rows = await cur.fetchall()
    # Column by column through zip: one pass in C instead of four Python loops over the rows.
    seconds, db, images, files = (
        (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [], [])
    )
    return SizeHistory(seconds, db, images, files)


def _lower_bound(since: datetime | None) -> str:
    # Every stored time sorts after the empty string: "all time" uses the same indexed range.
    return to_db(since) if since else ""


async def first_stat(conn: Connection, *, since: datetime | None = None) -> SystemStat | None:
    """The oldest measurement from `since` on."""
    async with conn.execute(
        "SELECT * FROM system_stats WHERE recorded_at >= :since ORDER BY recorded_at LIMIT 1",
        {"since": _lower_bound(since)},
    ) as cur:
        row = await cur.fetchone()
    return _stat(row) if row else None


async def last_stat_until(
    conn: Connection, moment: datetime, *, since: datetime | None = None
) -> SystemStat | None:
    """The newest measurement taken at or before `moment` (and from `since` on)."""
    async with conn.execute(
        "SELECT * FROM system_stats WHERE recorded_at >= :since AND recorded_at <= :moment "
        "ORDER BY recorded_at DESC LIMIT 1",
        {"since": _lower_bound(since), "moment": to_db(moment)},
    ) as cur:
        row = await cur.fetchone()
    return _stat(row) if row else None


async def latest_stat(conn: Connection) -> SystemStat | None:
    async with conn.execute("SELECT * FROM system_stats ORDER BY recorded_at DESC LIMIT 1") as cur:
        row = await cur.fetchone()
    return _stat(row) if row else None
