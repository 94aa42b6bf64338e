"""The fan ledger kept by each Events batch equals a recomputation from the stored events.

The property test drives the same random batches as the broadcast summaries' (replays, anonymous tips,
the broadcaster's own events, broadcasts reopened and adopting loose events); the worked example pins
each figure by hand.
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
from service.store import fan_ledger, persons
from service.store.db import Database, open_database
from tests.support.random_events import CURSOR, ROOM, T0, Clock, Row, Step, batches, stats_reading


async def _differences(db: Database) -> list[fan_ledger.Difference]:
    async with db.read() as conn:
        return await fan_ledger.differences(conn, await persons.get_person_id(conn, ROOM))


async def _ingest(db: Database, steps: list[Step], clock: Clock) -> None:
    for specs, replayed, online in steps:
        replay = clock.sent[-replayed:] if replayed else []
        batch = replay + [clock.event(*spec) for spec in specs]
        now = T0 + timedelta(minutes=clock.minutes + 1)
        if online is not None:
            await stats_reading(db, now, online)
        async with db.transaction() as conn:
            await ingest_events(conn, batch, [], CURSOR, broadcaster=ROOM, policy=StitchPolicy(),
                                received_at=to_db(now))  # fmt: skip
        assert await _differences(db) == []


async def _run(steps: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "l.sqlite3", readers=1) as db:
            await _ingest(db, steps, Clock())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_the_ledger_after_every_batch_equals_a_recomputation(steps: list[Step]) -> None:
    asyncio.run(_run(steps))


async def _ledger(db: Database, username: str) -> dict[str, Any]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT s.*, s.lifetime_tokens AS lifetime FROM person_room_stats s "
            "JOIN persons p ON p.id = s.person_id WHERE p.username = :name",
            {"name": username},
        )
    (row,) = list(rows)
    return dict(row)


async def _attendance(db: Database, username: str) -> list[tuple[int, int]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT a.broadcast_id, a.tokens FROM broadcast_attendance a "
            "JOIN persons p ON p.id = a.person_id WHERE p.username = :name ORDER BY a.broadcast_id",
            {"name": username},
        )
    return [(row[0], row[1]) for row in rows]


async def _days(db: Database, username: str) -> list[tuple[str, int]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT d.day, d.tokens FROM person_room_days d JOIN persons p ON p.id = d.person_id "
            "WHERE p.username = :name ORDER BY d.day",
            {"name": username},
        )
    return [(row[0], row[1]) for row in rows]


def test_a_fans_figures_across_two_broadcasts_and_a_day_boundary() -> None:
    """Two broadcasts, the second after midnight: spending by kind, attendance, days; an anonymous tip
    and a replayed batch change nothing."""
    first: list[Row] = [
        (0.0, "broadcastStart", ROOM, 1, False), (1, "userEnter", "fan_0", 1, False),
        (1, "tip", "fan_0", 100, False), (1, "tip", "fan_0", 25, False), (1, "tip", "fan_0", 500, True),
        (1, "mediaPurchase", "fan_0", 40, False), (1, "fanclubJoin", "fan_0", 1, False),
        (1, "chatMessage", "fan_1", 1, False), (1, "broadcastStop", ROOM, 1, False),
    ]  # fmt: skip
    second: list[Row] = [
        (24 * 60 - 7, "broadcastStart", ROOM, 1, False), (1, "userEnter", "fan_0", 1, False),
        (1, "tip", "fan_0", 300, False), (1, "userEnter", "fan_0", 1, False),
        (1, "broadcastStop", ROOM, 1, False),
    ]  # fmt: skip

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "l.sqlite3", readers=1) as db:
                await _ingest(db, [(first, 0, None), (second, 3, None)], Clock())
                fan = await _ledger(db, "fan_0")
                assert (fan["tips"], fan["tokens_tipped"], fan["biggest_tip"]) == (3, 425, 300)
                assert (fan["media_purchases"], fan["media_tokens"], fan["lifetime"]) == (1, 40, 465)
                assert (fan["visits"], fan["broadcasts_attended"]) == (3, 2)
                assert fan["first_tip_at"] == to_db(T0 + timedelta(minutes=2))
                assert fan["fanclub_since"] == to_db(T0 + timedelta(minutes=6))
                assert (fan["last_tip_at"], fan["last_tip_tokens"]) == (
                    to_db(T0 + timedelta(minutes=24 * 60 + 3)),
                    300,
                )
                assert [tokens for _, tokens in await _attendance(db, "fan_0")] == [165, 300]
                assert await _days(db, "fan_0") == [("2026-01-02", 165), ("2026-01-03", 300)]
                lurker = await _ledger(db, "fan_1")
                assert (lurker["lifetime"], lurker["broadcasts_attended"]) == (0, 1)

    asyncio.run(run())


def test_a_tampered_ledger_is_reported() -> None:
    """The check can fail: a changed figure, a lost attendance row and an invented day are each named."""

    async def run() -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "l.sqlite3", readers=1) as db:
                rows: list[Row] = [(0, "broadcastStart", ROOM, 1, False), (1, "tip", "fan_0", 10, False)]
                await _ingest(db, [(rows, 0, None)], Clock())
                async with db.transaction() as conn:
                    await conn.execute("UPDATE person_room_stats SET media_tokens = 7")
                    await conn.execute("DELETE FROM broadcast_attendance")
                    await conn.execute(
                        "INSERT INTO person_room_days "
                        "SELECT person_id, '2020-01-01', 5 FROM person_room_stats"
                    )
                return [f"{d.table}.{d.column}" for d in await _differences(db)]

    assert sorted(asyncio.run(run())) == [
        "broadcast_attendance.row", "person_room_days.row", "person_room_stats.media_tokens",
    ]  # fmt: skip
