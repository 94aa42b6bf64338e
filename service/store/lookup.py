"""The lookup queue: priority 1 = look a person up once, priority 2 = track them continuously.

A P1 entry starts `pending` and always ends `done` or `not_found` with a reason (the lookup job
gives up after the sources have had their chance), so a viewer never stays pending forever. A P2
entry is `tracking` for as long as it exists; every tracked set of the jobs includes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiosqlite import Row

from service.clock import now_db
from service.store import person_state
from service.store.db import Connection
from service.store.persons import ensure_persons
from service.usernames import normalise_username

PRIORITIES = (1, 2)
FINAL = ("done", "not_found")


@dataclass(frozen=True, slots=True)
class QueueEntry:
    person_id: int
    username: str
    priority: int
    status: str
    note: str
    queued_by: str
    queued_at: str
    updated_at: str
    attempts: int
    found_in: str
    reason: str | None
    finished_at: str | None


async def enqueue(conn: Connection, username: str, priority: int, note: str, queued_by: str) -> int:
    """Queue a person (created if unknown); returns the person id.

    P2 always wins: asking for a one-off lookup of a tracked person keeps tracking it (only the
    note changes). A P1 request for anyone else starts a fresh lookup.
    """
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be 1 or 2, not {priority!r}")
    name = normalise_username(username)
    person_id = (await ensure_persons(conn, [name]))[name]
    now = now_db()
    await conn.execute(
        "INSERT INTO lookup_queue (person_id, priority, status, note, queued_by, queued_at, updated_at) "
        "VALUES (:id, :priority, :status, :note, :by, :now, :now) "
        "ON CONFLICT (person_id) DO UPDATE SET "
        "note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE lookup_queue.note END, "
        "updated_at = excluded.updated_at, "
        "priority = max(lookup_queue.priority, excluded.priority), "
        "status = CASE WHEN max(lookup_queue.priority, excluded.priority) = 2 THEN 'tracking' "
        "  ELSE 'pending' END, "
        "queued_by = CASE WHEN lookup_queue.priority = 2 THEN lookup_queue.queued_by "
        "  ELSE excluded.queued_by END, "
        "queued_at = CASE WHEN lookup_queue.priority = 2 THEN lookup_queue.queued_at "
        "  ELSE excluded.queued_at END, "
        "attempts = CASE WHEN lookup_queue.priority = 2 THEN lookup_queue.attempts ELSE 0 END, "
        "found_in = CASE WHEN lookup_queue.priority = 2 THEN lookup_queue.found_in ELSE '' END, "
        "reason = NULL, finished_at = NULL",
        {
            "id": person_id,
            "priority": priority,
            "status": "tracking" if priority == 2 else "pending",
            "note": note.strip(),
            "by": queued_by,
            "now": now,
        },
    )
    await person_state.refresh(conn, [person_id])
    return person_id


async def remove(conn: Connection, person_id: int) -> bool:
    """Drop a person from the queue (stop tracking); True if there was an entry."""
    cursor = await conn.execute("DELETE FROM lookup_queue WHERE person_id = :id", {"id": person_id})
    await person_state.refresh(conn, [person_id])
    return cursor.rowcount == 1


def _entry(row: Row) -> QueueEntry:
    # The SELECT below lists the columns in the dataclass's field order.
    return QueueEntry(*tuple(row))


_SELECT = (
    "SELECT q.person_id, p.username, q.priority, q.status, q.note, q.queued_by, q.queued_at, "
    "q.updated_at, q.attempts, q.found_in, q.reason, q.finished_at "
    "FROM lookup_queue q JOIN persons p ON p.id = q.person_id "
)


async def list_queue(conn: Connection, *, status: str | None = None) -> list[QueueEntry]:
    """Every entry (or those with `status`): pending first, then by priority and age."""
    async with conn.execute(
        _SELECT + "WHERE :status IS NULL OR q.status = :status "
        "ORDER BY q.status <> 'pending', q.priority DESC, q.queued_at, p.username",
        {"status": status},
    ) as cursor:
        return [_entry(row) for row in await cursor.fetchall()]


async def get_entry(conn: Connection, person_id: int) -> QueueEntry | None:
    async with conn.execute(_SELECT + "WHERE q.person_id = :id", {"id": person_id}) as cursor:
        row = await cursor.fetchone()
    return _entry(row) if row else None


async def note_found(conn: Connection, person_ids: list[int], source: str) -> None:
    """Remember that a source knew these persons (any status; P2 rows keep it for display)."""
    await conn.executemany(
        "UPDATE lookup_queue SET found_in = CASE WHEN instr(',' || found_in || ',', ',' || :src || ',') "
        "THEN found_in WHEN found_in = '' THEN :src ELSE found_in || ',' || :src END, "
        "updated_at = :now WHERE person_id = :id",
        [{"id": i, "src": source, "now": now_db()} for i in person_ids],
    )


async def record_attempt(conn: Connection, person_id: int) -> None:
    await conn.execute(
        "UPDATE lookup_queue SET attempts = attempts + 1, updated_at = :now WHERE person_id = :id",
        {"id": person_id, "now": now_db()},
    )


async def finish(conn: Connection, person_id: int, status: str, reason: str | None) -> None:
    """End a pending P1 lookup as done or not_found (with why); P2 entries are left alone."""
    if status not in FINAL:
        raise ValueError(f"a lookup ends as done or not_found, not {status!r}")
    now = now_db()
    await conn.execute(
        "UPDATE lookup_queue SET status = :status, reason = :reason, finished_at = :now, "
        "updated_at = :now WHERE person_id = :id AND status = 'pending'",
        {"id": person_id, "status": status, "reason": reason, "now": now},
    )
    await person_state.refresh(conn, [person_id])


async def roles(conn: Connection, person_ids: list[int]) -> dict[int, str]:
    """person id → role, for the lookup job's choice of endpoints."""
    async with conn.execute(
        "SELECT id, role FROM persons WHERE id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(person_ids)},
    ) as cursor:
        return {int(r[0]): str(r[1]) for r in await cursor.fetchall()}


async def queue_unknown_roles_of_snapshot(conn: Connection, *, note: str, at: str, limit: int) -> list[int]:
    """Queue a one-off (P1) lookup for up to `limit` persons of the snapshot just loaded
    (temp.snapshot_people, `snapshots.load_names`) whose role is still unknown and who are not queued
    already: the lookup finds out whether each is a model or a viewer. Returns their ids."""
    rows = await conn.execute_fetchall(
        "SELECT p.id FROM temp.snapshot_people s JOIN persons p ON p.id = s.person_id "
        "WHERE p.role = 'unknown' AND NOT EXISTS (SELECT 1 FROM lookup_queue q WHERE q.person_id = p.id) "
        "ORDER BY p.id LIMIT :limit",
        {"limit": limit},
    )
    ids = [int(row[0]) for row in rows]
    await conn.executemany(
        "INSERT INTO lookup_queue (person_id, priority, status, note, queued_by, queued_at, updated_at) "
        "VALUES (:id, 1, 'pending', :note, 'extension', :at, :at)",
        [{"id": person_id, "note": note, "at": at} for person_id in ids],
    )
    await person_state.refresh(conn, ids)
    return ids
