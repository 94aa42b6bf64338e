"""Raising alerts: the alert row and its outbox rows, written in the caller's transaction.

An alert is unique per (rule, trigger key): the trigger key is the Events API id of the event that
raised it, or a name for an occurrence that is not an event ("source:affiliate:<failure started at>"),
so a re-delivered batch, a replayed job or a restart raises nothing twice. The deliveries to every
enabled destination that takes this kind are stored with the alert, before any attempt to send, so a
crash between the two cannot lose one; the delivery job sends them (service/jobs/alert_delivery.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class NewAlert:
    rule_id: int  # 0: raised without a rule (a test message)
    kind: str
    trigger_key: str
    title: str
    body: str = ""
    url: str | None = None
    person_id: int | None = None
    quiet: bool = False  # raised in the rule's quiet hours: shown in the panel, pushed nowhere


async def raise_alert(conn: Connection, alert: NewAlert, *, at: str) -> int | None:
    """Store the alert and its deliveries; None if this rule already raised it for this trigger."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO alerts (rule_id, kind, trigger_key, person_id, raised_at, title, body, url, "
        "quiet) VALUES (:rule, :kind, :trigger, :person, :at, :title, :body, :url, :quiet)",
        {"rule": alert.rule_id, "kind": alert.kind, "trigger": alert.trigger_key, "person": alert.person_id,
         "at": at, "title": alert.title, "body": alert.body, "url": alert.url, "quiet": int(alert.quiet)},
    )  # fmt: skip
    if cursor.rowcount != 1:
        return None
    alert_id = cursor.lastrowid
    assert alert_id is not None
    if not alert.quiet:
        await conn.execute(
            "INSERT INTO alert_deliveries (alert_id, destination_id, next_attempt_at, created_at) "
            "SELECT :alert, d.id, :at, :at FROM alert_destinations d "
            "WHERE d.enabled AND (d.kinds = '[]' OR EXISTS "
            "  (SELECT 1 FROM json_each(d.kinds) k WHERE k.value = :kind))",
            {"alert": alert_id, "at": at, "kind": alert.kind},
        )
    return alert_id


async def last_raised_for(conn: Connection, rule_id: int, person_id: int) -> str | None:
    """When this rule last alerted about this person (for its cooldown)."""
    rows = await conn.execute_fetchall(
        "SELECT max(raised_at) FROM alerts WHERE rule_id = :rule AND person_id = :person",
        {"rule": rule_id, "person": person_id},
    )
    value = next(iter(rows))[0]
    return None if value is None else str(value)


def kinds_json(kinds: list[str]) -> str:
    """A destination's `kinds` column: the alert kinds it takes ([] = every kind)."""
    return json.dumps(sorted(set(kinds)))


async def raise_alerts(conn: Connection, raised: Sequence[tuple[NewAlert, str, int]]) -> int:
    """`raise_alert` for many (alert, at, cooldown seconds) in two statements (an Events batch may raise
    hundreds); returns how many were stored. The same rules: unique per (rule, trigger), quiet ones get
    no deliveries, each new loud one a delivery to every enabled destination that takes its kind. An
    alert about a person whose rule raised one about them less than its cooldown before `at` is not
    stored (alerts of this same call are not seen: the caller keeps the cooldown within the call)."""
    if not raised:
        return 0
    rows = json.dumps([
        [a.rule_id, a.kind, a.trigger_key, a.person_id, at, a.title, a.body, a.url, int(a.quiet), cooldown]
        for a, at, cooldown in raised
    ])  # fmt: skip
    new = await conn.execute_fetchall(
        "INSERT INTO alerts (rule_id, kind, trigger_key, person_id, raised_at, title, body, url, quiet) "
        "SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, "
        "r.value ->> 6, r.value ->> 7, r.value ->> 8 FROM json_each(:rows) r "
        "WHERE r.value ->> 3 IS NULL OR r.value ->> 9 = 0 OR NOT EXISTS (SELECT 1 FROM alerts a "
        "  WHERE a.rule_id = r.value ->> 0 AND a.person_id = r.value ->> 3 "
        "  AND a.raised_at > strftime('%Y-%m-%dT%H:%M:%fZ', r.value ->> 4, -(r.value ->> 9) || ' seconds')) "
        "ON CONFLICT (rule_id, trigger_key) DO NOTHING RETURNING id",
        {"rows": rows},
    )
    ids = [row[0] for row in new]
    if ids:
        await conn.execute(
            "INSERT INTO alert_deliveries (alert_id, destination_id, next_attempt_at, created_at) "
            "SELECT a.id, d.id, a.raised_at, a.raised_at FROM alerts a JOIN alert_destinations d "
            "ON d.enabled AND (d.kinds = '[]' OR EXISTS "
            "  (SELECT 1 FROM json_each(d.kinds) k WHERE k.value = a.kind)) "
            "WHERE a.id IN (SELECT value FROM json_each(:ids)) AND NOT a.quiet",
            {"ids": json.dumps(ids)},
        )
    return len(ids)
