"""Storing batches: idempotency, people, follows, quarantine, and the cursor in the same transaction."""

from __future__ import annotations

import pytest

from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import ingest_events
from service.store.db import Database
from service.store.room_events import QuarantineItem
from tests.support.events import CURSOR, ROOM, Feed, ingest, scalar


async def test_replayed_batch_stores_nothing_twice(db: Database) -> None:
    """The same batch twice: the second stores nothing and changes no figure."""
    feed = Feed()
    batch = [feed.event(1, "userEnter"), feed.event(2, "tip", tokens=25), feed.event(3, "chatMessage")]
    first = await ingest(db, batch)
    second = await ingest(db, batch)
    assert (first.stored, first.duplicates) == (3, 0)
    assert (second.stored, second.duplicates) == (0, 3)
    stats = await scalar(db, "SELECT visits || '/' || events || '/' || tips || '/' || tokens_tipped "
                             "FROM person_room_stats")  # fmt: skip
    assert stats == "1/3/1/25"


async def test_identical_tips_with_different_ids_are_two_tips(db: Database) -> None:
    """Two 10-token tips from one user in the same second are two tips (dedupe is by id only)."""
    feed = Feed()
    await ingest(db, [feed.event(1, "tip", tokens=10), feed.event(1, "tip", tokens=10)])
    assert await scalar(db, "SELECT tips FROM person_room_stats") == 2
    assert await scalar(db, "SELECT tokens_tipped FROM person_room_stats") == 20


async def test_people_roles_and_anonymous_tips(db: Database) -> None:
    """Users become viewers, the broadcaster a model; anonymous tips stay out of per-person totals."""
    feed = Feed()
    await ingest(db, [feed.event(1, "broadcastStart", ROOM),
                      feed.event(2, "tip", "shy", tokens=99, is_anon=True),
                      feed.event(3, "tip", "shy", tokens=5)])  # fmt: skip
    assert await scalar(db, "SELECT role FROM persons WHERE username = 'shy'") == "viewer"
    assert await scalar(db, "SELECT role FROM persons WHERE username = :r", {"r": ROOM}) == "model"
    assert await scalar(db, "SELECT tokens_tipped FROM person_room_stats") == 5
    assert await scalar(db, "SELECT count(*) FROM person_room_stats") == 1  # not the broadcaster
    assert await scalar(db, "SELECT is_anon FROM room_events WHERE tokens = 99") == 1


async def test_follow_unfollow_refollow_become_periods(db: Database) -> None:
    """follow / unfollow / follow make two follower periods, each naming its event."""
    feed = Feed()
    events = [feed.event(1, "follow"), feed.event(2, "unfollow"), feed.event(3, "follow")]
    await ingest(db, events)
    async with (
        db.read() as conn,
        conn.execute("SELECT start_ref, end_ref, start_source FROM follow_periods ORDER BY id") as cursor,
    ):
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [(events[0].id, events[1].id, "events"), (events[2].id, None, "events")]


async def test_quarantine_is_kept_once(db: Database) -> None:
    """An invalid element is stored raw with its reason, once even when the batch is replayed."""
    bad = QuarantineItem(
        reason="id: String should match pattern", raw='{"id": "x"}', event_id="x", method="tip"
    )
    assert (await ingest(db, [], [bad])).quarantined == 1
    assert (await ingest(db, [], [bad])).quarantined == 0
    assert await scalar(db, "SELECT reason FROM events_quarantine") == bad.reason


async def test_batch_and_cursor_commit_together(db: Database) -> None:
    """A failure after ingest_events rolls back the events and the cursor alike."""
    feed = Feed()

    async def crash_after_store() -> None:
        async with db.transaction() as conn:
            await ingest_events(conn, [feed.event(1, "tip", tokens=1)], [], CURSOR, broadcaster=ROOM,
                                policy=StitchPolicy(), received_at="2026-01-02T00:00:00.000Z")  # fmt: skip
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        await crash_after_store()
    assert await scalar(db, "SELECT count(*) FROM room_events") == 0
    assert await scalar(db, "SELECT cursor FROM events_stream_state") is None
    await ingest(db, [feed.event(1, "tip", tokens=1)])
    assert await scalar(db, "SELECT cursor FROM events_stream_state") == CURSOR


async def test_public_view_masks_anonymous_tippers(db: Database) -> None:
    """v_room_events_public, the view for anything leaving the panel, never names an anonymous tipper."""
    feed = Feed()
    await ingest(
        db, [feed.event(1, "tip", "shy", tokens=9, is_anon=True), feed.event(2, "tip", "shy", tokens=1)]
    )
    async with db.read() as conn, conn.execute("SELECT * FROM v_room_events_public ORDER BY at") as cursor:
        rows = [dict(row) for row in await cursor.fetchall()]
    assert [row["username"] for row in rows] == ["anonymous", "shy"]
    assert "raw" not in rows[0]
