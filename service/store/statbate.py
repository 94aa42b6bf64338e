"""Statbate figures: member and model info per fetch, member tips, and tips requested on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from service.clock import now_db
from service.store import person_state
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class MemberRow:
    person_id: int
    did: int | None
    first_message_date: str | None
    first_tip_date: str | None
    last_tip_date: str | None
    last_tip_amount: int | None
    models_messaged_2weeks: int | None
    models_tipped_2weeks: int | None
    all_time_tokens: int | None
    raw: str


@dataclass(frozen=True, slots=True)
class ModelRow:
    person_id: int
    rid: int | None
    gender: int | None
    rank: int | None
    sessions_count: int | None
    sessions_total_duration: int | None
    sessions_average_duration: int | None
    income_tokens: int | None
    income_usd: float | None
    tags: str  # JSON array of names
    raw: str


@dataclass(frozen=True, slots=True)
class TipRow:
    tipped_at: str
    model: str
    rid: int
    tokens: int
    usd: float


@dataclass(frozen=True, slots=True)
class TipsRequest:
    person_id: int
    username: str
    requested_at: str
    latest_tip_at: str | None


async def _touch_flags(conn: Connection, person_ids: Sequence[int]) -> None:
    await conn.executemany(
        "INSERT INTO person_source_flags (person_id, updated_at) VALUES (:id, :now) "
        "ON CONFLICT (person_id) DO UPDATE SET updated_at = excluded.updated_at",
        [{"id": i, "now": now_db()} for i in person_ids],
    )


async def record_members(
    conn: Connection, found: Sequence[MemberRow], not_found: Sequence[int], *, fetched_at: str
) -> None:
    await conn.executemany(
        "INSERT INTO statbate_member_info (person_id, fetched_at, did, first_message_date, first_tip_date, "
        "last_tip_date, last_tip_amount, models_messaged_2weeks, models_tipped_2weeks, all_time_tokens, raw) "
        "VALUES (:person_id, :at, :did, :first_message_date, :first_tip_date, :last_tip_date, "
        ":last_tip_amount, :models_messaged_2weeks, :models_tipped_2weeks, :all_time_tokens, :raw)",
        [{**asdict(row), "at": fetched_at} for row in found],
    )
    await _set_status(conn, "member", [r.person_id for r in found], "found", fetched_at)
    await _set_status(conn, "member", not_found, "not_found", fetched_at)


async def record_model(conn: Connection, person_id: int, row: ModelRow | None, *, fetched_at: str) -> None:
    """One model's info, or None when Statbate answered 404 for that name."""
    if row is not None:
        await conn.execute(
            "INSERT INTO statbate_model_info (person_id, fetched_at, rid, gender, rank, sessions_count, "
            "sessions_total_duration, sessions_average_duration, income_tokens, income_usd, tags, raw) "
            "VALUES (:person_id, :at, :rid, :gender, :rank, :sessions_count, :sessions_total_duration, "
            ":sessions_average_duration, :income_tokens, :income_usd, :tags, :raw)",
            {**asdict(row), "at": fetched_at},
        )
    await _set_status(conn, "model", [person_id], "found" if row else "not_found", fetched_at)


async def _set_status(conn: Connection, kind: str, person_ids: Sequence[int], status: str, at: str) -> None:
    await _touch_flags(conn, person_ids)
    # Two fixed statements rather than a column name built from `kind`.
    sql = {
        "member": "UPDATE person_source_flags SET statbate_member_status = :status, "
        "statbate_member_checked_at = :at WHERE person_id = :id",
        "model": "UPDATE person_source_flags SET statbate_model_status = :status, "
        "statbate_model_checked_at = :at WHERE person_id = :id",
    }[kind]
    await conn.executemany(sql, [{"id": i, "status": status, "at": at} for i in person_ids])


async def request_tips(conn: Connection, person_id: int) -> None:
    """Ask the statbate job to fetch this member's tips on its next run (the Profile's button)."""
    await _touch_flags(conn, [person_id])
    await conn.execute(
        "UPDATE person_source_flags SET statbate_tips_requested_at = :now WHERE person_id = :id",
        {"id": person_id, "now": now_db()},
    )


async def tips_requests(conn: Connection) -> list[TipsRequest]:
    async with conn.execute(
        "SELECT f.person_id, p.username, f.statbate_tips_requested_at, "
        "(SELECT max(t.tipped_at) FROM statbate_member_tips t WHERE t.person_id = f.person_id) "
        "FROM person_source_flags f JOIN persons p ON p.id = f.person_id "
        "WHERE f.statbate_tips_requested_at IS NOT NULL ORDER BY f.statbate_tips_requested_at"
    ) as cursor:
        return [TipsRequest(*tuple(row)) for row in await cursor.fetchall()]


async def record_tips(conn: Connection, person_id: int, tips: Sequence[TipRow], *, fetched_at: str) -> int:
    """Store tips (a tip seen before is kept once) and close the request; returns new tips."""
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO statbate_member_tips (person_id, tipped_at, model, rid, tokens, usd, "
        "fetched_at) VALUES (:person_id, :tipped_at, :model, :rid, :tokens, :usd, :at)",
        [{**asdict(t), "person_id": person_id, "at": fetched_at} for t in tips],
    )
    added = conn.total_changes - before
    await conn.execute(
        "UPDATE person_source_flags SET statbate_tips_requested_at = NULL WHERE person_id = :id",
        {"id": person_id},
    )
    await person_state.refresh(conn, [person_id])
    return added
