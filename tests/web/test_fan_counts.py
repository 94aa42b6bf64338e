"""The smart lists' counts are kept 30 s, per rules and UTC day, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service import fan_tiers
from service.fan_tiers import DEFAULT_RULES, FanRules
from service.store.db import Database
from service.web.fan_counts import FanCounts

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


async def _tipper(db: Database, name: str) -> None:
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'x', 'x')", (name,)
        )
        await conn.execute(
            "INSERT INTO person_room_stats (person_id, tokens_tipped) VALUES (?, 100)", (cur.lastrowid,)
        )


async def test_counts_are_kept_until_they_expire_or_the_rules_change(db: Database) -> None:
    """A new tipper shows after the TTL, after a rules change, on a new day, or after clear()."""
    ticks = [0.0]
    counts = FanCounts(ttl=30, clock=lambda: ticks[0])
    await _tipper(db, "first")
    async with db.read() as conn:
        assert (await counts.get(conn, DEFAULT_RULES, now=NOW))["top"] == 1
    await _tipper(db, "second")
    async with db.read() as conn:
        ticks[0] = 29
        assert (await counts.get(conn, DEFAULT_RULES, now=NOW))["top"] == 1
        ticks[0] = 31
        assert (await counts.get(conn, DEFAULT_RULES, now=NOW))["top"] == 2
    await _tipper(db, "third")
    other = FanRules.parse({fan_tiers.LAPSED_DAYS_KEY: "10"})
    async with db.read() as conn:
        assert (await counts.get(conn, other, now=NOW))["top"] == 3
    await _tipper(db, "fourth")
    async with db.read() as conn:
        assert (await counts.get(conn, other, now=NOW + timedelta(days=1)))["top"] == 4
    await _tipper(db, "fifth")
    counts.clear()
    async with db.read() as conn:
        assert (await counts.get(conn, other, now=NOW + timedelta(days=1)))["top"] == 5
