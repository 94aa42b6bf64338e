"""The weekly digest: the last 7 days against the weekly average of the 4 weeks before, and its alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.clock import to_db
from service.ingest import report_text, weekly_digest
from service.jobs import broadcast_reports
from service.store.db import Database
from tests.support.events import ROOM, T0, Feed, ingest, scalar

UNTIL = T0 + timedelta(days=7)  # Friday 2026-01-09 00:00 UTC; the window starts Friday 2026-01-02
DAY = 24 * 60


async def _weeks(db: Database) -> None:
    """Before (Dec 5 – Jan 2): Dec 10 2 h, 400 tokens, 4 follows, 5 new people; Dec 20 2 h, 400 tokens.
    Window (Jan 2 – Jan 9): Jan 3 2 h, 300 tokens, 2 follows, 1 unfollow, 3 new people; Jan 5 1 h, 100."""
    f = Feed()
    dec10, dec20, jan3, jan5 = -23 * DAY, -13 * DAY, 1 * DAY, 3 * DAY
    await ingest(db, [
        f.event(dec10, "broadcastStart", ROOM), f.event(dec10 + 1, "tip", "alice", tokens=200),
        f.event(dec10 + 2, "tip", "alice", tokens=200),
        *[f.event(dec10 + 10 + i, "follow", f"f{i}") for i in range(1, 5)],
        f.event(dec10 + 120, "broadcastStop", ROOM),
        f.event(dec20, "broadcastStart", ROOM), f.event(dec20 + 1, "tip", "alice", tokens=400),
        f.event(dec20 + 120, "broadcastStop", ROOM),
        f.event(jan3, "broadcastStart", ROOM), f.event(jan3 + 1, "tip", "bob", tokens=300),
        f.event(jan3 + 2, "follow", "g1"), f.event(jan3 + 3, "follow", "g2"),
        f.event(jan3 + 4, "unfollow", "f1"),
        f.event(jan3 + 120, "broadcastStop", ROOM),
        f.event(jan5, "broadcastStart", ROOM), f.event(jan5 + 1, "tip", "alice", tokens=100),
        f.event(jan5 + 60, "broadcastStop", ROOM),
    ])  # fmt: skip


async def test_a_broadcast_still_on_air_counts_its_hours_to_now(db: Database) -> None:
    """Live for two hours with tips only in its first minutes: two hours live, not the minutes up to
    the last event (which made "tokens an hour" look ten times better than it was)."""
    f = Feed()
    start = 7 * DAY - 120  # two hours before UNTIL
    await ingest(db, [f.event(start, "broadcastStart", ROOM), f.event(start + 6, "tip", "bob", tokens=600)])
    async with db.read() as conn:
        digest = await weekly_digest.build(conn, until=UNTIL)
    now = digest.facts["last_7_days"]
    assert (now["hours"], now["tokens_per_hour"]) == (2.0, 300.0)


async def test_the_digest_compares_the_week_with_the_four_before(db: Database) -> None:
    """Every figure is the one the data was built to give."""
    await _weeks(db)
    async with db.read() as conn:
        digest = await weekly_digest.build(conn, until=UNTIL)
    now, before = digest.facts["last_7_days"], digest.facts["weekly_average_before"]
    assert now == {"broadcasts": 2, "hours": 3.0, "tokens": 400, "tokens_per_hour": 133.3, "new_fans": 3,
                   "followers_gained": 2, "followers_lost": 1}  # fmt: skip
    assert before == {"broadcasts": 0.5, "hours": 1.0, "tokens": 200, "tokens_per_hour": 200.0,
                      "new_fans": 1.25, "followers_gained": 1.0, "followers_lost": 0.0}  # fmt: skip
    best_id = await scalar(db, "SELECT id FROM broadcasts WHERE tokens = 300")
    assert digest.facts["best"] == {"id": best_id, "started_at": "2026-01-03T00:00:00.000Z", "tokens": 300}
    text = report_text.text(digest.sentences)
    assert text.startswith(
        "From 2026-01-02 00:00 UTC to 2026-01-09 00:00 UTC: 3 hours live in 2 broadcasts (1 a week before), "
        "400 tokens: 100 % above the average of the 4 weeks before (200)."
    )
    assert "Tokens an hour live: 133.3 (200 before)." in text
    assert (
        "New fans: 3 (1.2 a week before). Followers gained: 2 (1 a week before); lost: 1 (0 a week before)."
        in (text)
    )
    assert text.endswith("Best broadcast: 2026-01-03 00:00 UTC with 300 tokens.")


async def test_the_weekly_alert_is_raised_once_per_iso_week_for_each_enabled_rule(db: Database) -> None:
    """Without an enabled summary_ready rule nothing is raised; with two, "digest:2026-W02" once for each,
    quiet for the rule whose quiet hours (08:00–10:00 UTC) hold the moment; a disabled one gets none."""
    await _weeks(db)
    wednesday = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
    assert weekly_digest.last_whole_week(wednesday) == (datetime(2026, 1, 12, tzinfo=UTC), "2026-W02")
    async with db.transaction() as conn:
        assert await broadcast_reports.announce_digest(conn, now=wednesday) == 0
        await conn.execute(
            "INSERT INTO alert_rules (kind, name, enabled, quiet_start_minute, quiet_end_minute, quiet_tz, "
            "created_at) VALUES ('summary_ready', 'Night', 1, 480, 600, 'UTC', :at), "
            "('summary_ready', 'Plain', 1, NULL, NULL, NULL, :at), "
            "('summary_ready', 'Off', 0, NULL, NULL, NULL, :at)",
            {"at": to_db(wednesday)},
        )
    async with db.transaction() as conn:
        assert await broadcast_reports.announce_digest(conn, now=wednesday) == 2
    async with db.transaction() as conn:
        assert await broadcast_reports.announce_digest(conn, now=wednesday + timedelta(days=2)) == 0
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT r.name, a.trigger_key, a.quiet FROM alerts a "
            "JOIN alert_rules r ON r.id = a.rule_id ORDER BY r.id"
        ) as cursor,
    ):
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [("Night", "digest:2026-W02", 1), ("Plain", "digest:2026-W02", 0)]
    body = await scalar(db, "SELECT body FROM alerts LIMIT 1")
    assert body.startswith("From 2026-01-05 00:00 UTC to 2026-01-12 00:00 UTC: 1 hour live in 1 broadcast")
