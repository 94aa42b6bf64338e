"""Presence kept by each Events batch equals a recomputation from the stored events.

The property test drives the fan ledger's random batches (replays, anonymous tips, the broadcaster's
own events, broadcasts reopened and adopting loose events); the recomputation here walks each
person's stored events backwards, independently of the ingest's forward fold.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from service.clock import to_db
from service.ingest import presence as presence_rules
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import ingest_events
from service.store import persons, presence
from service.store.db import Database, open_database
from service.store.presence import Stay
from service.store.room_events import IncomingEvent
from tests.support.random_events import CURSOR, ROOM, T0, Clock, Row, Step, batches, stats_reading


async def _expected(db: Database) -> dict[int, Stay]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT e.person_id, e.at, e.method, e.broadcast_id FROM room_events e "
            "JOIN persons p ON p.id = e.person_id WHERE p.username != :room AND NOT e.is_anon "
            "AND e.method NOT IN ('broadcastStart', 'broadcastStop', 'roomSubjectChange') "
            "ORDER BY e.ms, e.seq",
            {"room": ROOM},
        )
    by_person: dict[int, list[tuple[str, str, int | None]]] = {}
    for person, at, method, broadcast in rows:
        by_person.setdefault(person, []).append((at, method, broadcast))
    expected: dict[int, Stay] = {}
    for person, events in by_person.items():
        last_at, last_method, broadcast = events[-1]
        entered = last_at
        if last_method != "userEnter":
            for at, method, other in reversed(events[:-1]):
                if method == "userLeave" or other != broadcast:
                    break
                entered = at
                if method == "userEnter":
                    break
        left = last_at if last_method == "userLeave" else None
        expected[person] = Stay(person, broadcast, entered, last_at, left)
    return expected


async def _stored(db: Database) -> dict[int, Stay]:
    async with db.read() as conn:
        return await presence.all_stays(conn)


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
        assert await _stored(db) == await _expected(db)
    async with db.read() as conn:  # and `mhc check`'s recomputation agrees
        assert await presence_rules.differences(conn, await persons.get_person_id(conn, ROOM)) == []


async def _run(steps: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "p.sqlite3", readers=1) as db:
            await _ingest(db, steps, Clock())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_presence_after_every_batch_equals_a_recomputation(steps: list[Step]) -> None:
    asyncio.run(_run(steps))


async def _present(db: Database) -> dict[str, tuple[str, str | None]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT p.username, r.entered_at, r.left_at FROM room_presence r "
            "JOIN persons p ON p.id = r.person_id "
            "JOIN broadcasts b ON b.id = r.broadcast_id WHERE b.ended_at IS NULL AND r.left_at IS NULL"
        )
    return {row[0]: (row[1], row[2]) for row in rows}


def _at(minutes: float) -> str:
    return to_db(T0 + timedelta(minutes=minutes))


def test_enter_chat_leave_and_the_broadcasts_end() -> None:
    """Enter, chat, leave; a chatter who never entered is present; an anonymous tipper is not; the
    broadcaster never is; after the stop nobody is."""
    rows: list[Row] = [
        (0, "broadcastStart", ROOM, 1, False), (1, "userEnter", "fan_0", 1, False),
        (1, "chatMessage", "fan_1", 1, False), (1, "tip", "fan_2", 50, True),
        (1, "chatMessage", ROOM, 1, False), (1, "chatMessage", "fan_0", 1, False),
    ]  # fmt: skip
    later: list[Row] = [(1, "userLeave", "fan_1", 1, False), (1, "userEnter", "fan_1", 1, False)]
    stop: list[Row] = [(1, "broadcastStop", ROOM, 1, False)]

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "p.sqlite3", readers=1) as db:
                clock = Clock()
                await _ingest(db, [(rows, 0, None)], clock)
                assert await _present(db) == {"fan_0": (_at(1), None), "fan_1": (_at(2), None)}
                await _ingest(db, [(later[:1], 2, None)], clock)
                assert set(await _present(db)) == {"fan_0"}
                await _ingest(db, [(later[1:], 0, None)], clock)
                assert await _present(db) == {"fan_0": (_at(1), None), "fan_1": (_at(7), None)}
                await _ingest(db, [(stop, 0, None)], clock)
                assert await _present(db) == {}

    asyncio.run(run())


async def _batch(db: Database, events: list[IncomingEvent]) -> None:
    async with db.transaction() as conn:
        await ingest_events(conn, events, [], CURSOR, broadcaster=ROOM, policy=StitchPolicy(),
                            received_at=events[-1].at)  # fmt: skip


def test_an_event_older_than_the_stored_stay_is_recomputed_in_order() -> None:
    """A late-delivered older event (a chat before the entry already stored) does not become the
    person's latest: their stay is recomputed from the stored events in time order."""

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with open_database(Path(tmp) / "p.sqlite3", readers=1) as db:
                clock = Clock()
                start = clock.event(0, "broadcastStart", ROOM, 1, False)
                enter = clock.event(5, "userEnter", "fan_0", 1, False)
                await _batch(db, [start, enter])
                late = clock.event(0, "chatMessage", "fan_0", 1, False)
                older = replace(late, ms=start.ms + 60_000, at=_at(1), id=f"{start.ms + 60_000}-99")
                await _batch(db, [older])
                assert await _stored(db) == await _expected(db)
                assert await _present(db) == {"fan_0": (_at(5), None)}

    asyncio.run(run())
