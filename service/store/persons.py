"""Platform users (models and viewers): the one place persons are created or touched."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from service.clock import now_db
from service.store.db import Connection

ROLES = ("model", "viewer", "unknown")


async def ensure_persons(
    conn: Connection, usernames: Iterable[str], *, seen_at: str | None = None
) -> dict[str, int]:
    """username → person id, creating missing persons; `seen_at` also moves first/last seen.

    Usernames must already be normalised. Two statements whatever the number of names (an Events
    batch brings hundreds), both inside the caller's transaction.
    """
    names = list(dict.fromkeys(usernames))
    if not names:
        return {}
    now = now_db()
    await conn.executemany(
        "INSERT INTO persons (username, first_seen_at, last_seen_at, created_at, updated_at) "
        "VALUES (:name, :seen, :seen, :now, :now) ON CONFLICT (username) DO UPDATE SET "
        "first_seen_at = CASE WHEN :seen IS NULL THEN first_seen_at "
        "  ELSE min(coalesce(first_seen_at, :seen), :seen) END, "
        "last_seen_at = CASE WHEN :seen IS NULL THEN last_seen_at "
        "  ELSE max(coalesce(last_seen_at, :seen), :seen) END",
        [{"name": name, "seen": seen_at, "now": now} for name in names],
    )
    # The join compares with the column's NOCASE collation, as the unique index does.
    rows = await conn.execute_fetchall(
        "SELECT n.value AS name, p.id FROM json_each(:names) n JOIN persons p ON p.username = n.value",
        {"names": json.dumps(names)},
    )
    ids = {str(row["name"]): int(row["id"]) for row in rows}
    if missing := [name for name in names if name not in ids]:
        raise RuntimeError(f"persons {missing!r} vanished inside their own transaction")
    return ids


@dataclass(frozen=True, slots=True)
class KnownPerson:
    id: int
    role: str
    last_seen_at: str | None


async def find_persons(conn: Connection, usernames: Iterable[str]) -> dict[str, KnownPerson]:
    """username → the stored person, for those of these names that exist (one statement)."""
    names = list(usernames)
    if not names:
        return {}
    # One statement text whatever the count (the names travel as JSON): SQLite prepares it once per
    # connection instead of once per batch, which cost more than the lookup itself.
    sql = (
        "SELECT id, username, role, last_seen_at FROM persons "
        "WHERE username IN (SELECT value FROM json_each(:names))"
    )
    return {
        row["username"]: KnownPerson(int(row["id"]), row["role"], row["last_seen_at"])
        for row in await conn.execute_fetchall(sql, {"names": json.dumps(names)})
    }


async def set_role(conn: Connection, person_id: int, role: str, *, overwrite: bool = False) -> None:
    """Record what a person is; a known role is only replaced when `overwrite` is set."""
    if role not in ROLES:
        raise ValueError(f"unknown person role {role!r}")
    await conn.execute(
        "UPDATE persons SET role = :role, updated_at = :now WHERE id = :id "
        "AND (:overwrite OR role = 'unknown')",
        {"role": role, "now": now_db(), "id": person_id, "overwrite": int(overwrite)},
    )


async def set_unknown_roles(conn: Connection, person_ids: Collection[int], role: str) -> None:
    """Record what these persons are, where it is not known yet (one statement)."""
    if role not in ROLES:
        raise ValueError(f"unknown person role {role!r}")
    if not person_ids:
        return
    await conn.execute(
        "UPDATE persons SET role = :role, updated_at = :now "
        "WHERE id IN (SELECT value FROM json_each(:ids)) AND role = 'unknown'",
        {"role": role, "now": now_db(), "ids": json.dumps(sorted(person_ids))},
    )


async def get_person_id(conn: Connection, username: str) -> int | None:
    async with conn.execute("SELECT id FROM persons WHERE username = :name", {"name": username}) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else None
