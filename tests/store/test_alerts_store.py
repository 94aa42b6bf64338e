"""Raising an alert: once per rule and trigger, with its outbox rows stored in the same transaction."""

from __future__ import annotations

from service.store import alerts
from service.store.alerts import NewAlert
from service.store.db import Database

AT = "2026-12-06T10:00:00.000Z"


async def _destination(db: Database, kind: str, kinds: list[str], *, enabled: bool = True) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO alert_destinations (kind, name, target, kinds, enabled, created_at) "
            "VALUES (:kind, :kind, 'http://127.0.0.1:9/hook', :kinds, :enabled, :at)",
            {"kind": kind, "kinds": alerts.kinds_json(kinds), "enabled": int(enabled), "at": AT},
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def _deliveries(db: Database) -> list[tuple[int, int, str]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT alert_id, destination_id, state FROM alert_deliveries ORDER BY alert_id, destination_id"
        )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_an_alert_is_raised_once_per_rule_and_trigger_with_its_deliveries(db: Database) -> None:
    every = await _destination(db, "webhook", [])
    tips_only = await _destination(db, "ntfy", ["big_tip"])
    await _destination(db, "discord", [], enabled=False)
    follow = NewAlert(rule_id=0, kind="new_follower", trigger_key="1-1", title="alice followed you")
    tip = NewAlert(rule_id=0, kind="big_tip", trigger_key="1-2", title="a 5,000-token tip")
    async with db.transaction() as conn:
        first = await alerts.raise_alert(conn, follow, at=AT)
        again = await alerts.raise_alert(conn, follow, at=AT)
        big = await alerts.raise_alert(conn, tip, at=AT)
    assert first is not None and again is None and big is not None
    assert await _deliveries(db) == [
        (first, every, "pending"), (big, every, "pending"), (big, tips_only, "pending"),
    ]  # fmt: skip


async def test_a_quiet_alert_is_kept_but_pushed_nowhere(db: Database) -> None:
    await _destination(db, "webhook", [])
    quiet = NewAlert(rule_id=0, kind="big_tip", trigger_key="1-3", title="tip at night", quiet=True)
    async with db.transaction() as conn:
        alert_id = await alerts.raise_alert(conn, quiet, at=AT)
    assert alert_id is not None and await _deliveries(db) == []
