"""Follow periods in both directions: opening and closing them, and reading their history.

These functions only record; deciding *whether* a follow began or ended (complete snapshots, second
confirmation, which source may end a follow) is `ingest.follows`. Each call names its source and the
event or snapshot behind it, so one bad run can be found and reverted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection

DIRECTIONS = ("following", "follower")
SOURCES = ("events", "list_snapshot", "profile_scrape", "manual")


@dataclass(frozen=True, slots=True)
class FollowPeriod:
    id: int
    person_id: int
    direction: str
    started_at: datetime
    start_source: str
    start_ref: str | None
    ended_at: datetime | None
    end_source: str | None
    end_ref: str | None


def _check(direction: str, source: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown follow direction {direction!r}")
    if source not in SOURCES:
        raise ValueError(f"unknown follow source {source!r}")


async def open_period(
    conn: Connection, person_id: int, direction: str, *, at: str, source: str, ref: str | None
) -> bool:
    """Start following (or being followed) unless a period is already open; True if one opened."""
    _check(direction, source)
    cursor = await conn.execute(
        "INSERT INTO follow_periods (person_id, direction, started_at, start_source, start_ref) "
        "VALUES (:person, :direction, :at, :source, :ref) "
        "ON CONFLICT (person_id, direction) WHERE ended_at IS NULL DO NOTHING",
        {"person": person_id, "direction": direction, "at": at, "source": source, "ref": ref},
    )
    return cursor.rowcount == 1


async def close_period(
    conn: Connection, person_id: int, direction: str, *, at: str, source: str, ref: str | None
) -> bool:
    """End the open period, if any; True if one was closed. An end never precedes its start."""
    _check(direction, source)
    cursor = await conn.execute(
        "UPDATE follow_periods SET ended_at = max(started_at, :at), end_source = :source, "
        "end_ref = :ref WHERE person_id = :person AND direction = :direction AND ended_at IS NULL",
        {"person": person_id, "direction": direction, "at": at, "source": source, "ref": ref},
    )
    return cursor.rowcount == 1


@dataclass(frozen=True, slots=True)
class PeriodChange:
    """One person's follow beginning or ending at a moment, named by the event or scrape behind it."""

    person_id: int
    at: str
    ref: str | None


async def open_periods(
    conn: Connection, changes: Sequence[PeriodChange], direction: str, *, source: str
) -> None:
    """`open_period` for many changes in one statement, applied in order."""
    _check(direction, source)
    if changes:
        await conn.executemany(
            "INSERT INTO follow_periods (person_id, direction, started_at, start_source, start_ref) "
            "VALUES (:person, :direction, :at, :source, :ref) "
            "ON CONFLICT (person_id, direction) WHERE ended_at IS NULL DO NOTHING",
            [{"person": c.person_id, "direction": direction, "at": c.at, "source": source, "ref": c.ref}
             for c in changes],
        )  # fmt: skip


async def close_periods(
    conn: Connection, changes: Sequence[PeriodChange], direction: str, *, source: str
) -> None:
    """`close_period` for many changes in one statement, applied in order."""
    _check(direction, source)
    if changes:
        await conn.executemany(
            "UPDATE follow_periods SET ended_at = max(started_at, :at), end_source = :source, "
            "end_ref = :ref WHERE person_id = :person AND direction = :direction AND ended_at IS NULL",
            [{"person": c.person_id, "direction": direction, "at": c.at, "source": source, "ref": c.ref}
             for c in changes],
        )  # fmt: skip


async def is_open(conn: Connection, person_id: int, direction: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM follow_periods WHERE person_id = :person AND direction = :direction "
        "AND ended_at IS NULL",
        {"person": person_id, "direction": direction},
    ) as cursor:
        return await cursor.fetchone() is not None


async def list_periods(conn: Connection, person_id: int, direction: str | None = None) -> list[FollowPeriod]:
    async with conn.execute(
        "SELECT * FROM follow_periods WHERE person_id = :person "
        "AND (:direction IS NULL OR direction = :direction) ORDER BY started_at, id",
        {"person": person_id, "direction": direction},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        FollowPeriod(
            id=row["id"],
            person_id=row["person_id"],
            direction=row["direction"],
            started_at=from_db(row["started_at"]),
            start_source=row["start_source"],
            start_ref=row["start_ref"],
            ended_at=from_db(row["ended_at"]) if row["ended_at"] else None,
            end_source=row["end_source"],
            end_ref=row["end_ref"],
        )
        for row in rows
    ]
