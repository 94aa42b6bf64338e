"""What the Following, Followers and Unfollowed tabs read: current follows and ended periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection
from service.store.directory import COLUMNS, PersonState, empty_state, state_from_values

# person_state's columns read through the alias `ps`, for the LEFT JOIN below.
_STATE_COLUMNS = ", ".join(f"ps.{name.strip()}" for name in COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class EndedFollow:
    person_id: int
    username: str
    role: str
    started_at: datetime
    ended_at: datetime
    end_source: str

    @property
    def days(self) -> int:
        return (self.ended_at - self.started_at).days


async def count_current(conn: Connection, direction: str, *, role: str | None = None) -> int:
    async with conn.execute(
        "SELECT count(*) FROM follow_periods f JOIN persons p ON p.id = f.person_id "
        "WHERE f.direction = :direction AND f.ended_at IS NULL AND (:role IS NULL OR p.role = :role)",
        {"direction": direction, "role": role},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def list_ended(
    conn: Connection, direction: str, *, since: str | None, limit: int = 5000
) -> list[EndedFollow]:
    """Every ended period (history is never deleted), newest end first; `since` bounds the end."""
    async with conn.execute(
        "SELECT p.id, p.username, p.role, f.started_at, f.ended_at, f.end_source FROM follow_periods f "
        "JOIN persons p ON p.id = f.person_id WHERE f.direction = :direction AND f.ended_at IS NOT NULL "
        "AND (:since IS NULL OR f.ended_at >= :since) ORDER BY f.ended_at DESC, p.username LIMIT :limit",
        {"direction": direction, "since": since, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [EndedFollow(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5]) for r in rows]


async def first_period_start(conn: Connection, direction: str) -> datetime | None:
    async with conn.execute(
        "SELECT min(started_at) FROM follow_periods WHERE direction = :direction", {"direction": direction}
    ) as cursor:
        row = await cursor.fetchone()
    return from_db(row[0]) if row and row[0] else None


@dataclass(frozen=True, slots=True)
class FollowRow:
    """A current follow with the person's Directory values (all unknown until a source reports)."""

    state: PersonState
    since: datetime
    source: str


async def list_current_states(
    conn: Connection, direction: str, *, role: str | None = None, page: int = 1, page_size: int = 50
) -> list[FollowRow]:
    """One page of current follows, newest first; follows drive the query, so a person the sources
    have not reported on yet still shows (with unknown values) instead of vanishing."""
    async with conn.execute(
        f"SELECT p.id AS p_id, p.username AS p_username, p.role AS p_role, f.started_at, f.start_source, "  # noqa: S608 - fixed column list
        f"{_STATE_COLUMNS} FROM follow_periods f JOIN persons p ON p.id = f.person_id "
        "LEFT JOIN person_state ps ON ps.person_id = f.person_id "
        "WHERE f.direction = :direction AND f.ended_at IS NULL AND (:role IS NULL OR p.role = :role) "
        "ORDER BY f.started_at DESC, p.username LIMIT :limit OFFSET :offset",
        {"direction": direction, "role": role, "limit": page_size, "offset": (max(page, 1) - 1) * page_size},
    ) as cursor:
        rows = await cursor.fetchall()
    result = []
    for row in rows:
        values = dict(row)
        state = (
            state_from_values(values)
            if values["person_id"] is not None
            else empty_state(values["p_id"], values["p_username"], values["p_role"])
        )
        result.append(FollowRow(state, from_db(values["started_at"]), values["start_source"]))
    return result
