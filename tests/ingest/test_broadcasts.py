"""Broadcast stitching on synthetic start/stop sequences, and the summary figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from service.ingest.broadcast_stitching import StitchPolicy
from service.store.db import Database
from tests.support.events import ROOM, T0, Feed, ingest

POLICY = StitchPolicy(merge_gap=timedelta(minutes=10), timeout=timedelta(minutes=60))


async def broadcasts(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn, conn.execute("SELECT * FROM broadcasts ORDER BY id") as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def test_start_stop_gives_one_summarised_broadcast(db: Database) -> None:
    """Tokens are tips plus media; tippers, followers, visitors are counted from the events."""
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "userEnter", "a"), f.event(2, "tip", "a", tokens=50),
        f.event(3, "tip", "b", tokens=120), f.event(4, "tip", "a", tokens=5),
        f.event(5, "mediaPurchase", "c", tokens=40),
        f.event(6, "follow", "b"), f.event(7, "unfollow", "d"), f.event(8, "fanclubJoin", "a"),
        f.event(9, "chatMessage", ROOM), f.event(30, "broadcastStop", ROOM),
    ], policy=POLICY)  # fmt: skip
    [b] = await broadcasts(db)
    assert b["end_reason"] == "stop" and b["duration_seconds"] == 30 * 60
    assert (b["tokens"], b["tip_tokens"], b["media_tokens"]) == (215, 175, 40)
    assert (b["tips"], b["unique_tippers"], b["biggest_tip"]) == (3, 2, 120)
    assert (b["new_followers"], b["unfollows"], b["fanclub_joins"]) == (1, 1, 1)
    assert b["unique_visitors"] == 4  # a, b, c, d: not the broadcaster


async def test_restart_within_the_merge_gap_continues_the_broadcast(db: Database) -> None:
    """stop, then start 5 minutes later (in a later batch): one broadcast, events in between included."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(10, "broadcastStop", ROOM)], policy=POLICY)
    await ingest(db, [f.event(12, "tip", "a", tokens=7)], policy=POLICY)
    await ingest(db, [f.event(15, "broadcastStart", ROOM), f.event(40, "broadcastStop", ROOM)], policy=POLICY)
    [b] = await broadcasts(db)
    assert (b["restarts"], b["tokens"], b["duration_seconds"]) == (1, 7, 40 * 60)


async def test_restart_beyond_the_gap_is_a_new_broadcast(db: Database) -> None:
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(10, "broadcastStop", ROOM),
                      f.event(25, "broadcastStart", ROOM)], policy=POLICY)  # fmt: skip
    first, second = await broadcasts(db)
    assert first["ended_at"] is not None and second["ended_at"] is None


async def test_missing_stop_is_closed_by_the_next_start(db: Database) -> None:
    """A start long after an open broadcast's last event closes it there ('next_start')."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(20, "tip", "a", tokens=3)], policy=POLICY)
    await ingest(db, [f.event(50, "broadcastStart", ROOM)], policy=POLICY)
    first, second = await broadcasts(db)
    assert first["end_reason"] == "next_start" and first["ended_at"] == "2026-01-02T00:20:00.000Z"
    assert first["duration_seconds"] == 20 * 60 and second["ended_at"] is None


async def test_missing_stop_is_closed_by_the_timeout(db: Database) -> None:
    """With the stream caught up and silent past the timeout, the open broadcast ends at its last event."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(5, "userEnter", "a")], policy=POLICY)
    await ingest(db, [], policy=POLICY, now=T0 + timedelta(minutes=30))
    assert (await broadcasts(db))[0]["ended_at"] is None
    await ingest(db, [], policy=POLICY, now=T0 + timedelta(minutes=70))
    [b] = await broadcasts(db)
    assert b["end_reason"] == "timeout" and b["ended_at"] == "2026-01-02T00:05:00.000Z"


async def test_late_event_after_the_timeout_is_outside_the_broadcast(db: Database) -> None:
    """A stream restarted hours later: the backlog's next event closes the silent broadcast first."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM)], policy=POLICY)
    await ingest(db, [f.event(200, "tip", "a", tokens=9)], policy=POLICY)
    [b] = await broadcasts(db)
    assert b["end_reason"] == "timeout" and b["tokens"] == 0
