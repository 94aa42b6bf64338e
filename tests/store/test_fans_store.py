"""Users › Fans reads: tiers of a page of names, the smart lists, filters and sorts, on a real SQLite
file whose ledger rows are written with plain INSERTs (the Events-side upkeep is tested elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service import fan_tiers
from service.fan_tiers import DEFAULT_RULES, FanRules
from service.store import fans
from service.store.db import Connection, Database
from service.store.fans import FansFilter

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
T0 = "2026-01-01T00:00:00.000Z"


def _at(days_ago: float) -> str:
    moment = NOW - timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _day(days_ago: int) -> str:
    return (NOW.date() - timedelta(days=days_ago)).isoformat()


class Ledger:
    """Writes ledger rows directly (store-layer test of the read queries only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ids: dict[str, int] = {}

    async def person(self, name: str, **stats: Any) -> int:
        cur = await self.conn.execute(
            "INSERT INTO persons (username, role, created_at, updated_at) VALUES (?, 'viewer', ?, ?)",
            (name, T0, T0),
        )
        pid = int(cur.lastrowid or 0)
        self.ids[name] = pid
        if stats.pop("no_ledger", False):
            return pid
        values = {"first_seen_at": _at(200), "last_seen_at": _at(1), "visits": 1, **stats}
        cols, marks = ", ".join(values), ", ".join("?" * len(values))
        await self.conn.execute(
            f"INSERT INTO person_room_stats (person_id, {cols}) VALUES (?, {marks})",  # noqa: S608
            (pid, *values.values()),
        )
        return pid

    async def spent(self, name: str, days_ago: int, tokens: int) -> None:
        await self.conn.execute(
            "INSERT INTO person_room_days (person_id, day, tokens) VALUES (?, ?, ?)",
            (self.ids[name], _day(days_ago), tokens),
        )

    async def broadcasts(self, count: int) -> list[int]:
        """`count` broadcasts, one per day, the last one today; newest last."""
        ids = []
        for i in range(count):
            start = _at(count - 1 - i)
            ended = None if i == count - 1 else start
            cur = await self.conn.execute(
                "INSERT INTO broadcasts (started_at, ended_at, end_reason, last_event_at) "
                "VALUES (?, ?, ?, ?)",
                (start, ended, ended and "stop", start),
            )
            ids.append(int(cur.lastrowid or 0))
        return ids

    async def attended(self, name: str, broadcast_ids: list[int]) -> None:
        for bid in broadcast_ids:
            await self.conn.execute(
                "INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at) VALUES (?, ?, ?)",
                (bid, self.ids[name], T0),
            )

    async def follows(self, name: str, *, ended: bool = False) -> None:
        await self.conn.execute(
            "INSERT INTO follow_periods "
            "(person_id, direction, started_at, start_source, ended_at, end_source) "
            "VALUES (?, 'follower', ?, 'events', ?, ?)",
            (self.ids[name], T0, T0 if ended else None, "events" if ended else None),
        )


async def _names(db: Database, flt: FansFilter, rules: FanRules = DEFAULT_RULES) -> list[str]:
    async with db.read() as conn:
        page = await fans.list_page(conn, flt, rules, now=NOW)
    assert page.total == len(page.rows)
    return [r.username for r in page.rows]


async def test_tiers_for_a_page_of_names_in_one_query(db: Database) -> None:
    """tiers_for gives each person's tier (recent rule included) and leaves out those without one."""
    rules = FanRules.parse({fan_tiers.RECENT_KEY: "Gold 1000 in 30 days"})
    async with db.transaction() as conn:
        ledger = Ledger(conn)
        await ledger.person("whale", tokens_tipped=20000, imported_tokens=6000)
        await ledger.person("hot", tokens_tipped=1200)
        await ledger.spent("hot", 3, 1200)
        await ledger.person("cold", tokens_tipped=1200)
        await ledger.spent("cold", 31, 1200)
        await ledger.person("nobody")
        stranger = await ledger.person("stranger", no_ledger=True)
    async with db.read() as conn:
        found = await fans.tiers_for(conn, rules.tiers, [*ledger.ids.values(), stranger], now=NOW)
    names = {pid: name for name, pid in ledger.ids.items()}
    assert {names[pid]: tier.name for pid, tier in found.items()} == {
        "whale": "Diamond", "hot": "Gold", "cold": "Silver",
    }  # fmt: skip


async def test_tier_sql_expression_equals_the_rules(db: Database) -> None:
    """tier_rank_sql computes in SQL what TierRules.tier_for computes in Python."""
    rules = FanRules.parse({fan_tiers.RECENT_KEY: "Silver 300 in 7 days"}).tiers
    cases = [(0, 0), (99, 0), (100, 0), (100, 300), (999, 299), (5000, 300), (0, 300), (25000, 10**6)]
    expr, params = fans.tier_rank_sql(rules, ":lifetime", ":recent")
    async with db.read() as conn:
        for lifetime, recent in cases:
            async with conn.execute(
                f"SELECT {expr}", {**params, "lifetime": lifetime, "recent": recent}
            ) as cur:
                row = await cur.fetchone()
            tier = rules.tier_for(lifetime, recent)
            assert row is not None and row[0] == (tier.rank if tier else 0), (lifetime, recent)


async def test_sorts_and_search(db: Database) -> None:
    """Lifetime (tips + media + imported) orders the default page; other columns sort; search is a prefix."""
    async with db.transaction() as conn:
        ledger = Ledger(conn)
        await ledger.person("anna", tokens_tipped=50, visits=9, last_seen_at=_at(5))
        await ledger.person("annabel", tokens_tipped=10, media_tokens=5, imported_tokens=500, visits=2)
        await ledger.person("bob", tokens_tipped=300, visits=4, last_seen_at=None)
        await ledger.spent("anna", 2, 50)
        await ledger.spent("bob", 20, 300)
    assert await _names(db, FansFilter()) == ["annabel", "bob", "anna"]
    assert await _names(db, FansFilter(sort="visits")) == ["anna", "bob", "annabel"]
    assert (
        await _names(db, FansFilter(sort="d7"))
        == ["anna", "bob", "annabel"][:1] + ["bob", "annabel"][::-1][::-1]
    )
    assert await _names(db, FansFilter(sort="d30")) == ["bob", "anna", "annabel"]
    assert await _names(db, FansFilter(sort="last_seen", descending=False)) == ["anna", "annabel", "bob"]
    assert await _names(db, FansFilter(search="ann")) == ["annabel", "anna"]
    async with db.read() as conn:
        page = await fans.list_page(conn, FansFilter(), DEFAULT_RULES, now=NOW)
    first = page.rows[0]
    assert (first.lifetime, first.imported_tokens, first.tier and first.tier.name) == (515, 500, "Bronze")


async def test_tier_filter_uses_lifetime_ranges_and_the_recent_rule(db: Database) -> None:
    """Tier filter: lifetime ranges, lifted by the recent rule, 0 for below every tier."""
    rules = FanRules.parse({fan_tiers.RECENT_KEY: "Gold 1000 in 30 days"})
    async with db.transaction() as conn:
        ledger = Ledger(conn)
        await ledger.person("small", tokens_tipped=10)
        await ledger.person("silver", tokens_tipped=2000)
        await ledger.person("lifted", tokens_tipped=1500)
        await ledger.spent("lifted", 1, 1500)
        await ledger.person("gold", tokens_tipped=6000)
        await ledger.person("lifted_low", tokens_tipped=1000)
        await ledger.spent("lifted_low", 29, 1000)
    assert await _names(db, FansFilter(tier=3), rules) == ["gold", "lifted", "lifted_low"]
    assert await _names(db, FansFilter(tier=2), rules) == ["silver"]
    assert await _names(db, FansFilter(tier=0), rules) == ["small"]
    assert await _names(db, FansFilter(tier=3)) == ["gold"]


async def test_smart_lists(db: Database) -> None:
    """Each smart list holds exactly the persons its definition names, and the counts agree."""
    async with db.transaction() as conn:
        ledger = Ledger(conn)
        b = await ledger.broadcasts(10)
        # Regular of the last 5, follows, spends steadily: top, top30, regulars.
        await ledger.person("steady", tokens_tipped=900, last_tip_at=_at(2), first_tip_at=_at(100))
        await ledger.spent("steady", 2, 300)
        await ledger.spent("steady", 40, 300)
        await ledger.spent("steady", 70, 300)
        await ledger.attended("steady", b[-3:])
        await ledger.follows("steady")
        # Spent 3,000 across days 31–120 back, only 100 lately (< 0.5 × 1,000): drifting by spending.
        await ledger.person("fading", tokens_tipped=3100, last_tip_at=_at(10), first_tip_at=_at(110))
        await ledger.spent("fading", 10, 100)
        await ledger.spent("fading", 100, 3000)
        await ledger.follows("fading")
        # A regular of broadcasts 6–10 back (3 of them) who missed the last 3: drifting by absence.
        await ledger.person("absent", tokens_tipped=0)
        await ledger.attended("absent", b[-8:-5])
        # Tipped 60 days ago, nothing since: lapsed; does not follow (ended).
        await ledger.person("gone", tokens_tipped=400, last_tip_at=_at(60), first_tip_at=_at(90))
        await ledger.spent("gone", 60, 400)
        await ledger.follows("gone", ended=True)
        # New: first seen 3 days ago, never tipped, follows.
        await ledger.person("newbie", first_seen_at=_at(3))
        await ledger.follows("newbie")
        # A follower never seen in the room.
        await ledger.person("lurker", no_ledger=True)
        await ledger.follows("lurker")
        # Imported spending only, old: first tip long ago, lapsed, not following.
        await ledger.person("imported", imported_tokens=250, imported_tips=2, last_tip_at=_at(300),
                            first_tip_at=_at(400))  # fmt: skip
    expected = {
        "top": ["fading", "steady", "gone", "imported"],
        "top30": ["steady", "fading"],
        "new": ["newbie"],
        "regulars": ["steady"],
        "drifting": ["fading", "absent", "gone"],  # gone: nothing in 30 days after 400 before
        "lapsed": ["gone", "imported"],
        "followers_never_tipped": ["newbie", "lurker"],
        "tippers_not_following": ["gone", "imported"],
    }
    for key, names in expected.items():
        smart = next(s for s in fans.LISTS if s.key == key)
        flt = FansFilter(smart=key, sort=smart.sort)
        got = await _names(db, flt)
        assert sorted(got) == sorted(names), key
    assert await _names(db, FansFilter(smart="top30", sort="d30")) == ["steady", "fading"]
    async with db.read() as conn:
        counts = await fans.list_counts(conn, DEFAULT_RULES, now=NOW)
    assert counts == {key: len(names) for key, names in expected.items()}


async def test_list_rules_follow_the_settings(db: Database) -> None:
    """Regulars k of n and lapsed days come from the rules."""
    async with db.transaction() as conn:
        ledger = Ledger(conn)
        b = await ledger.broadcasts(4)
        await ledger.person("twice", tokens_tipped=100, last_tip_at=_at(20))
        await ledger.attended("twice", b[-2:])
    loose = FanRules.parse({fan_tiers.REGULARS_KEY: "2 of 4", fan_tiers.LAPSED_DAYS_KEY: "14"})
    assert await _names(db, FansFilter(smart="regulars")) == []
    assert await _names(db, FansFilter(smart="regulars"), loose) == ["twice"]
    assert await _names(db, FansFilter(smart="lapsed")) == []
    assert await _names(db, FansFilter(smart="lapsed"), loose) == ["twice"]


def test_unknown_sort_is_refused() -> None:
    """Only the documented sorts exist."""
    assert set(fans.SORTS) == {"lifetime", "d30", "d7", "tips", "biggest_tip", "visits", "broadcasts",
                               "last_seen", "last_tip", "first_seen"}  # fmt: skip


async def test_list_page_refuses_unknown_sort(db: Database) -> None:
    """A sort or list that does not exist is a ValueError (handlers never pass one)."""
    async with db.read() as conn:
        with pytest.raises(ValueError, match="unknown sort"):
            await fans.list_page(conn, FansFilter(sort="nope"), DEFAULT_RULES, now=NOW)
        with pytest.raises(ValueError, match="unknown smart list"):
            await fans.list_page(conn, FansFilter(smart="nope"), DEFAULT_RULES, now=NOW)
