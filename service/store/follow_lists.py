"""What the Following, Followers and Unfollowed tabs read: current follows and ended periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection
from service.store.directory import COLUMNS, PersonState, empty_state, state_from_values
from service.store.keyset import Cursor, Page, Seek, page_of

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
    cursor: Cursor  # its place in the list: the end as stored, and the period's id

    @property
    def days(self) -> int:
        return (self.ended_at - self.started_at).days


@dataclass(frozen=True, slots=True)
class EndedSummary:
    """All ended follows of a range: how many, and their days followed added up (whole days each, as
    `EndedFollow.days` counts them)."""

    total: int
    days: int


async def count_current(conn: Connection, direction: str, *, role: str | None = None) -> int:
    """Open follows of a direction (of one role): follow_counts, which triggers keep (migration 0025)."""
    rows = await conn.execute_fetchall(
        "SELECT coalesce(sum(open), 0) FROM follow_counts WHERE direction = :direction "
        "AND (:role IS NULL OR role = :role)",
        {"direction": direction, "role": role},
    )
    return int(next(iter(rows))[0])


_ENDED = (
    "SELECT p.id, p.username, p.role, f.started_at, f.ended_at AS seek_t, f.end_source, f.id AS seek_id "
    "FROM follow_periods f JOIN persons p ON p.id = f.person_id WHERE f.direction = :direction "
    "AND f.ended_at IS NOT NULL AND (:since IS NULL OR f.ended_at >= :since) AND {where} "
    "ORDER BY {order} LIMIT {limit}"
)


async def list_ended(conn: Connection, direction: str, *, since: str | None, seek: Seek) -> Page[EndedFollow]:
    """A page of ended periods (history is never deleted), newest end first; `since` bounds the end."""
    sql, params = seek.select(_ENDED, time="f.ended_at", row_id="f.id")
    rows = await conn.execute_fetchall(sql, {"direction": direction, "since": since, **params})
    return page_of(
        [EndedFollow(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5], Cursor(r[4], r[6])) for r in rows],
        seek,
    )


async def ended_summary(conn: Connection, direction: str, *, since: str | None) -> EndedSummary:
    """How many periods ended from `since` on (None: ever), and their whole days followed added up:
    each period's length in milliseconds (rounded: julianday() carries a float's error), floored."""
    rows = await conn.execute_fetchall(
        "SELECT count(*), coalesce(sum(CAST(round((julianday(ended_at) - julianday(started_at)) * 86400000) "
        "AS INTEGER) / 86400000), 0) FROM follow_periods WHERE direction = :direction "
        "AND ended_at IS NOT NULL AND (:since IS NULL OR ended_at >= :since)",
        {"direction": direction, "since": since},
    )
    row = next(iter(rows), None)
    return EndedSummary(int(row[0]), int(row[1])) if row else EndedSummary(0, 0)


async def first_period_start(conn: Connection, direction: str) -> datetime | None:
    rows = await conn.execute_fetchall(
        "SELECT min(started_at) FROM follow_periods WHERE direction = :direction", {"direction": direction}
    )
    row = next(iter(rows), None)
    return from_db(row[0]) if row and row[0] else None


@dataclass(frozen=True, slots=True)
class FollowRow:
    """A current follow with the person's Directory values (all unknown until a source reports)."""

    state: PersonState
    since: datetime
    source: str
    cursor: Cursor  # its place in the list: the start as stored, and the period's id


# The page's period ids, from the index of open periods by start (only they are then joined to their
# persons' state); persons are joined here only to filter by role, so skipping rows (?page=N) stays on
# the index. Named, because with statistics SQLite may prefer the index of ends (direction, ended_at IS
# NULL) and sort every open follow for one page.
_CURRENT = (
    "SELECT f.id AS seek_id, f.started_at AS seek_t "
    "FROM follow_periods f INDEXED BY idx_follow_periods_open_started {join} "
    "WHERE f.direction = :direction AND f.ended_at IS NULL AND {{where}} ORDER BY {{order}} LIMIT {{limit}}"
)
_ROLE_JOIN = "JOIN persons p ON p.id = f.person_id AND p.role = :role"


async def list_current_states(
    conn: Connection, direction: str, *, role: str | None = None, seek: Seek
) -> Page[FollowRow]:
    """A page of current follows, newest first; follows drive the query, so a person the sources have
    not reported on yet still shows (with unknown values) instead of vanishing."""
    ids, params = seek.select(
        _CURRENT.format(join=_ROLE_JOIN if role else ""), time="f.started_at", row_id="f.id"
    )
    way = "ASC" if seek.backwards else "DESC"  # the order the page was read in; page_of turns it round
    rows = await conn.execute_fetchall(
        f"SELECT p.id AS p_id, p.username AS p_username, p.role AS p_role, f.started_at, f.start_source, "  # noqa: S608 - fixed texts
        f"f.id AS period_id, {_STATE_COLUMNS} FROM ({ids}) AS page "
        "JOIN follow_periods f ON f.id = page.seek_id JOIN persons p ON p.id = f.person_id "
        f"LEFT JOIN person_state ps ON ps.person_id = f.person_id ORDER BY f.started_at {way}, f.id {way}",
        {"direction": direction, "role": role, **params},
    )
    result = []
    for row in rows:
        values = dict(row)
        state = (
            state_from_values(values)
            if values["person_id"] is not None
            else empty_state(values["p_id"], values["p_username"], values["p_role"])
        )
        cursor_at = Cursor(values["started_at"], values["period_id"])
        result.append(FollowRow(state, from_db(values["started_at"]), values["start_source"], cursor_at))
    return page_of(result, seek)
