"""Random room events for property tests: batches with gaps around the stitching thresholds, replays,
anonymous tips, the broadcaster's own events, and Stats API readings that keep a broadcast live."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from service.clock import to_db
from service.store.db import Database
from service.store.room_events import IncomingEvent

ROOM = "my_room"
T0 = datetime(2026, 1, 2, tzinfo=UTC)
CURSOR = "http://127.0.0.1:1/events/my_room/{token}/?i=x&timeout=1"
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


class Clock:
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


async def stats_reading(db: Database, at: datetime, minutes_online: int, room: str = ROOM) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, token_balance, "
            "tips_in_last_hour, votes_up, votes_down, satisfaction_score, time_online, num_followers, "
            "num_viewers, num_registered_viewers) VALUES (:room, :at, :at, :at, 0, 0, 0, 0, 0, :online, "
            "0, :viewers, 0)",
            {"room": room, "at": to_db(at), "online": minutes_online, "viewers": minutes_online % 17},
        )


Row = tuple[float, str, str | None, int, bool]  # (minutes after the last, method, who, tokens, anonymous)
Step = tuple[list[Row], int, int | None]  # (new events, how many earlier ones replayed first, Stats reading)
