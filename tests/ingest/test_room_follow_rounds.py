"""Property: a batch's follow and unfollow events, applied in rounds, give the periods one-by-one would."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from service.clock import to_db
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.events_batch import ingest_events
from service.store.db import open_database
from service.store.room_events import IncomingEvent

ROOM = "my_room"
T0 = datetime(2026, 1, 2, tzinfo=UTC)
CURSOR = "http://127.0.0.1:1/events/my_room/{token}/?i=x&timeout=1"
Period = tuple[str, str, str | None]  # (username, start event, end event)


def _events(changes: list[tuple[str, str]]) -> list[IncomingEvent]:
    events = []
    for n, (method, user) in enumerate(changes, start=1):
        moment = T0 + timedelta(seconds=n)
        ms = int(moment.timestamp() * 1000)
        events.append(IncomingEvent(id=f"{ms}-{n}", ms=ms, seq=n, at=to_db(moment), method=method,
                                    username=user, raw=json.dumps({"method": method})))  # fmt: skip
    return events


def _one_by_one(events: list[IncomingEvent]) -> list[Period]:
    """The follow rules applied to each event in turn: a follow opens unless open, an unfollow ends."""
    periods: list[list[str | None]] = []
    open_of: dict[str, list[str | None]] = {}
    for event in events:
        user = str(event.username)
        if event.method == "follow" and user not in open_of:
            open_of[user] = [user, event.id, None]
            periods.append(open_of[user])
        elif event.method == "unfollow" and user in open_of:
            open_of.pop(user)[2] = event.id
    return sorted((str(u), str(s), e) for u, s, e in periods)


async def _stored(events: list[IncomingEvent]) -> list[Period]:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "f.sqlite3", readers=1) as db:
            async with db.transaction() as conn:
                await ingest_events(conn, events, [], CURSOR, broadcaster=ROOM, policy=StitchPolicy(),
                                    received_at=to_db(T0 + timedelta(hours=1)))  # fmt: skip
            async with db.read() as conn:
                rows = await conn.execute_fetchall(
                    "SELECT p.username, f.start_ref, f.end_ref FROM follow_periods f "
                    "JOIN persons p ON p.id = f.person_id WHERE f.direction = 'follower'"
                )
    return sorted((str(row[0]), str(row[1]), row[2]) for row in rows)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["follow", "unfollow"]), st.sampled_from(["a", "b", "c"])), max_size=14
    )
)
def test_follow_events_in_one_batch_keep_each_persons_order(changes: list[tuple[str, str]]) -> None:
    """Interleaved follows and unfollows of several people end as the rules say, event by event."""
    events = _events(changes)
    assert asyncio.run(_stored(events)) == _one_by_one(events)
