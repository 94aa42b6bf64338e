"""The reads behind Room › Insights: aggregates only, each one statement over an index.

The page's arithmetic (splitting broadcasts into hour cells, cohorts, gaps) is in service/insights.py;
these functions hand it small, already-grouped rows, so the page never walks the 5,000,000 room events
or 300,000 follow periods of a busy room in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection

# Room events that count in the "when to go live" heatmaps: tokens (tips and media) and follows.
TOKEN_METHODS = ("tip", "mediaPurchase")
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class BroadcastSpan:
    id: int
    started_at: str
    ended_at: str | None  # None while it is open
    last_event_at: str
    tokens: int
    new_followers: int
    unfollows: int


@dataclass(frozen=True, slots=True)
class HourEvents:
    """What the room's events in one UTC clock hour (epoch hours) added during broadcasts."""

    hour: int
    tokens: int
    follows: int


@dataclass(frozen=True, slots=True)
class CbhoursHour:
    """The own room's CBHours activity in one UTC clock hour ('YYYY-MM-DDTHH'): 3-minute segments
    online, and the followers count's net change from the segment before each (when adjacent)."""

    hour: str
    segments: int
    followers_gained: int


@dataclass(frozen=True, slots=True)
class StartDay:
    """Follower periods started on one UTC day, and how many of them had ended within 1, 4 and 12
    weeks of their own start."""

    day: str
    started: int
    ended_1w: int
    ended_4w: int
    ended_12w: int


@dataclass(frozen=True, slots=True)
class UnfollowCluster:
    broadcast_id: int
    started_at: datetime
    ended_at: datetime
    unfollows_24h: int


@dataclass(frozen=True, slots=True)
class TokenShares:
    fans: int  # persons with lifetime tokens > 0
    total: int
    top1_fans: int
    top1_tokens: int
    top10_fans: int
    top10_tokens: int


@dataclass(frozen=True, slots=True)
class TipperWeek:
    week: str  # the Monday (UTC) of the ISO week
    tippers: int
    new: int  # whose first spending day (room or imported) is in this week


async def list_broadcast_spans(conn: Connection) -> list[BroadcastSpan]:
    async with conn.execute(
        "SELECT id, started_at, ended_at, last_event_at, tokens, new_followers, unfollows "
        "FROM broadcasts ORDER BY started_at, id"
    ) as cursor:
        return [BroadcastSpan(*row) for row in await cursor.fetchall()]


async def hourly_room_events(conn: Connection) -> list[HourEvents]:
    """Tokens and follows per UTC clock hour, from the events of broadcasts only.

    The WHERE repeats the partial index idx_room_events_insights word for word, so SQLite reads that
    (covering) index alone instead of the 5,000,000-row table.
    """
    async with conn.execute(
        "SELECT ms / 3600000 AS hour, "
        "sum(CASE WHEN method = 'follow' THEN 0 ELSE tokens END), sum(method = 'follow') "
        "FROM room_events INDEXED BY idx_room_events_insights "
        "WHERE broadcast_id IS NOT NULL AND method IN ('tip', 'mediaPurchase', 'follow') "
        "GROUP BY hour ORDER BY hour"
    ) as cursor:
        return [HourEvents(*row) for row in await cursor.fetchall()]


async def cbhours_hours(conn: Connection, person_id: int) -> list[CbhoursHour]:
    """The room's CBHours activity per UTC hour. A follower change counts only between segments at
    most 6 minutes apart, so a day without data is not read as one jump."""
    async with conn.execute(
        "WITH t AS (SELECT segment_at, followers, julianday(segment_at) AS j "
        "  FROM cbhours_activity WHERE person_id = :id), "
        "s AS (SELECT segment_at, followers, j, lag(followers) OVER w AS before, lag(j) OVER w AS before_j "
        "  FROM t WINDOW w AS (ORDER BY segment_at)) "
        "SELECT substr(segment_at, 1, 13) AS hour, count(*), "
        "  coalesce(sum(CASE WHEN before IS NOT NULL AND followers IS NOT NULL "
        "    AND j - before_j <= 6.0 / 1440 THEN followers - before END), 0) "
        "FROM s GROUP BY hour ORDER BY hour",
        {"id": person_id},
    ) as cursor:
        return [CbhoursHour(*row) for row in await cursor.fetchall()]


async def follower_start_days(conn: Connection, *, since: str) -> list[StartDay]:
    """Per UTC start day (from the date `since`) of 'follower' periods, how many had ended within 1,
    4 and 12 weeks.

    An open period (a suspected unfollow included: only a confirmation ends a period) never counts as
    ended. Reads a range of idx_follow_periods_started (direction, started_at, ended_at) only.
    """
    async with conn.execute(
        "SELECT day, count(*), coalesce(sum(d < 7), 0), coalesce(sum(d < 28), 0), coalesce(sum(d < 84), 0) "
        "FROM (SELECT substr(started_at, 1, 10) AS day, "
        "  CASE WHEN ended_at IS NULL THEN NULL ELSE julianday(ended_at) - julianday(started_at) END AS d "
        "  FROM follow_periods WHERE direction = 'follower' AND started_at >= :since) "
        "GROUP BY day ORDER BY day",
        {"since": since},
    ) as cursor:
        return [StartDay(*row) for row in await cursor.fetchall()]


async def complete_follower_lists(conn: Connection) -> list[str]:
    """When each complete followers list (not reverted) was read, oldest first."""
    async with conn.execute(
        "SELECT finished_at FROM list_snapshots WHERE kind = 'followers' AND complete = 1 "
        "AND status != 'reverted' ORDER BY finished_at"
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


async def first_follower_start(conn: Connection) -> str | None:
    async with conn.execute(
        "SELECT min(started_at) FROM follow_periods WHERE direction = 'follower'"
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def unfollow_clusters(conn: Connection, *, limit: int = 5) -> list[UnfollowCluster]:
    """The closed broadcasts followed by the most unfollows (ended follower periods, from events or
    confirmed list removals) within 24 hours of their end; ties go to the latest broadcast."""
    async with conn.execute(
        "SELECT id, started_at, ended_at, n FROM (SELECT b.id, b.started_at, b.ended_at, "
        "  (SELECT count(*) FROM follow_periods f WHERE f.direction = 'follower' "
        "   AND f.ended_at >= b.ended_at "
        "   AND f.ended_at < strftime('%Y-%m-%dT%H:%M:%fZ', b.ended_at, '+1 day')) AS n "
        "  FROM broadcasts b WHERE b.ended_at IS NOT NULL) "
        "WHERE n > 0 ORDER BY n DESC, ended_at DESC LIMIT :limit",
        {"limit": limit},
    ) as cursor:
        return [
            UnfollowCluster(row[0], from_db(row[1]), from_db(row[2]), row[3])
            for row in await cursor.fetchall()
        ]


async def token_shares(conn: Connection) -> TokenShares:
    """Lifetime tokens (room tips, media and imported history) of the top 1% and 10% of the fans who
    spent anything; a share's fan count rounds up, so a room with 5 fans has a top 1% of one fan."""
    async with conn.execute(
        "SELECT count(*), coalesce(sum(lifetime_tokens), 0) FROM person_room_stats WHERE lifetime_tokens > 0"
    ) as cursor:
        row = await cursor.fetchone()
    fans, total = (int(row[0]), int(row[1])) if row else (0, 0)
    top1, top10 = -(-fans // 100), -(-fans // 10)
    async with conn.execute(
        "WITH ranked AS (SELECT lifetime_tokens AS t, row_number() OVER (ORDER BY lifetime_tokens DESC) AS n "
        "  FROM person_room_stats WHERE lifetime_tokens > 0 ORDER BY lifetime_tokens DESC LIMIT :top10) "
        "SELECT coalesce(sum(CASE WHEN n <= :top1 THEN t END), 0), coalesce(sum(t), 0) FROM ranked",
        {"top1": top1, "top10": top10},
    ) as cursor:
        row = await cursor.fetchone()
    top1_tokens, top10_tokens = (int(row[0]), int(row[1])) if row else (0, 0)
    return TokenShares(fans, total, top1, top1_tokens, top10, top10_tokens)


async def tippers_by_week(conn: Connection, *, since: str, weeks: int) -> list[TipperWeek]:
    """Per ISO week of the `weeks` from the Monday `since` (a date), the persons who spent that week and
    how many of them spent for the first time ever (no spending day of theirs before the week).
    Weeks without spending are left out."""
    async with conn.execute(
        "WITH RECURSIVE w(n, start, stop) AS (SELECT 1, :since, date(:since, '+7 days') "
        "  UNION ALL SELECT n + 1, stop, date(stop, '+7 days') FROM w WHERE n < :weeks) "
        "SELECT w.start, count(DISTINCT d.person_id), count(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 "
        "  FROM person_room_days f WHERE f.person_id = d.person_id AND f.day < w.start) "
        "  THEN d.person_id END) "
        "FROM w JOIN person_room_days d ON d.day >= w.start AND d.day < w.stop "
        "GROUP BY w.start ORDER BY w.start",
        {"since": since, "weeks": weeks},
    ) as cursor:
        return [TipperWeek(*row) for row in await cursor.fetchall()]
