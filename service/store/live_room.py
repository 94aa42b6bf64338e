"""The live room: who is in the open broadcast now, with their fan figures, and its latest tips.

Present = a `room_presence` row without `left_at` whose broadcast is the open one (ended_at IS NULL).
Reads the ledger tables and the presence rows; the tip feed reads the open broadcast's tip events.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class Ledger:
    person_id: int
    lifetime: int
    last_tip_at: str | None
    recent: int  # tokens spent since `recent_since` (0 when not asked)


async def ledgers(
    conn: Connection, person_ids: Collection[int], *, recent_since: str | None = None
) -> dict[int, Ledger]:
    """Lifetime tokens, last tip and (with `recent_since`, a UTC day) tokens spent since, of each of
    these persons with a ledger row."""
    if not person_ids:
        return {}
    recent = (
        "(SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d "
        "WHERE d.person_id = s.person_id AND d.day >= :since)"
        if recent_since is not None
        else "0"
    )
    rows = await conn.execute_fetchall(
        f"SELECT s.person_id, s.lifetime_tokens, s.last_tip_at, {recent} FROM person_room_stats s "  # noqa: S608
        "WHERE s.person_id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(sorted(person_ids)), "since": recent_since},
    )
    return {row[0]: Ledger(row[0], int(row[1] or 0), row[2], int(row[3])) for row in rows}


@dataclass(frozen=True, slots=True)
class Present:
    person_id: int
    username: str
    entered_at: str
    last_event_at: str
    lifetime: int
    broadcast_tokens: int  # this broadcast's tips and media (broadcast_attendance)
    fanclub_since: str | None
    follower_since: str | None  # an open follower period
    previous_visit: str | None  # the first moment of their latest earlier broadcast attended


async def present(conn: Connection, broadcast_id: int, *, limit: int = 1000) -> list[Present]:
    """Everyone in the room of this (open) broadcast now, by lifetime tokens then name."""
    rows = await conn.execute_fetchall(
        "SELECT r.person_id, p.username, r.entered_at, r.last_event_at, "
        " coalesce(s.lifetime_tokens, 0) AS lifetime, coalesce(a.tokens, 0) AS here, s.fanclub_since, "
        " (SELECT min(f.started_at) FROM follow_periods f WHERE f.person_id = r.person_id "
        "  AND f.direction = 'follower' AND f.ended_at IS NULL) AS follower_since, "
        " (SELECT max(b.first_at) FROM broadcast_attendance b WHERE b.person_id = r.person_id "
        "  AND b.broadcast_id != r.broadcast_id) AS previous_visit "
        "FROM room_presence r JOIN persons p ON p.id = r.person_id "
        "LEFT JOIN person_room_stats s ON s.person_id = r.person_id "
        "LEFT JOIN broadcast_attendance a ON a.broadcast_id = r.broadcast_id AND a.person_id = r.person_id "
        "WHERE r.broadcast_id = :broadcast AND r.left_at IS NULL "
        "ORDER BY lifetime DESC, p.username LIMIT :limit",
        {"broadcast": broadcast_id, "limit": limit},
    )
    return [Present(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class Departure:
    username: str
    left_at: str


async def departed(conn: Connection, broadcast_id: int, *, limit: int = 20) -> list[Departure]:
    """Who left this broadcast's room most recently (and has not come back)."""
    rows = await conn.execute_fetchall(
        "SELECT p.username, r.left_at FROM room_presence r JOIN persons p ON p.id = r.person_id "
        "WHERE r.broadcast_id = :broadcast AND r.left_at IS NOT NULL ORDER BY r.left_at DESC LIMIT :limit",
        {"broadcast": broadcast_id, "limit": limit},
    )
    return [Departure(row[0], row[1]) for row in rows]


@dataclass(frozen=True, slots=True)
class Tip:
    id: str
    at: str
    username: str | None  # None: anonymous
    tokens: int
    message: str | None


async def tips(conn: Connection, broadcast_id: int, *, limit: int = 30) -> list[Tip]:
    """The broadcast's latest tips, newest first; an anonymous tip has no name."""
    rows = await conn.execute_fetchall(
        "SELECT e.id, e.at, CASE WHEN e.is_anon THEN NULL ELSE p.username END, e.tokens, e.message "
        "FROM room_events e LEFT JOIN persons p ON p.id = e.person_id "
        "WHERE e.broadcast_id = :broadcast AND e.method = 'tip' ORDER BY e.ms DESC, e.seq DESC LIMIT :limit",
        {"broadcast": broadcast_id, "limit": limit},
    )
    return [Tip(row[0], row[1], row[2], int(row[3]), row[4]) for row in rows]
