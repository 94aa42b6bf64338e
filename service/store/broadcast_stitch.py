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
its session began `time_online` minutes before the snapshot. Every broadcast touched is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from service.clock import from_db, to_db
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
    _loose: list[tuple[str, str]] = field(default_factory=list)  # (event id, at) outside any broadcast
    _assignments: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn: Connection, policy: StitchPolicy, room: str | None = None) -> Stitcher:
        rows = list(
            await conn.execute_fetchall(
                "SELECT id, last_event_at, ended_at, end_reason FROM broadcasts "
                "ORDER BY ended_at IS NULL DESC, started_at DESC, id DESC LIMIT 1"
            )
        )
        row = rows[0] if rows else None
        if row is None:
            return cls(conn, policy, None, room)
        if row["ended_at"] is None:
            return cls(conn, policy, _Open(int(row["id"]), str(row["last_event_at"])), room)
        return cls(
            conn, policy, None, room, _Latest(int(row["id"]), str(row["ended_at"]), str(row["end_reason"]))
        )

    def touched(self) -> set[int]:
        return set(self._touched)

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
            await self.conn.execute(
                "UPDATE broadcasts SET last_event_at = :at WHERE id = :id",
                {"at": self.open.last, "id": self.open.id},
            )
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
        async with self.conn.execute(
            "SELECT fetched_at, time_online FROM stats_snapshots WHERE username = :room "
            "AND fetched_at <= :hi AND last_fetched_at >= :lo ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            {
                "room": self.room,
                "lo": _plus(at, -self.policy.merge_gap),
                "hi": _plus(at, self.policy.merge_gap),
            },
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row["time_online"] is None:
            return None
        return _plus(str(row["fetched_at"]), -timedelta(minutes=int(row["time_online"])))

    def _assign(self, event_id: str, broadcast_id: int) -> None:
        self._assignments[event_id] = broadcast_id
        self._touched.add(broadcast_id)

    async def _start(self, event: Stamped) -> None:
        if self.open:
            if _gap(self.open.last, event.at) <= self.policy.merge_gap:
                await self.conn.execute(
                    "UPDATE broadcasts SET restarts = restarts + 1 WHERE id = :id", {"id": self.open.id}
                )
                return
            await self._close(self.open.last, "next_start", None)
        async with self.conn.execute(
            "SELECT id, ended_at FROM broadcasts WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1"
        ) as cur:
            previous = await cur.fetchone()
        if previous and _gap(previous[1], event.at) <= self.policy.merge_gap:
            await self.conn.execute(
                "UPDATE broadcasts SET restarts = restarts + 1 WHERE id = :id", {"id": int(previous[0])}
            )
            await self._resume(int(previous[0]), str(previous[1]))
            self.open = _Open(int(previous[0]), event.at)
            return
        cursor = await self.conn.execute(
            "INSERT INTO broadcasts (started_at, last_event_at, start_event_id) VALUES (:at, :at, :id)",
            {"at": event.at, "id": event.id},
        )
        if cursor.lastrowid is None:
            raise RuntimeError("broadcast insert returned no id")
        self.open = _Open(cursor.lastrowid, event.at)
        self.latest = None
        self._touched.add(cursor.lastrowid)

    async def _resume(self, broadcast_id: int, ended_at: str) -> None:
        """Reopen a closed broadcast; what happened since it ended belongs to it."""
        await self.conn.execute(
            "UPDATE broadcasts SET ended_at = NULL, end_reason = NULL, stop_event_id = NULL WHERE id = :id",
            {"id": broadcast_id},
        )
        self._adopt(broadcast_id, ended_at)
        await self._adopt_stored(broadcast_id, ended_at)
        self.open = _Open(broadcast_id, ended_at)
        self.latest = None

    async def _open_missed(self, began: str, at: str) -> None:
        """A broadcast whose start the stream never saw, from the session start the Stats API gives."""
        started = min(began, at)
        cursor = await self.conn.execute(
            "INSERT INTO broadcasts (started_at, last_event_at) VALUES (:started, :started)",
            {"started": started},
        )
        if cursor.lastrowid is None:
            raise RuntimeError("broadcast insert returned no id")
        self._adopt(cursor.lastrowid, started)
        await self._adopt_stored(cursor.lastrowid, started)
        self.open = _Open(cursor.lastrowid, started)
        self.latest = None

    def _adopt(self, broadcast_id: int, since: str) -> None:
        """This batch's loose events from `since` on (not inserted yet) join the broadcast."""
        for event_id, event_at in self._loose:
            if event_at >= since:
                self._assign(event_id, broadcast_id)
        self._loose.clear()
        self._touched.add(broadcast_id)

    async def _adopt_stored(self, broadcast_id: int, since: str) -> None:
        # Stored events of earlier batches, outside any broadcast, from `since` on.
        await self.conn.execute(
            "UPDATE room_events SET broadcast_id = :id WHERE broadcast_id IS NULL AND at >= :since",
            {"id": broadcast_id, "since": since},
        )

    async def _close(self, at: str, reason: str, stop_id: str | None) -> None:
        if self.open is None:
            return
        await self.conn.execute(
            "UPDATE broadcasts SET ended_at = :at, end_reason = :reason, stop_event_id = :stop, "
            "last_event_at = max(last_event_at, :last) WHERE id = :id",
            {"at": at, "reason": reason, "stop": stop_id, "last": self.open.last, "id": self.open.id},
        )
        self._touched.add(self.open.id)
        self.latest = _Latest(self.open.id, at, reason)
        self.open = None
        self._loose.clear()


_SUMMARY = (
    "SELECT "
    "coalesce(sum(CASE WHEN method = 'tip' THEN tokens END), 0) AS tip_tokens, "
    "coalesce(sum(CASE WHEN method = 'mediaPurchase' THEN tokens END), 0) AS media_tokens, "
    "count(CASE WHEN method = 'tip' THEN 1 END) AS tips, "
    "count(DISTINCT CASE WHEN method = 'tip' THEN person_id END) AS unique_tippers, "
    "coalesce(max(CASE WHEN method = 'tip' THEN tokens END), 0) AS biggest_tip, "
    "count(CASE WHEN method = 'follow' THEN 1 END) AS new_followers, "
    "count(CASE WHEN method = 'unfollow' THEN 1 END) AS unfollows, "
    "count(CASE WHEN method = 'fanclubJoin' THEN 1 END) AS fanclub_joins, "
    "count(CASE WHEN method = 'chatMessage' THEN 1 END) AS chat_messages, "
    "count(DISTINCT CASE WHEN person_id IS NOT :broadcaster THEN person_id END) AS unique_visitors "
    "FROM room_events WHERE broadcast_id = :id"
)


_VIEWERS = (
    "UPDATE broadcasts SET (peak_viewers, avg_viewers) = (SELECT max(s.num_viewers), avg(s.num_viewers) "
    "FROM stats_snapshots s WHERE s.fetched_at <= coalesce(broadcasts.ended_at, broadcasts.last_event_at) "
    "AND s.last_fetched_at >= broadcasts.started_at) WHERE id = :id"
)


async def _has_viewer_snapshots(conn: Connection) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT count(*) FROM pragma_table_info('stats_snapshots') "
        "WHERE name IN ('fetched_at', 'last_fetched_at', 'num_viewers')"
    )
    return bool(rows and next(iter(rows))[0] == 3)


async def refresh_summaries(
    conn: Connection, broadcast_ids: Iterable[int], broadcaster_id: int | None
) -> None:
    """Recompute the summary columns of these broadcasts from their stored events.

    Viewer figures need the Stats API snapshots (stored by the stats job every 5 minutes); while
    that table is missing they stay NULL rather than being guessed from enter/leave events, which
    anonymous guests never send.
    """
    ids = sorted(broadcast_ids)
    if ids and await _has_viewer_snapshots(conn):
        for broadcast_id in ids:
            await conn.execute(_VIEWERS, {"id": broadcast_id})
    for broadcast_id in ids:
        params = {"id": broadcast_id, "broadcaster": broadcaster_id}
        rows = list(await conn.execute_fetchall(_SUMMARY, params))
        if not rows:
            continue
        figures = dict(rows[0])
        await conn.execute(
            "UPDATE broadcasts SET tip_tokens = :tip_tokens, media_tokens = :media_tokens, "
            "tokens = :tip_tokens + :media_tokens, tips = :tips, unique_tippers = :unique_tippers, "
            "biggest_tip = :biggest_tip, new_followers = :new_followers, unfollows = :unfollows, "
            "fanclub_joins = :fanclub_joins, chat_messages = :chat_messages, "
            "unique_visitors = :unique_visitors, duration_seconds = CAST(round("
            "(julianday(coalesce(ended_at, last_event_at)) - julianday(started_at)) * 86400) AS INTEGER) "
            "WHERE id = :id",
            {**figures, "id": broadcast_id},
        )
