"""CBHours data: get_live checks, get_activity segments, and "not tracked there" flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from service.clock import now_db
from service.store import person_state
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class LiveRow:
    person_id: int
    online: int
    gender: str | None
    rank: int | None
    grank: int | None
    viewers: int | None
    followers: int | None
    current_show: str | None
    room_subject: str | None
    tags: str | None  # JSON array
    is_new: int | None


@dataclass(frozen=True, slots=True)
class SegmentRow:
    segment_at: str
    show: str
    rank: int | None
    grank: int | None
    followers: int | None
    viewers: int | None
    gender: str | None


async def record_live(conn: Connection, rows: Sequence[LiveRow], *, checked_at: str) -> None:
    """Store one get_live answer: a check row each, followers into history, state refreshed."""
    await conn.executemany(
        "INSERT INTO cbhours_live_stats (person_id, checked_at, online, gender, rank, grank, viewers, "
        "followers, current_show, room_subject, tags, is_new) VALUES (:person_id, :at, :online, "
        ":gender, :rank, :grank, :viewers, :followers, :current_show, :room_subject, :tags, :is_new)",
        [{**asdict(row), "at": checked_at} for row in rows],
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO follower_history (person_id, observed_at, source, followers) "
        "VALUES (:person_id, :at, 'cbhours', :followers)",
        [
            {"person_id": r.person_id, "at": checked_at, "followers": r.followers}
            for r in rows
            if r.followers is not None
        ],
    )
    await person_state.refresh(conn, [row.person_id for row in rows])


async def record_activity(
    conn: Connection, person_id: int, segments: Sequence[SegmentRow], *, through: str
) -> int:
    """Store segments (a segment already stored is kept as is); returns how many were new."""
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, "
        "viewers, gender, fetched_at) VALUES (:person_id, :segment_at, :show, :rank, :grank, "
        ":followers, :viewers, :gender, :now)",
        [{**asdict(s), "person_id": person_id, "now": now_db()} for s in segments],
    )
    added = conn.total_changes - before
    await _flags(conn, person_id, "cbhours_activity_through = :value", through)
    await person_state.refresh(conn, [person_id])
    return added


async def _flags(conn: Connection, person_id: int, assignment: str, value: str | None) -> None:
    # `assignment` is one of this module's constant "column = :value" strings, never input.
    await conn.execute(
        "INSERT INTO person_source_flags (person_id, updated_at) VALUES (:id, :now) "
        "ON CONFLICT (person_id) DO NOTHING",
        {"id": person_id, "now": now_db()},
    )
    await conn.execute(
        f"UPDATE person_source_flags SET {assignment}, updated_at = :now WHERE person_id = :id",  # noqa: S608
        {"id": person_id, "now": now_db(), "value": value},
    )


async def flag_untracked(conn: Connection, person_ids: Sequence[int], *, until: str, reason: str) -> None:
    """CBHours does not know these persons (error 300 or absent from get_live): ask again after `until`."""
    for person_id in person_ids:
        await _flags(conn, person_id, "cbhours_untracked_until = :value", until)
        await conn.execute(
            "UPDATE person_source_flags SET cbhours_untracked_reason = :reason WHERE person_id = :id",
            {"id": person_id, "reason": reason},
        )


async def activity_through(conn: Connection, person_id: int) -> str | None:
    async with conn.execute(
        "SELECT cbhours_activity_through FROM person_source_flags WHERE person_id = :id", {"id": person_id}
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None
