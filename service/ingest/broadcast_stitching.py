"""Broadcasts of the own room, stitched live from broadcastStart/broadcastStop as batches arrive.

Rules (the merge gap and the timeout are settings):
- a start within the merge gap after the previous broadcast ended reopens it (a restart of the
  stream, a dropped connection): the events in between join it too;
- a start while a broadcast is open continues it if the open one saw an event within the merge gap,
  and otherwise closes it at its last event (the stop never came) and opens a new one;
- an open broadcast that sees no event for the timeout, while the stream is caught up, or whose next
  event comes later than the timeout, is closed at its last event ("closed after a silence") —
  unless the Stats API says the same session is still live;
- that close is a guess, so it is undone by the evidence that comes later: the broadcastStop that
  never came (no start in between), or an event while the Stats API says the session that began
  before the silence is still live, reopens the broadcast, with every event since it was closed;
- an event while the Stats API says the room is live in a session that began after the last
  broadcast (its start was never seen) opens a broadcast from the session's start.
"Live per the Stats API at t" means a snapshot within the merge gap of t reported the room online;
its session began `time_online` minutes before the snapshot. A broadcast that gained only this
batch's events has them added to its summary; one reopened or adopting events outside any broadcast
is `rebuilt()` (its summary recomputed from all its events, `ingest.broadcast_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from service.clock import from_db, to_db
from service.store import broadcast_writes
from service.store.db import Connection

START, STOP = "broadcastStart", "broadcastStop"
SILENCE = "timeout"  # the end_reason of a broadcast closed after a silence


@dataclass(frozen=True, slots=True)
class StitchPolicy:
    merge_gap: timedelta = timedelta(minutes=10)
    timeout: timedelta = timedelta(hours=1)


class Stamped(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def method(self) -> str: ...


@dataclass
class _Open:
    id: int
    last: str


@dataclass(frozen=True, slots=True)
class _Latest:
    """The newest broadcast when none is open: where it ended and why."""

    id: int
    ended: str
    reason: str


def _gap(earlier: str, later: str) -> timedelta:
    return from_db(later) - from_db(earlier)


def _plus(at: str, delta: timedelta) -> str:
    return to_db(from_db(at) + delta)


@dataclass
class Stitcher:
    """Holds the open broadcast while one batch is fed through it, inside the batch's transaction."""

    conn: Connection
    policy: StitchPolicy
    open: _Open | None
    room: str | None = None  # the broadcaster, whose Stats API snapshots tell when the room was live
    latest: _Latest | None = None  # the newest broadcast while none is open
    _touched: set[int] = field(default_factory=set)
    _rebuilt: set[int] = field(default_factory=set)  # gained stored events besides this batch's
    _loose: list[tuple[str, str]] = field(default_factory=list)  # (event id, at) outside any broadcast
    _assignments: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn: Connection, policy: StitchPolicy, room: str | None = None) -> Stitcher:
        row = await broadcast_writes.latest_broadcast(conn)
        if row is None:
            return cls(conn, policy, None, room)
        if row.ended_at is None:
            return cls(conn, policy, _Open(row.id, row.last_event_at), room)
        return cls(conn, policy, None, room, _Latest(row.id, row.ended_at, str(row.end_reason)))

    def touched(self) -> set[int]:
        return set(self._touched)

    def rebuilt(self) -> set[int]:
        """The touched broadcasts whose events changed wholesale: reopened, or adopting loose events."""
        return set(self._rebuilt)

    async def feed(self, events: Sequence[Stamped]) -> dict[str, int]:
        """event id → broadcast id for the events that belong to one."""
        for event in events:
            if self.open and event.method != START and _gap(self.open.last, event.at) > self.policy.timeout:
                await self._close_unless_live(event.at)
            if event.method == START:
                await self._start(event)
            elif self.open is None:
                await self._place(event)
            if self.open is None:
                self._loose.append((event.id, event.at))
                continue
            self._assign(event.id, self.open.id)
            self.open.last = max(self.open.last, event.at)
            if event.method == STOP:
                await self._close(event.at, "stop", event.id)
        if self.open:
            await broadcast_writes.set_last_event(self.conn, self.open.id, self.open.last)
        return self._assignments

    async def close_if_stale(self, now: str) -> None:
        """With the stream caught up, close a broadcast that has been silent for the timeout."""
        if self.open and _gap(self.open.last, now) > self.policy.timeout:
            await self._close_unless_live(now)

    async def _close_unless_live(self, now: str) -> None:
        """Close the silent open broadcast at its last event, unless the Stats API says it is still on."""
        if self.open is None:
            return
        began = await self._stats_session_start(now)
        if began is not None and began <= _plus(self.open.last, self.policy.merge_gap):
            return
        await self._close(self.open.last, SILENCE, None)

    async def _place(self, event: Stamped) -> None:
        """A non-start event with no broadcast open: does some source say the room is live?"""
        latest = self.latest
        if latest is not None and latest.reason == SILENCE and event.method == STOP:
            # The stop that never came: the session went on until now.
            await self._resume(latest.id, latest.ended)
            return
        began = await self._stats_session_start(event.at)
        if began is None:
            return
        if (
            latest is not None
            and latest.reason == SILENCE
            and began <= _plus(latest.ended, self.policy.merge_gap)
        ):
            await self._resume(latest.id, latest.ended)
        elif latest is None or began > latest.ended:
            await self._open_missed(began, event.at)

    async def _stats_session_start(self, at: str) -> str | None:
        """When the session began that the Stats API saw live within the merge gap of `at`, if any."""
        if self.room is None:
            return None
        reading = await broadcast_writes.stats_reading(
            self.conn,
            self.room,
            since=_plus(at, -self.policy.merge_gap),
            until=_plus(at, self.policy.merge_gap),
        )
        if reading is None or reading.time_online is None:
            return None
        return _plus(reading.fetched_at, -timedelta(minutes=reading.time_online))

    def _assign(self, event_id: str, broadcast_id: int) -> None:
        self._assignments[event_id] = broadcast_id
        self._touched.add(broadcast_id)

    async def _start(self, event: Stamped) -> None:
        if self.open:
            if _gap(self.open.last, event.at) <= self.policy.merge_gap:
                await broadcast_writes.count_restart(self.conn, self.open.id)
                return
            await self._close(self.open.last, "next_start", None)
        previous = await broadcast_writes.latest_ended(self.conn)
        if previous and _gap(previous[1], event.at) <= self.policy.merge_gap:
            await broadcast_writes.count_restart(self.conn, previous[0])
            await self._resume(*previous)
            self.open = _Open(previous[0], event.at)
            return
        broadcast_id = await broadcast_writes.insert_broadcast(
            self.conn, started_at=event.at, start_event_id=event.id
        )
        self.open = _Open(broadcast_id, event.at)
        self.latest = None
        self._touched.add(broadcast_id)

    async def _resume(self, broadcast_id: int, ended_at: str) -> None:
        """Reopen a closed broadcast; what happened since it ended belongs to it."""
        await broadcast_writes.reopen_broadcast(self.conn, broadcast_id)
        await self._adopt(broadcast_id, ended_at)
        self.open = _Open(broadcast_id, ended_at)
        self.latest = None

    async def _open_missed(self, began: str, at: str) -> None:
        """A broadcast whose start the stream never saw, from the session start the Stats API gives."""
        started = min(began, at)
        broadcast_id = await broadcast_writes.insert_broadcast(
            self.conn, started_at=started, start_event_id=None
        )
        await self._adopt(broadcast_id, started)
        self.open = _Open(broadcast_id, started)
        self.latest = None

    async def _adopt(self, broadcast_id: int, since: str) -> None:
        """Every event from `since` on outside a broadcast joins this one: stored ones of earlier
        batches, and this batch's loose ones (not inserted yet)."""
        for event_id, event_at in self._loose:
            if event_at >= since:
                self._assign(event_id, broadcast_id)
        self._loose.clear()
        self._touched.add(broadcast_id)
        self._rebuilt.add(broadcast_id)
        await broadcast_writes.adopt_loose_events(self.conn, broadcast_id, since=since)

    async def _close(self, at: str, reason: str, stop_id: str | None) -> None:
        if self.open is None:
            return
        await broadcast_writes.close_broadcast(
            self.conn, self.open.id, at=at, reason=reason, stop_event_id=stop_id, last_event_at=self.open.last
        )
        self._touched.add(self.open.id)
        self.latest = _Latest(self.open.id, at, reason)
        self.open = None
        self._loose.clear()
