"""Unfollow alerts from the extension's followers lists: a suspected one only for rules that include
them, the confirmation (second complete list) for every unfollow rule, each once."""

from __future__ import annotations

from service.alert_rules import Unfollow
from service.clock import now_db
from service.store import alert_rules
from service.store.alert_rules import RuleInput
from service.web.keys import db_key
from tests.support.extension_api import Ext, snapshot

NAMES = [f"fan_{n:02d}" for n in range(60)]  # 1 of 60 missing stays under the hold threshold


async def _titles(ext: Ext) -> list[tuple[int, str]]:
    db = ext.client.app[db_key]
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT rule_id, title FROM alerts ORDER BY id")
    return [(row[0], row[1]) for row in rows]


async def test_suspected_then_confirmed(ext: Ext) -> None:
    db = ext.client.app[db_key]
    async with db.transaction() as conn:
        confirmed_only = await alert_rules.insert_rule(
            conn, RuleInput("unfollow", "Unfollows", Unfollow(), 0, None), at=now_db(), created_by=None
        )
        suspicious = await alert_rules.insert_rule(
            conn, RuleInput("unfollow", "Also suspected", Unfollow(include_suspected=True), 0, None),
            at=now_db(), created_by=None,
        )  # fmt: skip
    assert (await ext.post("lists", snapshot("followers", NAMES)))[0] == 200
    first = snapshot("followers", NAMES[1:], started_at="2026-01-06T10:00:00Z")
    status, body = await ext.post("lists", first)
    assert status == 200 and body["suspected"] == 1
    assert await _titles(ext) == [(suspicious, "fan_00 may have unfollowed you")]
    # The same snapshot again (a retry) raises nothing new.
    assert (await ext.post("lists", first))[1]["duplicate"]
    second = snapshot("followers", NAMES[1:], started_at="2026-01-07T10:00:00Z")
    status, body = await ext.post("lists", second)
    assert status == 200 and body["confirmed"] == 1
    assert await _titles(ext) == [
        (suspicious, "fan_00 may have unfollowed you"),
        (confirmed_only, "fan_00 unfollowed you"),
        (suspicious, "fan_00 unfollowed you"),
    ]
