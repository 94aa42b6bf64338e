"""Who the jobs follow closely: priority-2 persons, both follow directions, and the broadcaster."""

from __future__ import annotations

from dataclasses import dataclass

from service.clock import now_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class Tracked:
    person_id: int
    username: str
    role: str


# Ids of tracked persons; takes the :broadcaster parameter.
TRACKED_IDS = """SELECT person_id FROM lookup_queue WHERE priority = 2
    UNION SELECT person_id FROM follow_periods WHERE ended_at IS NULL
    UNION SELECT id FROM persons WHERE username = :broadcaster"""


async def tracked_persons(conn: Connection, broadcaster: str) -> list[Tracked]:
    """Every tracked person, by username."""
    async with conn.execute(
        f"SELECT id, username, role FROM persons WHERE id IN ({TRACKED_IDS}) ORDER BY username",  # noqa: S608 - constant
        {"broadcaster": broadcaster},
    ) as cursor:
        return [Tracked(int(r[0]), str(r[1]), str(r[2])) for r in await cursor.fetchall()]


async def cbhours_candidates(conn: Connection, broadcaster: str, now: str) -> list[Tracked]:
    """Tracked persons CBHours may know: not viewers, and not flagged untracked until later."""
    async with conn.execute(
        f"SELECT p.id, p.username, p.role FROM persons p LEFT JOIN person_source_flags f "  # noqa: S608 - constant
        f"ON f.person_id = p.id WHERE p.id IN ({TRACKED_IDS}) AND p.role <> 'viewer' "
        "AND (f.cbhours_untracked_until IS NULL OR f.cbhours_untracked_until <= :now) "
        "ORDER BY p.username",
        {"broadcaster": broadcaster, "now": now},
    ) as cursor:
        return [Tracked(int(r[0]), str(r[1]), str(r[2])) for r in await cursor.fetchall()]


async def mark_role(conn: Connection, person_ids: list[int], role: str, *, overwrite: bool) -> None:
    """What a source's answer says a person is: CBHours and Statbate models are models (that
    overrides an earlier guess); a Statbate member is a viewer only while nothing else is known."""
    await conn.executemany(
        "UPDATE persons SET role = :role, updated_at = :now WHERE id = :id "
        "AND role <> :role AND (:overwrite OR role = 'unknown')",
        [{"id": i, "role": role, "now": now_db(), "overwrite": int(overwrite)} for i in person_ids],
    )
