"""Events after a broadcast was closed for silence (its stop never came) still count for it.

"Closed after a silence" is a guess; the stop that arrives later, or the Stats API saying the room
has been live all along, proves it wrong: the broadcast is reopened or extended and its summary is
recomputed. While any source says the room is live, an event belongs to a broadcast.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from service.clock import to_db
from service.ingest.broadcast_stitching import StitchPolicy
from service.store import stats
from service.store.db import Database
from tests.support.events import ROOM, T0, Feed, ingest

POLICY = StitchPolicy(merge_gap=timedelta(minutes=10), timeout=timedelta(minutes=60))


async def broadcasts(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn, conn.execute("SELECT * FROM broadcasts ORDER BY id") as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def loose(db: Database) -> int:
    async with (
        db.read() as conn,
        conn.execute("SELECT count(*) FROM room_events WHERE broadcast_id IS NULL") as cursor,
    ):
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


async def stats_snapshot(db: Database, at: float, time_online: int | None) -> None:
    """What the stats job stores from one Stats API answer (time_online: minutes live, None: offline)."""
    row = stats.StatsRow(
        username=ROOM, token_balance=100, tips_in_last_hour=0, votes_up=1, votes_down=0,
        satisfaction_score=100.0, last_broadcast=None, time_online=time_online, num_followers=10,
        num_viewers=5, num_registered_viewers=3, num_tokened_viewers=1,
    )  # fmt: skip
    async with db.transaction() as conn:
        await stats.record_snapshot(conn, row, fetched_at=to_db(minute(at)))


async def test_the_stop_after_a_silence_close_ends_that_broadcast_with_everything_in_between(
    db: Database,
) -> None:
    """Closed for silence at minute 70; the tip, follow and stop that come later are its own."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "tip", "a", tokens=10)], policy=POLICY)
    await ingest(db, [], policy=POLICY, now=minute(70))
    assert (await broadcasts(db))[0]["end_reason"] == "timeout"
    await ingest(db, [f.event(80, "tip", "b", tokens=20), f.event(85, "follow", "c")], policy=POLICY)
    await ingest(db, [f.event(90, "broadcastStop", ROOM)], policy=POLICY)
    [b] = await broadcasts(db)
    assert (b["end_reason"], b["ended_at"], b["stop_event_id"]) == ("stop", to_db(minute(90)), f"{_ms(90)}-5")
    assert (b["tokens"], b["tips"], b["new_followers"], b["restarts"]) == (30, 2, 1, 0)
    assert b["duration_seconds"] == 90 * 60
    assert await loose(db) == 0


def _ms(n: float) -> int:
    return int(minute(n).timestamp() * 1000)


async def test_an_event_while_the_stats_api_says_live_reopens_the_silent_broadcast(db: Database) -> None:
    """No event for 70 minutes (closed), then the Stats API shows the same session still on: reopened."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "userEnter", "a")], policy=POLICY)
    await ingest(db, [], policy=POLICY, now=minute(70))
    assert (await broadcasts(db))[0]["end_reason"] == "timeout"
    await stats_snapshot(db, 115, time_online=115)  # live since minute 0: the same session
    await ingest(db, [f.event(120, "tip", "a", tokens=15)], policy=POLICY)
    [b] = await broadcasts(db)
    assert b["ended_at"] is None and b["tokens"] == 15 and b["restarts"] == 0
    assert await loose(db) == 0


async def test_a_silent_broadcast_is_not_closed_while_the_stats_api_says_live(db: Database) -> None:
    """A quiet hour with the Stats API reporting the session: the broadcast stays open."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "userEnter", "a")], policy=POLICY)
    await stats_snapshot(db, 65, time_online=65)
    await ingest(db, [], policy=POLICY, now=minute(70))
    [b] = await broadcasts(db)
    assert b["ended_at"] is None
    await ingest(db, [f.event(72, "tip", "b", tokens=4)], policy=POLICY)
    [b] = await broadcasts(db)
    assert b["ended_at"] is None and b["tokens"] == 4


async def test_a_session_whose_start_was_missed_gets_a_broadcast_from_the_stats_api(db: Database) -> None:
    """The Stats API says live since minute 170, long after the last broadcast: a new one from there."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "userEnter", "a")], policy=POLICY)
    await ingest(db, [], policy=POLICY, now=minute(70))
    await ingest(db, [f.event(150, "follow", "z")], policy=POLICY)  # offline: no source says live
    await stats_snapshot(db, 200, time_online=30)
    await ingest(db, [f.event(195, "tip", "b", tokens=25), f.event(198, "follow", "c")], policy=POLICY)
    first, second = await broadcasts(db)
    assert first["end_reason"] == "timeout" and first["tokens"] == 0
    assert second["started_at"] == to_db(minute(170)) and second["ended_at"] is None
    assert (second["tokens"], second["new_followers"], second["start_event_id"]) == (25, 1, None)
    assert await loose(db) == 1  # the follow at minute 150, while offline


async def test_an_event_while_the_stats_api_says_offline_stays_outside(db: Database) -> None:
    """A follow after the silence close, with the Stats API reporting the room offline: no broadcast."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "userEnter", "a")], policy=POLICY)
    await ingest(db, [], policy=POLICY, now=minute(70))
    await stats_snapshot(db, 118, time_online=None)
    await ingest(db, [f.event(120, "follow", "b")], policy=POLICY)
    [b] = await broadcasts(db)
    assert b["end_reason"] == "timeout" and b["new_followers"] == 0
    assert await loose(db) == 1
