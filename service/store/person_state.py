"""The materialised current state per person: `person_state` and `person_tags` from the view.

`v_person_current_state` holds the source-priority rules (schema.sql); this module only copies
its rows into the indexed table the Directory sorts, for the persons a job touched, inside the
caller's transaction so the table never disagrees with what was just stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from service.store.db import Connection

COLUMNS = (
    "person_id", "username", "role",
    "display_name", "display_name_source", "display_name_at",
    "age", "age_source", "age_at",
    "gender", "gender_source", "gender_at",
    "is_live", "live_source", "live_at", "current_show",
    "followers", "followers_source", "followers_at",
    "rank", "rank_source", "rank_at",
    "tags", "tags_source", "tags_at",
    "image_sha256", "image_url", "last_seen_at",
    "priority", "lookup_status", "snapshot_count", "events_count",
)  # fmt: skip
SOURCES = ("affiliate", "cbhours", "scrape", "stats", "history")

_COLUMN_LIST = ", ".join(COLUMNS)
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
# Built from the constant column list above, never from input. `WHERE true` keeps SQLite from
# reading ON CONFLICT as a join constraint of the SELECT.
_UPSERT = (
    f"INSERT INTO person_state ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "  # noqa: S608
    "FROM v_person_current_state {where} ON CONFLICT (person_id) DO UPDATE SET " + _UPDATES
)
_TAGS = (
    "INSERT OR IGNORE INTO person_tags (person_id, tag, role) "
    "SELECT s.person_id, lower(t.value), s.role FROM person_state s, json_each(s.tags) t "
    "WHERE s.tags IS NOT NULL AND t.type = 'text' AND t.value <> '' {filter}"
)


def tags_insert(filter_sql: str) -> str:
    """person_tags rows from person_state.tags, for the rows `filter_sql` (a constant `AND …`) keeps."""
    return _TAGS.format(filter=filter_sql)


# Persons among temp.refresh_ids whose tags or role differ from before the refresh: only their
# person_tags rows (which carry the role) are rewritten (a sweep refreshes 20,000 persons, few of
# whom change either).
_TAGS_CHANGED = (
    "SELECT r.person_id FROM temp.refresh_ids r JOIN person_state s ON s.person_id = r.person_id "
    "WHERE s.tags IS NOT r.old_tags OR s.role IS NOT r.old_role"
)


async def _ids_table(conn: Connection) -> None:
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS refresh_ids "
        "(person_id INTEGER PRIMARY KEY, old_tags TEXT, old_role TEXT)"
    )
    await conn.execute("DELETE FROM temp.refresh_ids")


async def _remember_tags(conn: Connection) -> int:
    await conn.execute(
        "UPDATE temp.refresh_ids AS r SET old_tags = s.tags, old_role = s.role "
        "FROM person_state s WHERE s.person_id = r.person_id"
    )
    async with conn.execute("SELECT count(*) FROM temp.refresh_ids") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def refresh(conn: Connection, person_ids: Iterable[int]) -> int:
    """Recompute person_state and person_tags for these persons; returns how many were asked."""
    await _ids_table(conn)
    rows = [(int(i),) for i in set(person_ids)]
    await conn.executemany("INSERT INTO temp.refresh_ids (person_id) VALUES (?)", rows)
    return await _refresh_loaded(conn)


async def refresh_selected(conn: Connection, select_ids: str) -> int:
    """As refresh(), for the ids a constant SELECT names (a staging table's): no round trip."""
    await _ids_table(conn)
    await conn.execute(f"INSERT OR IGNORE INTO temp.refresh_ids (person_id) {select_ids}")
    return await _refresh_loaded(conn)


async def _refresh_loaded(conn: Connection) -> int:
    count = await _remember_tags(conn)
    if not count:
        return 0
    where = "WHERE person_id IN (SELECT person_id FROM temp.refresh_ids)"
    await conn.execute(_UPSERT.format(where=where))
    await conn.execute(f"DELETE FROM person_tags WHERE person_id IN ({_TAGS_CHANGED})")  # noqa: S608 - constant
    await conn.execute(_TAGS.format(filter=f"AND s.person_id IN ({_TAGS_CHANGED})"))
    return count


async def refresh_all(conn: Connection) -> int:
    """Recompute every person's row (after a migration or a rule change); returns the row count."""
    await conn.execute("DELETE FROM person_state WHERE person_id NOT IN (SELECT id FROM persons)")
    await conn.execute(_UPSERT.format(where="WHERE true"))
    await conn.execute("DELETE FROM person_tags")
    await conn.execute(_TAGS.format(filter=""))
    async with conn.execute("SELECT count(*) FROM person_state") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def refresh_stale_live(conn: Connection) -> int:
    """Re-evaluate persons shown live whose evidence has aged out of its freshness window.

    person_state is only refreshed for touched persons, so a room that left the feed would stay
    "live" forever without this; the view decides what they are now (CBHours or history).
    """
    async with conn.execute(
        "SELECT person_id FROM person_state WHERE is_live = 1 AND ("
        "(live_source = 'affiliate' AND live_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes')) "
        "OR (live_source = 'cbhours' AND live_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 minutes')))"
    ) as cursor:
        ids = [int(row[0]) for row in await cursor.fetchall()]
    return await refresh(conn, ids)


async def reconcile(conn: Connection) -> int:
    """Refresh rows other writers left behind; returns how many persons were refreshed.

    Persons created elsewhere (events, follows, the extension) have no row yet, and the events
    stream moves person_room_stats.events without touching person_state; both are caught here,
    along with live statuses that have gone stale.
    """
    async with conn.execute(
        "SELECT p.id FROM persons p LEFT JOIN person_state s ON s.person_id = p.id "
        "WHERE s.person_id IS NULL "
        "UNION SELECT r.person_id FROM person_room_stats r JOIN person_state s ON s.person_id = r.person_id "
        "WHERE s.events_count <> r.events"
    ) as cursor:
        ids = [int(row[0]) for row in await cursor.fetchall()]
    return await refresh(conn, ids) + await refresh_stale_live(conn)
