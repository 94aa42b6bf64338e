"""Property: a broadcast summary kept by adding each batch equals one recomputed from the stored events.

Batches of random events (every kind, the broadcaster's own, anonymous tips, events without a user,
methods the code does not know, replays of events stored already) arrive with random gaps, so
broadcasts start, restart, close after a silence and reopen on late evidence (a stop that never
came, the Stats API saying the room is still live), and loose events get adopted.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.clock import to_db
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import ingest_events
from service.store import broadcast_writes, persons
from service.store.db import Database, open_database
from service.store.room_events import IncomingEvent

ROOM = "my_room"
T0 = datetime(2026, 1, 2, tzinfo=UTC)
CURSOR = "http://127.0.0.1:1/events/my_room/{token}/?i=x&timeout=1"
SUMMARY = (
    "tokens, tip_tokens, media_tokens, tips, unique_tippers, biggest_tip, new_followers, unfollows, "
    "fanclub_joins, unique_visitors, chat_messages, duration_seconds, peak_viewers, avg_viewers"
)
METHODS = ["broadcastStart", "broadcastStop", "tip", "tip", "chatMessage", "userEnter", "userLeave",
           "follow", "unfollow", "fanclubJoin", "mediaPurchase", "someFutureMethod"]  # fmt: skip
USERS = [None, ROOM, "fan_0", "fan_1", "fan_2", "fan_3", "fan_4"]
GAPS = [0.1, 0.5, 2, 5, 9, 11, 30, 70, 130]  # minutes: within and beyond the merge gap and the timeout

events = st.tuples(
    st.sampled_from(GAPS), st.sampled_from(METHODS), st.sampled_from(USERS),
    st.integers(min_value=1, max_value=500), st.booleans(),
)  # fmt: skip
batches = st.lists(
    st.tuples(
        st.lists(events, max_size=8),
        st.integers(min_value=0, max_value=3),  # earlier events replayed at the batch's start
        st.sampled_from([None, None, None, 30, 200]),  # a Stats API reading: minutes online, or none
    ),
    min_size=1,
    max_size=12,
)


class _Clock:
    def __init__(self) -> None:
        self.minutes = 0.0
        self.seq = 0
        self.sent: list[IncomingEvent] = []

    def event(self, gap: float, method: str, user: str | None, tokens: int, anon: bool) -> IncomingEvent:
        self.minutes += gap
        self.seq += 1
        moment = T0 + timedelta(minutes=self.minutes)
        ms = int(moment.timestamp() * 1000)
        paid = method in ("tip", "mediaPurchase")
        event = IncomingEvent(
            id=f"{ms}-{self.seq}", ms=ms, seq=self.seq, at=to_db(moment), method=method, username=user,
            raw=json.dumps({"method": method}), tokens=tokens if paid else 0,
            is_anon=anon and method == "tip",
        )  # fmt: skip
        self.sent.append(event)
        return event


async def _stats_reading(db: Database, at: datetime, minutes_online: int, room: str = ROOM) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, token_balance, "
            "tips_in_last_hour, votes_up, votes_down, satisfaction_score, time_online, num_followers, "
            "num_viewers, num_registered_viewers) VALUES (:room, :at, :at, :at, 0, 0, 0, 0, 0, :online, "
            "0, :viewers, 0)",
            {"room": room, "at": to_db(at), "online": minutes_online, "viewers": minutes_online % 17},
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


Row = tuple[float, str, str | None, int, bool]  # (minutes after the last, method, who, tokens, anonymous)
Step = tuple[list[Row], int, int | None]


async def _run(steps: list[Step]) -> list[dict[str, Any]]:
    clock = _Clock()
    kept: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "s.sqlite3", readers=1) as db:
            for specs, replayed, online in steps:
                replay = clock.sent[-replayed:] if replayed else []
                batch = replay + [clock.event(*spec) for spec in specs]
                now = T0 + timedelta(minutes=clock.minutes + 1)
                if online is not None:
                    await _stats_reading(db, now, online)
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
        clock = _Clock()
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "v.sqlite3", readers=1) as db:
                await _stats_reading(db, T0 + timedelta(minutes=1), 16, room="someone_else")
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
