"""The written broadcast summary: facts and sentences on a history built so every answer is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.clock import to_db
from service.fan_tiers import DEFAULT_RULES
from service.ingest import broadcast_report, report_text
from service.jobs.broadcast_reports import regenerate_due
from service.store import broadcast_reports
from service.store.db import Database
from tests.support.events import ROOM, T0, Feed, ingest, scalar

NOW = T0 + timedelta(days=1)
DAY = 24 * 60


async def _history(db: Database) -> Feed:
    """Four earlier broadcasts, then the one under test (Friday 2026-01-02, 20:00–23:00 UTC).

    Earlier: Sun 2025-11-23 dave 20 · Fri 2025-12-19 alice 100 + carol 50 · Fri 2025-12-26 alice 300 ·
    Thu 2026-01-01 bob 60. Tokens before: 20, 150, 300, 60 (average 132.5; Fridays 225).
    """
    f = Feed()
    for day, tips in ((-40, [("dave", 20)]), (-14, [("alice", 100), ("carol", 50)]), (-7, [("alice", 300)]),
                      (-1, [("bob", 60)])):  # fmt: skip
        start = day * DAY + 1200
        events = [f.event(start, "broadcastStart", ROOM)]
        events += [
            f.event(start + 5 + i, "tip", user, tokens=tokens) for i, (user, tokens) in enumerate(tips)
        ]
        events.append(f.event(start + 60, "broadcastStop", ROOM))
        await ingest(db, events)
    await ingest(db, [
        f.event(1200, "broadcastStart", ROOM), f.event(1201, "userEnter", "alice"),
        f.event(1210, "tip", "alice", tokens=200),
        f.event(1270, "tip", "erin", tokens=100), f.event(1275, "tip", "alice", tokens=300),
        f.event(1280, "tip", "secret_sam", tokens=1000, is_anon=True),
        f.event(1300, "userEnter", "dave"), f.event(1310, "chatMessage", "carol", message="hi"),
        f.event(1320, "follow", "frank"), f.event(1321, "follow", "gina"),
        f.event(1330, "unfollow", "hank"), f.event(1331, "unfollow", "ivy"), f.event(1332, "unfollow", "jo"),
        f.event(1340, "fanclubJoin", "erin"), f.event(1380, "broadcastStop", ROOM),
    ])  # fmt: skip
    return f


async def _last_id(db: Database) -> int:
    return int(await scalar(db, "SELECT max(id) FROM broadcasts"))


async def test_the_summary_states_the_known_figures(db: Database) -> None:
    """Duration, tokens against the ten before and the same weekday, best hour, tippers with tiers, new,
    returning and lapsed fans, follows by name, fan-club joins and the unusual tip and follower drop."""
    await _history(db)
    async with db.read() as conn:
        report = await broadcast_report.build(conn, await _last_id(db), DEFAULT_RULES, now=NOW)
    assert report is not None
    f = report.facts
    assert f["duration_seconds"] == 3 * 3600
    assert f["tokens"] == 1600
    assert f["average_10"] == 132.5
    assert f["weekday"] == {"name": "Fridays", "average": 225.0, "broadcasts": 2}
    assert f["best_hour"] == {"at": "2026-01-02T21:00:00.000Z", "tokens": 1400}
    assert [(t["username"], t["tokens"], t["tier"]) for t in f["top_tippers"]] == [
        ("alice", 500, "Bronze"), ("erin", 100, "Bronze"),
    ]  # fmt: skip
    assert f["anonymous_tokens"] == 1000
    assert f["fans"]["new"] == 6  # erin, frank, gina, hank, ivy, jo
    assert f["fans"]["returning"] == 3  # alice, carol, dave
    assert f["fans"]["lapsed"] == ["dave"]  # last seen 40 days before; carol 14, alice 7
    assert f["follows"] == {"gained": ["frank", "gina"], "unfollowed": ["hank", "ivy", "jo"], "suspected": [],
                            "fanclub": ["erin"]}  # fmt: skip
    assert f["biggest_tip"] == {"tokens": 1000, "username": None, "days": 90}
    assert f["viewers"] is None
    text = report_text.text(report.sentences)
    assert (
        "A 3 h 00 min broadcast from 2026-01-02 20:00 UTC to 2026-01-02 23:00 UTC brought 1,600 tokens"
        in text
    )
    assert "1,108 % above the average of the previous broadcasts (132)" in text
    assert "611 % above the average of Fridays (UTC) (225)" in text
    assert "The best hour began at 2026-01-02 21:00 UTC with 1,400 tokens." in text
    assert "Top tippers: alice (Bronze) 500, erin (Bronze) 100; anonymous tips: 1,000 tokens." in text
    assert "9 fans came: 6 new, 3 returning, of whom 1 back after more than 30 days: dave." in text
    assert "New followers (2): frank and gina." in text
    assert "Unfollowed (3): hank, ivy and jo." in text
    assert "Fan-club joins (1): erin." in text
    assert "the biggest tip in 90 days, 1,000 tokens from an anonymous tipper." in text
    assert "a follower drop, 3 lost (or suspected) against 2 gained." in text
    assert "secret_sam" not in text and "secret_sam" not in str(report.facts)


async def test_list_snapshot_removals_in_the_broadcast_are_suspected_or_confirmed(db: Database) -> None:
    """A follower missing from a complete list during the broadcast is named as suspected (or confirmed);
    one missing before it, or dismissed, is not; an Events unfollow of the same person is named once."""
    await _history(db)
    broadcast_id = await _last_id(db)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO list_snapshots (id, idempotency_key, kind, account, started_at, finished_at, "
            "received_at, claimed_complete, complete, names, status) "
            "VALUES (1, 'k', 'followers', :room, :at, :at, :at, 1, 1, 0, 'applied')",
            {"room": ROOM, "at": to_db(T0)},
        )
        for name, missing, state in (("kim", 1250, "suspected"), ("lee", 1260, "confirmed"),
                                     ("max", 1000, "suspected"), ("ned", 1265, "dismissed"),
                                     ("hank", 1335, "confirmed")):  # fmt: skip
            await conn.execute(
                "INSERT INTO persons (username, created_at, updated_at) SELECT :n, 'x', 'x' "
                "WHERE NOT EXISTS (SELECT 1 FROM persons WHERE username = :n)",
                {"n": name},
            )
            async with conn.execute("SELECT id FROM persons WHERE username = :n", {"n": name}) as found:
                row = await found.fetchone()
            assert row is not None
            person = row[0]
            at = to_db(T0 + timedelta(minutes=missing))
            period = await conn.execute(
                "INSERT INTO follow_periods (person_id, direction, started_at, start_source) "
                "VALUES (:p, 'follower', '2025-01-01T00:00:00.000Z', 'list_snapshot')",
                {"p": person},
            )
            await conn.execute(
                "INSERT INTO follow_removals "
                "(person_id, direction, period_id, snapshot_id, missing_since, state) "
                "VALUES (:p, 'follower', :period, 1, :at, :state)",
                {"p": person, "period": period.lastrowid, "at": at, "state": state},
            )
    async with db.read() as conn:
        report = await broadcast_report.build(conn, broadcast_id, DEFAULT_RULES, now=NOW)
    assert report is not None
    assert report.facts["follows"]["unfollowed"] == ["hank", "ivy", "jo", "lee"]
    assert report.facts["follows"]["suspected"] == ["kim"]
    assert "Suspected unfollows (missing from a complete followers list, not confirmed yet): kim." in (
        report_text.text(report.sentences)
    )


async def _add_rule(db: Database, *, enabled: bool = True) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO alert_rules (kind, name, enabled, created_at) VALUES ('summary_ready', 'Summaries', "
            ":enabled, :at)",
            {"enabled": int(enabled), "at": to_db(T0)},
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def _alerts(db: Database) -> list[tuple[int, str, str, str]]:
    async with (
        db.read() as conn,
        conn.execute("SELECT rule_id, trigger_key, title, url FROM alerts ORDER BY id") as cursor,
    ):
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cursor.fetchall()]


async def test_the_batch_marks_broadcasts_stale_and_the_generator_stores_and_announces_once(
    db: Database,
) -> None:
    """A closed broadcast gets its report and one alert; late events that reopen and close it again
    regenerate the report with the new figures but raise nothing twice; an open one waits."""
    rule = await _add_rule(db)
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "tip", "alice", tokens=100),
                      f.event(60, "broadcastStop", ROOM)])  # fmt: skip
    broadcast_id = await _last_id(db)
    assert await regenerate_due(db, DEFAULT_RULES) == (1, 1)
    async with db.read() as conn:
        stored = await broadcast_reports.get_report(conn, broadcast_id)
    assert stored is not None
    assert not stored.stale
    assert stored.facts["tokens"] == 100
    title = "Broadcast summary ready: 2026-01-02 00:00 UTC"
    assert await _alerts(db) == [(rule, f"summary:{broadcast_id}", title, f"/room/broadcasts/{broadcast_id}")]
    assert await regenerate_due(db, DEFAULT_RULES) == (0, 0)
    # A restart within the merge gap reopens it; while open, nothing is generated.
    await ingest(db, [f.event(65, "broadcastStart", ROOM), f.event(66, "tip", "bob", tokens=50)])
    assert await scalar(db, "SELECT ended_at FROM broadcasts WHERE id = :id", {"id": broadcast_id}) is None
    assert await regenerate_due(db, DEFAULT_RULES) == (0, 0)
    await ingest(db, [f.event(70, "broadcastStop", ROOM)])
    assert await regenerate_due(db, DEFAULT_RULES) == (1, 0)
    async with db.read() as conn:
        stored = await broadcast_reports.get_report(conn, broadcast_id)
    assert stored is not None
    assert stored.facts["tokens"] == 150
    assert stored.facts["duration_seconds"] == 70 * 60
    assert len(await _alerts(db)) == 1


async def test_no_alert_without_an_enabled_summary_rule(db: Database) -> None:
    """The report is stored all the same; a disabled rule raises nothing either."""
    await _add_rule(db, enabled=False)
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(60, "broadcastStop", ROOM)])
    assert await regenerate_due(db, DEFAULT_RULES) == (1, 0)
    assert await _alerts(db) == []
    text = await scalar(db, "SELECT sentences FROM broadcast_reports")
    assert "the first broadcast there is to compare with" in text


async def test_a_broadcast_closed_before_the_upgrade_is_summarised_without_an_alert(db: Database) -> None:
    """Reports backfilled by the migration (announce = 0) are written, never announced."""
    await _add_rule(db)
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(60, "broadcastStop", ROOM)])
    async with db.transaction() as conn:
        await conn.execute("UPDATE broadcast_reports SET announce = 0")
    assert await regenerate_due(db, DEFAULT_RULES) == (1, 0)


def test_times_in_text_are_utc() -> None:
    """A time part reads as UTC in text (pages show it in the reader's zone)."""
    moment = datetime(2026, 3, 1, 18, 5, tzinfo=UTC)
    assert report_text.text([["At ", report_text.time(to_db(moment)), "."]]) == "At 2026-03-01 18:05 UTC."


async def test_the_stream_writes_only_the_broadcasts_its_batch_touched(db: Database) -> None:
    """`among` keeps a backlog of stale reports (an upgrade's) for the job, not the stream's batch."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(30, "broadcastStop", ROOM)])
    await ingest(db, [f.event(60, "broadcastStart", ROOM), f.event(90, "broadcastStop", ROOM)])
    newest = await _last_id(db)
    assert await regenerate_due(db, DEFAULT_RULES, among={newest}) == (1, 0)
    assert await scalar(
        db, "SELECT group_concat(broadcast_id) FROM broadcast_reports WHERE stale = 1"
    ) == str(newest - 1)


async def test_viewers_come_from_the_stats_api_snapshots(db: Database) -> None:
    """Two Stats API snapshots during the broadcast (20 and 40 viewers): peak 40, average 30."""
    async with db.transaction() as conn:
        for minute, viewers in ((10, 20), (40, 40)):
            at = to_db(T0 + timedelta(minutes=minute))
            await conn.execute(
                "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, "
                "token_balance, tips_in_last_hour, votes_up, votes_down, satisfaction_score, time_online, "
                "num_followers, num_viewers, num_registered_viewers) "
                "VALUES (:room, :at, :at, :fp, 0, 0, 0, 0, 0, :online, 100, :viewers, 0)",
                {"room": ROOM, "at": at, "fp": f"fp{minute}", "online": minute, "viewers": viewers},
            )
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(60, "broadcastStop", ROOM)])
    async with db.read() as conn:
        report = await broadcast_report.build(conn, await _last_id(db), DEFAULT_RULES, now=NOW)
    assert report is not None
    assert report.facts["viewers"] == {"peak": 40, "average": 30.0}
    assert "Viewers: peak 40, average 30." in report_text.text(report.sentences)
