"""The AI report's statistics on data built so every number is known in advance (UTC throughout).

In the 30 days to 2026-02-01: Monday 5 Jan 20:00–22:00 (alice 300 at 20:10, bob 100 at 21:30, an
anonymous 200 at 21:40; carol follows) and Friday 9 Jan 20:30–22:00 (dave 50 at 20:45, alice 900 at
21:00; erin unfollows). Before the period: 20 Dec, zed tips 5,000 (counted nowhere).
"""

from __future__ import annotations

from datetime import UTC, datetime

from service.store.db import Database
from service.store.report_statistics import room_statistics
from tests.support.events import ROOM, Feed, ingest

AS_OF = datetime(2026, 2, 1, tzinfo=UTC)


async def _seed(db: Database) -> None:
    old = Feed(datetime(2025, 12, 20, 20, tzinfo=UTC))
    await ingest(db, [old.event(0, "broadcastStart", ROOM), old.event(5, "tip", "zed", tokens=5000),
                      old.event(60, "broadcastStop", ROOM)])  # fmt: skip
    monday = Feed(datetime(2026, 1, 5, 20, tzinfo=UTC))
    monday.seq = 100
    await ingest(db, [
        monday.event(0, "broadcastStart", ROOM), monday.event(10, "tip", "alice", tokens=300),
        monday.event(20, "follow", "carol"), monday.event(90, "tip", "bob", tokens=100),
        monday.event(100, "tip", "secret_sam", tokens=200, is_anon=True),
        monday.event(120, "broadcastStop", ROOM),
    ])  # fmt: skip
    friday = Feed(datetime(2026, 1, 9, 20, 30, tzinfo=UTC))
    friday.seq = 200
    await ingest(db, [
        friday.event(0, "broadcastStart", ROOM), friday.event(15, "tip", "dave", tokens=50),
        friday.event(30, "tip", "alice", tokens=900), friday.event(40, "unfollow", "erin"),
        friday.event(90, "broadcastStop", ROOM),
    ])  # fmt: skip


async def test_the_numbers_of_the_last_30_days(db: Database) -> None:
    """Totals, rates, the top 10% share and the best weekday and hour, exactly."""
    await _seed(db)
    async with db.read() as conn:
        stats = await room_statistics(conn, as_of=AS_OF)
    assert stats == {
        "period": {"days": 30, "from": "2026-01-02T00:00:00.000Z", "to": "2026-02-01T00:00:00.000Z",
                   "time_zone": "UTC"},
        "broadcasts": 2,
        "hours_live": 3.5,
        "tokens": 1550,
        "tokens_per_hour": 442.9,  # 1,550 / 3.5
        "followers_gained": 1,
        "followers_lost": 1,
        "tipping_fans": 3,  # alice 1,200, bob 100, dave 50; the anonymous tip names nobody
        "top_10_percent_fans": 1,  # ceil(3 / 10)
        "top_10_percent_share_percent": 88.9,  # 1,200 / 1,350
        # Monday: 600 in 2 h = 300/h; Friday: 950 in 1.5 h.
        "best_weekday": {"weekday": "Friday", "tokens_per_hour": 633.3, "hours_live": 1.5},
        # 20h: 1.5 h live, 350 tokens (233.3/h); 21h: 2 h live, 100 + 200 + 900 tokens.
        "best_hour_utc": {"hour": 21, "tokens_per_hour": 600.0, "hours_live": 2.0},
    }  # fmt: skip


async def test_names_only_when_asked(db: Database) -> None:
    await _seed(db)
    async with db.read() as conn:
        named = await room_statistics(conn, as_of=AS_OF, include_names=True)
    assert named["top_fans"] == [{"username": "alice", "tokens": 1200}, {"username": "bob", "tokens": 100},
                                 {"username": "dave", "tokens": 50}]  # fmt: skip


async def test_an_empty_room_has_no_rates(db: Database) -> None:
    """No broadcast and no spender: zeros, and no rate, share or best time instead of a division by zero."""
    async with db.read() as conn:
        stats = await room_statistics(conn, as_of=AS_OF)
    assert (stats["broadcasts"], stats["hours_live"], stats["tokens"]) == (0, 0.0, 0)
    assert stats["tokens_per_hour"] is None and stats["top_10_percent_share_percent"] is None
    assert stats["best_weekday"] is None and stats["best_hour_utc"] is None
    assert stats["top_10_percent_fans"] == 0
