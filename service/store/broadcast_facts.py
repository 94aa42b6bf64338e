"""The reads behind a broadcast's written summary and the weekly digest.

Every read is bounded by one broadcast (the `idx_room_events_broadcast` range, its attendance rows) or
by a time window on an index (`idx_broadcasts_started`, `idx_room_events_method`), so a summary costs
the same with 2,000 broadcasts behind it as with ten. Anonymous tips never carry their sender's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.store.db import Connection

SPENDING = ("tip", "mediaPurchase")


@dataclass(frozen=True, slots=True)
class Average:
    value: float | None
    count: int  # broadcasts behind it


@dataclass(frozen=True, slots=True)
class TipperRow:
    username: str | None  # None: the anonymous tips, grouped
    person_id: int | None
    tips: int
    tokens: int


@dataclass(frozen=True, slots=True)
class Attendee:
    username: str
    person_id: int
    tokens: int
    new: bool  # first seen in the room during this broadcast
    lapsed: bool  # seen before, but neither attended nor spent in the lapsed window before it


@dataclass(frozen=True, slots=True)
class FollowChange:
    kind: str  # 'follow', 'unfollow' (Events API: confirmed), 'fanclubJoin', or 'suspected'/'confirmed'
    at: str
    username: str


async def weekday_average(conn: Connection, started_at: str, *, limit: int = 10) -> Average:
    """Tokens of the last `limit` closed broadcasts started on the same UTC weekday before this one."""
    async with conn.execute(
        "SELECT avg(tokens), count(*) FROM (SELECT tokens FROM broadcasts "
        "WHERE started_at < :start AND ended_at IS NOT NULL "
        "AND strftime('%w', started_at) = strftime('%w', :start) ORDER BY started_at DESC LIMIT :limit)",
        {"start": started_at, "limit": limit},
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return Average(None if row[0] is None else float(row[0]), int(row[1]))


async def best_hour(conn: Connection, broadcast_id: int) -> tuple[str, int] | None:
    """(start of the UTC clock hour, tokens) of the hour that brought the most tokens."""
    async with conn.execute(
        "SELECT strftime('%Y-%m-%dT%H:00:00.000Z', at) AS hour, sum(tokens) AS tokens FROM room_events "
        "WHERE broadcast_id = :id AND method IN ('tip', 'mediaPurchase') GROUP BY hour "
        "HAVING sum(tokens) > 0 ORDER BY tokens DESC, hour LIMIT 1",
        {"id": broadcast_id},
    ) as cursor:
        row = await cursor.fetchone()
    return (str(row[0]), int(row[1])) if row else None


async def tippers(conn: Connection, broadcast_id: int, *, limit: int = 5) -> list[TipperRow]:
    """Who tipped most; every anonymous tip is in one row without a name or person."""
    async with conn.execute(
        "SELECT CASE WHEN e.is_anon THEN NULL ELSE e.person_id END AS person, "
        "CASE WHEN e.is_anon THEN NULL ELSE p.username END AS name, "
        "count(*) AS tips, sum(e.tokens) AS tokens "
        "FROM room_events e LEFT JOIN persons p ON p.id = e.person_id "
        "WHERE e.broadcast_id = :id AND e.method = 'tip' GROUP BY person, name "
        "ORDER BY tokens DESC, name LIMIT :limit",
        {"id": broadcast_id, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [TipperRow(r["name"], r["person"], int(r["tips"]), int(r["tokens"])) for r in rows]


async def attendees(
    conn: Connection,
    broadcast_id: int,
    *,
    start: str,
    lapsed_since: str,
    lapsed_since_day: str,
    start_day: str,
) -> list[Attendee]:
    """Everyone who attended (the ledger leaves out anonymous tips and the broadcaster), most spent first.
    Lapsed: no attendance of a broadcast started in [lapsed_since, start) — one small set of broadcasts,
    checked per person by seeks on (person, broadcast) — and no spending day in the same window."""
    async with conn.execute(
        "SELECT p.username, a.person_id, a.tokens, coalesce(st.first_seen_at >= b.started_at, 1) AS new, "
        "NOT EXISTS (SELECT 1 FROM broadcast_attendance a2 WHERE a2.person_id = a.person_id "
        "  AND a2.broadcast_id IN (SELECT w.id FROM broadcasts w "
        "    WHERE w.started_at >= :since AND w.started_at < :start)) "
        "AND NOT EXISTS (SELECT 1 FROM person_room_days d WHERE d.person_id = a.person_id "
        "  AND d.day >= :since_day AND d.day < :start_day) AS lapsed "
        "FROM broadcast_attendance a JOIN broadcasts b ON b.id = a.broadcast_id "
        "JOIN persons p ON p.id = a.person_id LEFT JOIN person_room_stats st ON st.person_id = a.person_id "
        "WHERE a.broadcast_id = :id ORDER BY a.tokens DESC, p.username",
        {
            "id": broadcast_id,
            "since": lapsed_since,
            "since_day": lapsed_since_day,
            "start_day": start_day,
            "start": start,
        },
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Attendee(r["username"], int(r["person_id"]), int(r["tokens"]), bool(r["new"]),
                 not r["new"] and bool(r["lapsed"]))
        for r in rows
    ]  # fmt: skip


async def follow_events(conn: Connection, broadcast_id: int) -> list[FollowChange]:
    """The broadcast's follows, unfollows and fan-club joins from the Events API, in order."""
    async with conn.execute(
        "SELECT e.method, e.at, p.username FROM room_events e JOIN persons p ON p.id = e.person_id "
        "WHERE e.broadcast_id = :id AND e.method IN ('follow', 'unfollow', 'fanclubJoin') "
        "ORDER BY e.ms, e.seq",
        {"id": broadcast_id},
    ) as cursor:
        return [FollowChange(r["method"], r["at"], r["username"]) for r in await cursor.fetchall()]


async def follower_removals(conn: Connection, *, since: str, until: str) -> list[FollowChange]:
    """Followers a complete list snapshot found missing between `since` and `until`, suspected or
    confirmed (held and dismissed ones are not removals)."""
    async with conn.execute(
        "SELECT r.state, r.missing_since, p.username FROM follow_removals r "
        "JOIN persons p ON p.id = r.person_id "
        "WHERE r.direction = 'follower' AND r.state IN ('suspected', 'confirmed') "
        "AND r.missing_since >= :since AND r.missing_since <= :until ORDER BY r.missing_since, p.username",
        {"since": since, "until": until},
    ) as cursor:
        return [FollowChange(r["state"], r["missing_since"], r["username"]) for r in await cursor.fetchall()]


async def biggest_tip_before(conn: Connection, *, since: str, until: str) -> tuple[int, int]:
    """(biggest tip, broadcasts) over the broadcasts started in [since, until)."""
    async with conn.execute(
        "SELECT coalesce(max(biggest_tip), 0), count(*) FROM broadcasts "
        "WHERE started_at >= :since AND started_at < :until",
        {"since": since, "until": until},
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def biggest_tip(conn: Connection, broadcast_id: int) -> tuple[str | None, int] | None:
    """(sender or None when anonymous, tokens) of the broadcast's biggest tip."""
    async with conn.execute(
        "SELECT CASE WHEN e.is_anon THEN NULL ELSE p.username END AS name, e.tokens FROM room_events e "
        "LEFT JOIN persons p ON p.id = e.person_id WHERE e.broadcast_id = :id AND e.method = 'tip' "
        "ORDER BY e.tokens DESC, e.ms, e.seq LIMIT 1",
        {"id": broadcast_id},
    ) as cursor:
        row = await cursor.fetchone()
    return (row["name"], int(row["tokens"])) if row else None


# --- the weekly digest ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowTotals:
    broadcasts: int
    seconds: int
    tokens: int
    new_fans: int
    followers_gained: int
    followers_lost: int


@dataclass(frozen=True, slots=True)
class BestBroadcast:
    id: int
    started_at: str
    tokens: int


async def window_totals(
    conn: Connection, *, since: str, until: str, since_ms: int, until_ms: int
) -> WindowTotals:
    """Broadcasts started in [since, until) and the room's follower changes and new fans in it.

    A broadcast still open (no stop seen yet) counts its time on air up to `until`, as the Room page
    does: its stored duration only reaches its last event.

    Followers lost are the Events API unfollows plus the removals a list snapshot (not an Events
    unfollow, already counted) confirmed, dated when the follower went missing.
    """
    async with conn.execute(
        "SELECT count(*), coalesce(sum(CASE WHEN ended_at IS NULL THEN max(coalesce(duration_seconds, 0), "
        "  (julianday(:until) - julianday(started_at)) * 86400) ELSE duration_seconds END), 0), "
        "coalesce(sum(tokens), 0) FROM broadcasts WHERE started_at >= :since AND started_at < :until",
        {"since": since, "until": until},
    ) as cursor:
        live = await cursor.fetchone()
    async with conn.execute(
        "SELECT (SELECT count(*) FROM person_room_stats "
        "  WHERE first_seen_at >= :since AND first_seen_at < :until), "
        "(SELECT count(*) FROM room_events WHERE method = 'follow' AND ms >= :since_ms AND ms < :until_ms), "
        "(SELECT count(*) FROM room_events "
        "  WHERE method = 'unfollow' AND ms >= :since_ms AND ms < :until_ms), "
        "(SELECT count(*) FROM follow_removals WHERE direction = 'follower' AND state = 'confirmed' "
        "  AND coalesce(resolved_source, '') <> 'events' "
        "  AND missing_since >= :since AND missing_since < :until)",
        {"since": since, "until": until, "since_ms": since_ms, "until_ms": until_ms},
    ) as cursor:
        people = await cursor.fetchone()
    assert live is not None
    assert people is not None
    return WindowTotals(int(live[0]), int(live[1]), int(live[2]), int(people[0]), int(people[1]),
                        int(people[2]) + int(people[3]))  # fmt: skip


async def best_broadcast(conn: Connection, *, since: str, until: str) -> BestBroadcast | None:
    async with conn.execute(
        "SELECT id, started_at, tokens FROM broadcasts WHERE started_at >= :since AND started_at < :until "
        "ORDER BY tokens DESC, started_at LIMIT 1",
        {"since": since, "until": until},
    ) as cursor:
        row = await cursor.fetchone()
    return BestBroadcast(int(row[0]), str(row[1]), int(row[2])) if row else None
