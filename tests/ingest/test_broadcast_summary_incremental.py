"""Property: a broadcast summary kept by adding each batch equals one recomputed from the stored events.

Batches of random events (every kind, the broadcaster's own, anonymous tips, events without a user,
methods the code does not know, replays of events stored already) arrive with random gaps, so
broadcasts start, restart, close after a silence and reopen on late evidence (a stop that never
came, the Stats API saying the room is still live), and loose events get adopted.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from service.clock import to_db
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import ingest_events
from service.store import broadcast_writes, persons
from service.store.db import Database, open_database
from tests.support.random_events import CURSOR, ROOM, T0, Clock, Row, Step, batches, stats_reading

SUMMARY = (
    "tokens, tip_tokens, media_tokens, tips, unique_tippers, biggest_tip, new_followers, unfollows, "
    "fanclub_joins, unique_visitors, chat_messages, duration_seconds, peak_viewers, avg_viewers"
)


async def _summaries(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(f"SELECT id, {SUMMARY} FROM broadcasts ORDER BY id")  # noqa: S608
    return [dict(row) for row in rows]


async def _recomputed(db: Database) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        ids = [int(row[0]) for row in await conn.execute_fetchall("SELECT id FROM broadcasts")]
        await broadcast_writes.recompute_summaries(conn, ids, await persons.get_person_id(conn, ROOM))
    return await _summaries(db)


async def _run(steps: list[Step]) -> list[dict[str, Any]]:
    clock = Clock()
    kept: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "s.sqlite3", readers=1) as db:
            for specs, replayed, online in steps:
                replay = clock.sent[-replayed:] if replayed else []
                batch = replay + [clock.event(*spec) for spec in specs]
                now = T0 + timedelta(minutes=clock.minutes + 1)
                if online is not None:
                    await stats_reading(db, now, online)
                async with db.transaction() as conn:
                    await ingest_events(conn, batch, [], CURSOR, broadcaster=ROOM, policy=StitchPolicy(),
                                        received_at=to_db(now))  # fmt: skip
                kept = await _summaries(db)
                assert kept == await _recomputed(db)
            return kept


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_incremental_summaries_equal_a_full_recompute(steps: list[Step]) -> None:
    """After every batch, each broadcast's stored summary is what its stored events give."""
    asyncio.run(_run(steps))


def test_a_long_broadcast_counts_each_person_once() -> None:
    """People seen in earlier batches are not counted again; anonymous tips count their sender once."""
    first: list[Row] = [(0.1, "broadcastStart", ROOM, 1, False), (0.1, "tip", "fan_0", 10, False),
             (0.1, "chatMessage", "fan_1", 1, False)]  # fmt: skip
    later: list[Row] = [(0.1, "tip", "fan_0", 25, False), (0.1, "tip", "fan_1", 5, True),
             (0.1, "userEnter", "fan_2", 1, False), (0.1, "tip", ROOM, 3, False)]  # fmt: skip

    (summary,) = asyncio.run(_run([(first, 0, None), (later, 0, None), (later[:1], 0, None)]))
    assert (summary["unique_visitors"], summary["unique_tippers"]) == (3, 3)  # fan_0..2; fan_0, fan_1, room
    assert (summary["tips"], summary["tip_tokens"], summary["biggest_tip"]) == (5, 68, 25)


def test_viewer_figures_come_from_the_rooms_own_snapshots() -> None:
    """A Stats snapshot of another account (an old username) during the broadcast is not counted."""

    async def run() -> list[dict[str, Any]]:
        clock = Clock()
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "v.sqlite3", readers=1) as db:
                await stats_reading(db, T0 + timedelta(minutes=1), 16, room="someone_else")
                batch = [
                    clock.event(0.5, "broadcastStart", ROOM, 1, False),
                    clock.event(1, "tip", "fan_0", 5, False),
                ]
                async with db.transaction() as conn:
                    await ingest_events(conn, batch, [], CURSOR, broadcaster=ROOM, policy=StitchPolicy(),
                                        received_at=to_db(T0 + timedelta(minutes=3)))  # fmt: skip
                return await _summaries(db)

    (summary,) = asyncio.run(run())
    assert summary["peak_viewers"] is None
