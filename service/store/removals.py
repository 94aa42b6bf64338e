"""Held and suspected removals: as the panel lists and resolves them, as a profile scrape settles
them (`ingest.follows` decides when), and reverting a snapshot."""

from __future__ import annotations

from service.clock import from_db, now_db
from service.store.db import Connection
from service.store.snapshots import Removal, close_confirmed_periods, snapshot_ref


async def list_removals(conn: Connection, direction: str, state: str, *, limit: int = 500) -> list[Removal]:
    """Held or suspected removals whose period is still open (others are settled, not pending)."""
    async with conn.execute(
        "SELECT r.*, p.username, p.role, f.started_at AS since FROM follow_removals r "
        "JOIN persons p ON p.id = r.person_id JOIN follow_periods f ON f.id = r.period_id "
        "WHERE r.direction = :direction AND r.state = :state AND f.ended_at IS NULL "
        "ORDER BY r.missing_since DESC, p.username LIMIT :limit",
        {"direction": direction, "state": state, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Removal(
            id=r["id"],
            person_id=r["person_id"],
            username=r["username"],
            role=r["role"],
            direction=r["direction"],
            snapshot_id=r["snapshot_id"],
            missing_since=from_db(r["missing_since"]),
            state=r["state"],
            since=from_db(r["since"]),
        )
        for r in rows
    ]


async def get_removal_state(conn: Connection, removal_id: int) -> tuple[str, int] | None:
    """(state, snapshot id) of a removal."""
    async with conn.execute(
        "SELECT state, snapshot_id FROM follow_removals WHERE id = :id", {"id": removal_id}
    ) as cursor:
        row = await cursor.fetchone()
    return (row["state"], row["snapshot_id"]) if row else None


async def confirm_suspected(conn: Connection, removal_id: int, *, by: str) -> bool:
    """A person confirms a suspected removal: the period closes as 'manual', naming the snapshot."""
    state = await get_removal_state(conn, removal_id)
    if state is None or state[0] != "suspected":
        return False
    await _confirm(conn, removal_id, source="manual", ref=snapshot_ref(state[1]))
    return True


async def _confirm(conn: Connection, removal_id: int, *, source: str, ref: str) -> None:
    """Confirm one removal and close its period at the time it went missing, naming `ref`."""
    await conn.execute(
        "UPDATE follow_removals SET state = 'confirmed', resolved_at = :now, resolved_source = :source, "
        "resolved_ref = :ref WHERE id = :id",
        {"now": now_db(), "source": source, "ref": ref, "id": removal_id},
    )
    await close_confirmed_periods(conn, ref=ref, source=source)


async def release_held(conn: Connection, removal_id: int) -> bool:
    """A person lets a held removal through: it becomes suspected like any ordinary removal."""
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'suspected' WHERE id = :id AND state = 'held'", {"id": removal_id}
    )
    return cursor.rowcount == 1


async def dismiss(conn: Connection, removal_id: int, *, by: str) -> bool:
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'dismissed', resolved_at = :now, resolved_source = 'manual', "
        "resolved_ref = :by WHERE id = :id AND state IN ('held', 'suspected')",
        {"now": now_db(), "by": f"user:{by}", "id": removal_id},
    )
    return cursor.rowcount == 1


async def revert_snapshot(conn: Connection, snapshot_id: int, *, by: str) -> bool:
    """Undo everything one snapshot did; False if it was already reverted or does not exist.

    Periods it opened are deleted (they rested on its word alone), periods it closed reopen, and
    its pending removals are dismissed. Removals it confirmed go back to suspected.
    """
    ref = snapshot_ref(snapshot_id)
    now = now_db()
    cursor = await conn.execute(
        "UPDATE list_snapshots SET status = 'reverted', reverted_at = :now, reverted_by = :by "
        "WHERE id = :id AND status != 'reverted'",
        {"now": now, "by": by, "id": snapshot_id},
    )
    if cursor.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE follow_removals SET state = 'dismissed', resolved_at = :now, resolved_source = 'manual', "
        "resolved_ref = :revert WHERE snapshot_id = :id AND state IN ('held', 'suspected')",
        {"now": now, "revert": f"revert:{snapshot_id}", "id": snapshot_id},
    )
    await conn.execute(
        "UPDATE follow_periods SET ended_at = NULL, end_source = NULL, end_ref = NULL "
        "WHERE end_source = 'list_snapshot' AND end_ref = :ref "
        "AND NOT EXISTS (SELECT 1 FROM follow_periods o "
        "WHERE o.person_id = follow_periods.person_id AND o.direction = follow_periods.direction "
        "AND o.ended_at IS NULL)",
        {"ref": ref},
    )
    await conn.execute(
        "UPDATE OR IGNORE follow_removals SET state = 'suspected', resolved_at = NULL, "
        "resolved_source = NULL, resolved_ref = NULL WHERE state = 'confirmed' AND resolved_ref = :ref "
        "AND resolved_source = 'list_snapshot'",
        {"ref": ref},
    )
    await conn.execute(
        "DELETE FROM follow_periods WHERE start_source = 'list_snapshot' AND start_ref = :ref", {"ref": ref}
    )
    return True


async def suspected_following_removal(conn: Connection, person_id: int) -> int | None:
    """The id of this person's suspected 'following' removal whose period is still open."""
    async with conn.execute(
        "SELECT r.id FROM follow_removals r JOIN follow_periods f ON f.id = r.period_id "
        "WHERE r.person_id = :person AND r.direction = 'following' AND r.state = 'suspected' "
        "AND f.ended_at IS NULL",
        {"person": person_id},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def confirm_by_scrape(conn: Connection, removal_id: int, *, ref: str) -> None:
    """A profile page showing 'not following' confirms the suspicion; the period closes naming the scrape."""
    await _confirm(conn, removal_id, source="profile_scrape", ref=ref)


async def dismiss_by_scrape(conn: Connection, person_id: int, *, ref: str) -> int:
    """A profile page showing 'following' answers a doubt about that follow: dismiss it."""
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'dismissed', resolved_at = :now, "
        "resolved_source = 'profile_scrape', resolved_ref = :ref "
        "WHERE person_id = :person AND direction = 'following' AND state IN ('held', 'suspected')",
        {"now": now_db(), "ref": ref, "person": person_id},
    )
    return cursor.rowcount
