"""Alert rules as stored (`alert_rules`): listed, read for evaluation, created, changed, deleted.

`params` is JSON validated by service/alert_rules.py on the way in; a row whose params no longer
validate (a rule written by a newer version) is left out of evaluation and shown as broken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite
from pydantic import ValidationError

from service.alert_rules import Kind, Params, QuietHours, Rule, params_from_json
from service.store.db import Connection

_COLUMNS = (
    "id, kind, name, params, cooldown_seconds, quiet_start_minute, quiet_end_minute, quiet_tz, enabled, "
    "created_at"
)


@dataclass(frozen=True, slots=True)
class RuleInput:
    kind: Kind
    name: str
    params: Params
    cooldown_seconds: int
    quiet: QuietHours | None


def _rule(row: aiosqlite.Row) -> Rule | None:
    try:
        params = params_from_json(row["kind"], row["params"])
    except (ValidationError, ValueError, KeyError):
        return None
    start, end = row["quiet_start_minute"], row["quiet_end_minute"]
    quiet = None if start is None or end is None else QuietHours(start, end, row["quiet_tz"] or "UTC")
    return Rule(
        id=row["id"], kind=row["kind"], name=row["name"], params=params,
        cooldown_seconds=row["cooldown_seconds"], quiet=quiet, enabled=bool(row["enabled"]),
        created_at=row["created_at"],
    )  # fmt: skip


async def list_rules(conn: Connection) -> list[Rule]:
    """Every rule that reads, by kind then name."""
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM alert_rules ORDER BY kind, name COLLATE NOCASE, id"  # noqa: S608 - fixed
    )
    return [rule for row in rows if (rule := _rule(row)) is not None]


async def enabled_rules(conn: Connection, kinds: frozenset[str]) -> list[Rule]:
    """The enabled rules of these kinds, oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM alert_rules WHERE enabled AND kind IN "  # noqa: S608 - fixed
        "(SELECT value FROM json_each(:kinds)) ORDER BY id",
        {"kinds": json.dumps(sorted(kinds))},
    )
    return [rule for row in rows if (rule := _rule(row)) is not None]


async def get_rule(conn: Connection, rule_id: int) -> Rule | None:
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM alert_rules WHERE id = :id",  # noqa: S608 - fixed
        {"id": rule_id},
    )
    found = next(iter(rows), None)
    return None if found is None else _rule(found)


def _values(rule: RuleInput) -> dict[str, object]:
    quiet = rule.quiet
    return {
        "kind": rule.kind, "name": rule.name, "params": rule.params.model_dump_json(exclude_defaults=False),
        "cooldown": rule.cooldown_seconds, "qs": quiet.start_minute if quiet else None,
        "qe": quiet.end_minute if quiet else None, "tz": quiet.tz if quiet else None,
    }  # fmt: skip


async def insert_rule(conn: Connection, rule: RuleInput, *, at: str, created_by: int | None) -> int:
    cursor = await conn.execute(
        "INSERT INTO alert_rules (kind, name, params, cooldown_seconds, quiet_start_minute, "
        "quiet_end_minute, quiet_tz, created_at, created_by) "
        "VALUES (:kind, :name, :params, :cooldown, :qs, :qe, :tz, :at, :by)",
        {**_values(rule), "at": at, "by": created_by},
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update_rule(conn: Connection, rule_id: int, rule: RuleInput) -> bool:
    """Change a rule (its kind stays); False if there is no such rule."""
    cursor = await conn.execute(
        "UPDATE alert_rules SET name = :name, params = :params, cooldown_seconds = :cooldown, "
        "quiet_start_minute = :qs, quiet_end_minute = :qe, quiet_tz = :tz WHERE id = :id AND kind = :kind",
        {**_values(rule), "id": rule_id},
    )
    return cursor.rowcount == 1


async def set_enabled(conn: Connection, rule_id: int, *, enabled: bool) -> bool:
    cursor = await conn.execute(
        "UPDATE alert_rules SET enabled = :on WHERE id = :id", {"on": int(enabled), "id": rule_id}
    )
    return cursor.rowcount == 1


async def delete_rule(conn: Connection, rule_id: int) -> bool:
    """Delete a rule; the alerts it raised stay (they name it by id only)."""
    cursor = await conn.execute("DELETE FROM alert_rules WHERE id = :id", {"id": rule_id})
    return cursor.rowcount == 1


@dataclass(frozen=True, slots=True)
class FollowerRemoval:
    id: int
    person_id: int
    username: str
    state: str  # "suspected" | "confirmed"


async def follower_removals(conn: Connection, snapshot_id: int, ref: str) -> list[FollowerRemoval]:
    """The followers this snapshot made suspected, or confirmed as gone (for the unfollow rules)."""
    rows = await conn.execute_fetchall(
        "SELECT r.id, r.person_id, p.username, r.state FROM follow_removals r "
        "JOIN persons p ON p.id = r.person_id WHERE r.direction = 'follower' AND ("
        " (r.state = 'suspected' AND r.snapshot_id = :snapshot) "
        " OR (r.state = 'confirmed' AND r.resolved_ref = :ref)) ORDER BY r.id",
        {"snapshot": snapshot_id, "ref": ref},
    )
    return [FollowerRemoval(row[0], row[1], row[2], row[3]) for row in rows]
