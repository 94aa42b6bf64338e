"""Events batches built by hand and ingested as the stream would, for the ingest, page and stitching tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from service.clock import to_db
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import BatchResult, ingest_events
from service.store.db import Database
from service.store.room_events import IncomingEvent, QuarantineItem

T0 = datetime(2026, 1, 2, tzinfo=UTC)
ROOM = "my_room"
CURSOR = "http://127.0.0.1:1/events/my_room/{token}/?i=x&timeout=1"


class Feed:
    """Makes events with increasing ids at given minutes after `start` (T0 unless given)."""

    def __init__(self, start: datetime = T0) -> None:
        self.seq = 0
        self.start = start

    def event(
        self, minute: float, method: str, user: str | None = "fan_1", **fields: object
    ) -> IncomingEvent:
        moment = self.start + timedelta(minutes=minute)
        ms = int(moment.timestamp() * 1000)
        self.seq += 1
        event_id = f"{ms}-{self.seq}"
        raw = json.dumps({"method": method, "id": event_id, "object": {"user": {"username": user}}})
        return IncomingEvent(id=event_id, ms=ms, seq=self.seq, at=to_db(moment), method=method,
                             username=user, raw=raw, **fields)  # type: ignore[arg-type]  # fmt: skip


async def ingest(
    db: Database,
    events: list[IncomingEvent],
    invalid: list[QuarantineItem] | None = None,
    *,
    policy: StitchPolicy | None = None,
    now: datetime | None = None,
) -> BatchResult:
    received = to_db(now) if now else (events[-1].at if events else to_db(T0))
    async with db.transaction() as conn:
        return await ingest_events(conn, events, invalid or [], CURSOR, broadcaster=ROOM,
                                    policy=policy or StitchPolicy(), received_at=received)  # fmt: skip


async def scalar(db: Database, sql: str, params: dict[str, Any] | None = None) -> Any:
    async with db.read() as conn, conn.execute(sql, params or {}) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def stored_ids(db: Database) -> list[str]:
    async with db.read() as conn, conn.execute("SELECT id FROM room_events ORDER BY ms, seq") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def seed_room(db: Database) -> Feed:
    """A finished broadcast with named and anonymous tips, a follow and visits, then a live one."""
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(1, "userEnter", "alice"),
        f.event(2, "tip", "alice", tokens=100),
        f.event(3, "tip", "secret_sam", tokens=500, is_anon=True), f.event(4, "follow", "bob"),
        f.event(5, "chatMessage", "bob", message="hello there"), f.event(60, "broadcastStop", ROOM),
        f.event(120, "broadcastStart", ROOM), f.event(121, "tip", "alice", tokens=10),
    ])  # fmt: skip
    return f
