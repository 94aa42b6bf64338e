"""Reading whole data tables for `mhc export`. Secrets, hashes and sessions are never exported."""

from __future__ import annotations

from collections.abc import AsyncIterator

from service.store.db import Connection

# Export file name → the relation it reads. Panel accounts, sessions, setup links, settings (which
# hold tokens), extension tokens and raw upstream payloads are deliberately absent; room events
# come through v_room_events_public, which shows anonymous tippers as "anonymous".
EXPORTS: dict[str, str] = {
    "persons": "persons",
    "person_state": "person_state",
    "follow_periods": "follow_periods",
    "follow_state": "v_person_follow_state",
    "room_events": "v_room_events_public",
    "broadcasts": "broadcasts",
    # Each broadcast's written summary: its figures (facts) and sentences, as JSON text.
    "broadcast_summaries": "broadcast_reports",
    # The fan ledger, by person id (persons.csv names them); anonymous tips count for nobody in it.
    "fan_ledger": "person_room_stats",
    "broadcast_attendance": "broadcast_attendance",
    "token_history": "token_history",
    "affiliate_sessions": "affiliate_api_snapshots",
    "follower_history": "follower_history",
    "stats_snapshots": "stats_snapshots",
    "job_runs": "job_runs",
    "fan_lists": "fan_lists",
    "fan_list_members": "v_fan_list_members",
}
# Private data, written only when asked for (`mhc export --include-notes`).
PRIVATE_EXPORTS: dict[str, str] = {
    "notes": "v_person_notes",
}
EXPORTED_TABLES: tuple[str, ...] = tuple(EXPORTS)


def exported_tables(*, include_notes: bool = False) -> tuple[str, ...]:
    """The files an export writes; notes only when asked for."""
    return EXPORTED_TABLES + (tuple(PRIVATE_EXPORTS) if include_notes else ())


def _relation(name: str) -> str:
    relation = EXPORTS.get(name) or PRIVATE_EXPORTS.get(name)
    if relation is None:
        raise ValueError(f"{name} is not exportable")
    return relation


async def columns(conn: Connection, name: str) -> list[str]:
    relation = _relation(name)
    async with conn.execute(f"SELECT * FROM {relation} LIMIT 0") as cursor:  # noqa: S608 - allow-listed
        return [d[0] for d in cursor.description]


# Exports whose key is more than their first column, ordered by the whole key so the file keeps its
# order whatever the table's own (follower_history: person, source, time, as before 0027).
_ORDER = {"follower_history": "1, 3, 2"}


async def rows(conn: Connection, name: str) -> AsyncIterator[tuple[object, ...]]:
    relation = _relation(name)
    # ORDER BY 1: views have no rowid; every exported relation starts with its key.
    order = _ORDER.get(name, "1")
    async with conn.execute(f"SELECT * FROM {relation} ORDER BY {order}") as cursor:  # noqa: S608
        async for row in cursor:
            yield tuple(row)
