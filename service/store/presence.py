"""Who is in the own room: one `room_presence` row per person, describing their latest stay.

A person is present while their row has no `left_at` and names the open broadcast. Ingest decides the
rows (service/ingest/presence.py); these functions read and write them, and read the stored events a
row is recomputed from when a broadcast adopted events afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from service.store.db import Connection

# Events of the room itself rather than of a person in it.
ROOM_METHODS = ("broadcastStart", "broadcastStop", "roomSubjectChange")


@dataclass(slots=True)  # not frozen: one is made per event, at half the cost
class Stay:
    person_id: int
    broadcast_id: int | None
    entered_at: str
    last_event_at: str
    left_at: str | None = None


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """One stored event as presence reads it."""

    person_id: int
    at: str
    method: str
    broadcast_id: int | None


async def stays(conn: Connection, person_ids: Collection[int]) -> dict[int, Stay]:
    """The stored latest stay of each of these persons that has one."""
    if not person_ids:
        return {}
    rows = await conn.execute_fetchall(
        "SELECT person_id, broadcast_id, entered_at, last_event_at, left_at FROM room_presence "
        "WHERE person_id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(sorted(person_ids))},
    )
    return {row[0]: Stay(row[0], row[1], row[2], row[3], row[4]) for row in rows}


async def save(conn: Connection, rows: Iterable[Stay]) -> None:
    await conn.executemany(
        "INSERT INTO room_presence (person_id, broadcast_id, entered_at, last_event_at, left_at) "
        "VALUES (:person, :broadcast, :entered, :last, :left) ON CONFLICT (person_id) DO UPDATE SET "
        "broadcast_id = excluded.broadcast_id, entered_at = excluded.entered_at, "
        "last_event_at = excluded.last_event_at, left_at = excluded.left_at",
        [
            {"person": s.person_id, "broadcast": s.broadcast_id, "entered": s.entered_at,
             "last": s.last_event_at, "left": s.left_at}
            for s in rows
        ],
    )  # fmt: skip


_PERSON_EVENTS = (
    "e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS NOT :broadcaster "
    "AND e.method NOT IN ('broadcastStart', 'broadcastStop', 'roomSubjectChange')"
)


async def persons_in_broadcasts(
    conn: Connection, broadcast_ids: Collection[int], broadcaster_id: int | None
) -> set[int]:
    """The persons with a presence-counting event in any of these broadcasts."""
    if not broadcast_ids:
        return set()
    rows = await conn.execute_fetchall(
        f"SELECT DISTINCT e.person_id FROM room_events e WHERE {_PERSON_EVENTS} "  # noqa: S608 - fixed
        "AND e.broadcast_id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(sorted(broadcast_ids)), "broadcaster": broadcaster_id},
    )
    return {row[0] for row in rows}


async def person_events(
    conn: Connection, person_ids: Collection[int], broadcaster_id: int | None
) -> list[PresenceEvent]:
    """Every presence-counting stored event of these persons, oldest first."""
    if not person_ids:
        return []
    rows = await conn.execute_fetchall(
        f"SELECT e.person_id, e.at, e.method, e.broadcast_id FROM room_events e WHERE {_PERSON_EVENTS} "  # noqa: S608
        "AND e.person_id IN (SELECT value FROM json_each(:ids)) ORDER BY e.ms, e.seq",
        {"ids": json.dumps(sorted(person_ids)), "broadcaster": broadcaster_id},
    )
    return [PresenceEvent(row[0], row[1], row[2], row[3]) for row in rows]


async def every_person_event(conn: Connection, broadcaster_id: int | None) -> list[PresenceEvent]:
    """Every presence-counting stored event, by person then time (for `mhc check`)."""
    rows = await conn.execute_fetchall(
        f"SELECT e.person_id, e.at, e.method, e.broadcast_id FROM room_events e WHERE {_PERSON_EVENTS} "  # noqa: S608
        "ORDER BY e.person_id, e.ms, e.seq",
        {"broadcaster": broadcaster_id},
    )
    return [PresenceEvent(row[0], row[1], row[2], row[3]) for row in rows]


async def all_stays(conn: Connection) -> dict[int, Stay]:
    """Every stored stay (for checks and tests)."""
    rows = await conn.execute_fetchall(
        "SELECT person_id, broadcast_id, entered_at, last_event_at, left_at FROM room_presence"
    )
    return {row[0]: Stay(row[0], row[1], row[2], row[3], row[4]) for row in rows}


async def previous_seen(conn: Connection, person_id: int, before_ms: int) -> str | None:
    """When this person was last seen in the room (any named event) before `before_ms`."""
    rows = await conn.execute_fetchall(
        "SELECT max(at) FROM room_events WHERE person_id = :person AND ms < :ms AND NOT is_anon",
        {"person": person_id, "ms": before_ms},
    )
    value = next(iter(rows))[0]
    return None if value is None else str(value)
