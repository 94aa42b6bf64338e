"""Writing broadcasts: the rows stitching opens, closes and reopens, and their summary figures.

When a broadcast starts or ends is decided by `ingest.broadcast_stitching`; these functions only
carry it out inside the batch's transaction. A summary grows by each batch's own events
(`add_to_summary`, told by `seen_in_broadcast` who is new to the broadcast), and is recomputed from
the stored events (`recompute_summaries`) only when a broadcast's membership changes wholesale.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields

from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class LatestBroadcast:
    """The open broadcast if there is one, otherwise the newest."""

    id: int
    last_event_at: str
    ended_at: str | None
    end_reason: str | None


@dataclass(frozen=True, slots=True)
class StatsReading:
    """One Stats API snapshot of the room: when it was fetched and its minutes online (None: offline)."""

    fetched_at: str
    time_online: int | None


async def latest_broadcast(conn: Connection) -> LatestBroadcast | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT id, last_event_at, ended_at, end_reason FROM broadcasts "
            "ORDER BY ended_at IS NULL DESC, started_at DESC, id DESC LIMIT 1"
        )
    )
    if not rows:
        return None
    row = rows[0]
    return LatestBroadcast(int(row["id"]), str(row["last_event_at"]), row["ended_at"], row["end_reason"])


async def latest_ended(conn: Connection) -> tuple[int, str] | None:
    """(id, ended_at) of the broadcast that ended last."""
    async with conn.execute(
        "SELECT id, ended_at FROM broadcasts WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1"
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


async def stats_reading(conn: Connection, room: str, *, since: str, until: str) -> StatsReading | None:
    """The newest Stats API snapshot of the room given between `since` and `until` (a snapshot spans
    the fetches, from fetched_at to last_fetched_at, that gave the same answer)."""
    async with conn.execute(
        "SELECT fetched_at, time_online FROM stats_snapshots WHERE username = :room "
        "AND fetched_at <= :until AND last_fetched_at >= :since "
        "ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
        {"room": room, "since": since, "until": until},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return StatsReading(
        str(row["fetched_at"]), None if row["time_online"] is None else int(row["time_online"])
    )


async def insert_broadcast(conn: Connection, *, started_at: str, start_event_id: str | None) -> int:
    cursor = await conn.execute(
        "INSERT INTO broadcasts (started_at, last_event_at, start_event_id) VALUES (:at, :at, :id)",
        {"at": started_at, "id": start_event_id},
    )
    if cursor.lastrowid is None:
        raise RuntimeError("broadcast insert returned no id")
    return cursor.lastrowid


async def set_last_event(conn: Connection, broadcast_id: int, at: str) -> None:
    await conn.execute(
        "UPDATE broadcasts SET last_event_at = :at WHERE id = :id", {"at": at, "id": broadcast_id}
    )


async def count_restart(conn: Connection, broadcast_id: int) -> None:
    await conn.execute("UPDATE broadcasts SET restarts = restarts + 1 WHERE id = :id", {"id": broadcast_id})


async def close_broadcast(
    conn: Connection,
    broadcast_id: int,
    *,
    at: str,
    reason: str,
    stop_event_id: str | None,
    last_event_at: str,
) -> None:
    await conn.execute(
        "UPDATE broadcasts SET ended_at = :at, end_reason = :reason, stop_event_id = :stop, "
        "last_event_at = max(last_event_at, :last) WHERE id = :id",
        {"at": at, "reason": reason, "stop": stop_event_id, "last": last_event_at, "id": broadcast_id},
    )


async def reopen_broadcast(conn: Connection, broadcast_id: int) -> None:
    await conn.execute(
        "UPDATE broadcasts SET ended_at = NULL, end_reason = NULL, stop_event_id = NULL WHERE id = :id",
        {"id": broadcast_id},
    )


async def adopt_loose_events(conn: Connection, broadcast_id: int, *, since: str) -> None:
    """Stored events outside any broadcast, from `since` on, join this one."""
    await conn.execute(
        "UPDATE room_events SET broadcast_id = :id WHERE broadcast_id IS NULL AND at >= :since",
        {"id": broadcast_id, "since": since},
    )


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


# The room's own Stats API snapshots that overlap the broadcast: the (username, last_fetched_at)
# index reads only those since its start, so the cost does not grow with the snapshot history.
_VIEWERS_SET = (
    "(peak_viewers, avg_viewers) = (SELECT max(s.num_viewers), avg(s.num_viewers) "
    "FROM stats_snapshots s WHERE s.username = (SELECT username FROM persons WHERE id = :broadcaster) "
    "AND s.last_fetched_at >= broadcasts.started_at "
    "AND s.fetched_at <= coalesce(broadcasts.ended_at, broadcasts.last_event_at))"
)
_VIEWERS = f"UPDATE broadcasts SET {_VIEWERS_SET} WHERE id = :id"  # noqa: S608 - fixed text


@dataclass(frozen=True, slots=True)
class SummaryDelta:
    """What one batch's events add to a broadcast's summary (people counted only if new to it)."""

    tip_tokens: int = 0
    media_tokens: int = 0
    tips: int = 0
    new_tippers: int = 0
    biggest_tip: int = 0
    new_followers: int = 0
    unfollows: int = 0
    fanclub_joins: int = 0
    chat_messages: int = 0
    new_visitors: int = 0


@dataclass(frozen=True, slots=True)
class SeenBefore:
    """Of some persons, those with an event in the broadcast already, and those with a tip in it."""

    visited: frozenset[int]
    tipped: frozenset[int]


async def seen_in_broadcast(conn: Connection, broadcast_id: int, person_ids: Collection[int]) -> SeenBefore:
    """Which of these persons the broadcast's stored events include, in index seeks only.

    `idx_room_events_broadcast` is ordered (broadcast, method, person): `kinds` walks the broadcast's
    few distinct methods one seek each, then each person is one seek per method, so the cost does not
    grow with the broadcast's length.
    """
    if not person_ids:
        return SeenBefore(frozenset(), frozenset())
    rows = await conn.execute_fetchall(
        "WITH RECURSIVE kinds (method) AS ("
        "  SELECT min(method) FROM room_events WHERE broadcast_id = :id"
        "  UNION ALL SELECT (SELECT min(method) FROM room_events WHERE broadcast_id = :id "
        "    AND method > kinds.method) FROM kinds WHERE kinds.method IS NOT NULL) "
        "SELECT p.value AS person_id, EXISTS (SELECT 1 FROM room_events e WHERE e.broadcast_id = :id "
        "AND e.method = 'tip' AND e.person_id = p.value) AS tipped FROM json_each(:persons) p "
        "WHERE EXISTS (SELECT 1 FROM room_events e WHERE e.broadcast_id = :id "
        "AND e.method IN (SELECT method FROM kinds) AND e.person_id = p.value)",
        {"id": broadcast_id, "persons": json.dumps(sorted(person_ids))},
    )
    visited = frozenset(int(row["person_id"]) for row in rows)
    return SeenBefore(visited, frozenset(int(row["person_id"]) for row in rows if row["tipped"]))


async def _refresh_viewers(conn: Connection, broadcast_ids: list[int], broadcaster_id: int | None) -> None:
    """Viewer figures come from the Stats API snapshots (every 5 minutes); without them they stay
    NULL rather than being guessed from enter/leave events, which anonymous guests never send."""
    for broadcast_id in broadcast_ids:
        await conn.execute(_VIEWERS, {"id": broadcast_id, "broadcaster": broadcaster_id})


async def add_to_summary(
    conn: Connection, broadcast_id: int, delta: SummaryDelta, broadcaster_id: int | None
) -> None:
    """Add one batch's events to the broadcast's summary; its duration and viewers are refreshed (one
    statement: it runs with every batch)."""
    await conn.execute(
        f"UPDATE broadcasts SET {_VIEWERS_SET}, tip_tokens = tip_tokens + :tip_tokens, "  # noqa: S608 - fixed
        "media_tokens = media_tokens + :media_tokens, tokens = tokens + :tip_tokens + :media_tokens, "
        "tips = tips + :tips, unique_tippers = unique_tippers + :new_tippers, "
        "biggest_tip = max(biggest_tip, :biggest_tip), new_followers = new_followers + :new_followers, "
        "unfollows = unfollows + :unfollows, fanclub_joins = fanclub_joins + :fanclub_joins, "
        "chat_messages = chat_messages + :chat_messages, "
        "unique_visitors = unique_visitors + :new_visitors, "
        "duration_seconds = CAST(round((julianday(coalesce(ended_at, last_event_at)) "
        "- julianday(started_at)) "
        "* 86400) AS INTEGER) WHERE id = :id",
        {**{f.name: getattr(delta, f.name) for f in fields(delta)}, "id": broadcast_id,
         "broadcaster": broadcaster_id},
    )  # fmt: skip


async def recompute_summaries(
    conn: Connection, broadcast_ids: Iterable[int], broadcaster_id: int | None
) -> None:
    """Recompute the summary columns of these broadcasts from their stored events."""
    ids = sorted(broadcast_ids)
    await _refresh_viewers(conn, ids, broadcaster_id)
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
            "unique_visitors = :unique_visitors, "
            "duration_seconds = CAST(round((julianday(coalesce(ended_at, last_event_at)) "
            "- julianday(started_at)) "
            "* 86400) AS INTEGER) WHERE id = :id",
            {**figures, "id": broadcast_id},
        )
