"""The few aggregates an AI report is given: the room's last days in numbers, no usernames unless asked.

Kept apart from the Insights page's analyses on purpose: a report stores these numbers with itself, so
they must stay what they are here, whatever the page later shows. Everything is UTC.

Period: the `days` before `as_of`. Broadcasts: the closed ones that started in the period (hours are
their durations, tokens their tips and media). Followers gained and lost: the Events API's follow and
unfollow events in the period. Fans: named spenders (anonymous tips stay out) by their spending on the
UTC days of the period; the top 10% are the ceil(n / 10) biggest. Best weekday and hour: tokens per
hour live, with each broadcast's live time split over the clock hours it covered and each token
counted in the hour it came in; only cells with at least MIN_CELL_HOURS live count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from service.clock import from_db, to_db
from service.store.db import Connection

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN_CELL_HOURS = 1.0
TOP_FANS = 5


async def room_statistics(
    conn: Connection, *, as_of: datetime, days: int = 30, include_names: bool = False
) -> dict[str, Any]:
    """The numbers, as a JSON-ready dict with a fixed key order."""
    start = as_of - timedelta(days=days)
    window = {"start": to_db(start), "end": to_db(as_of)}
    # room_events are ordered by their Events API id's milliseconds, which the method index covers.
    millis = {"start_ms": int(start.timestamp() * 1000), "end_ms": int(as_of.timestamp() * 1000)}
    shows = await _broadcasts(conn, window)
    seconds = sum((end - begin).total_seconds() for _, begin, end, _ in shows)
    tokens = sum(t for _, _, _, t in shows)
    hours = seconds / 3600
    gained, lost = await _follow_events(conn, millis)
    fans, spent, top_spent = await _spending(conn, start, as_of)
    weekday, hour = await _best_times(conn, window, shows)
    top = math.ceil(fans / 10)
    stats: dict[str, Any] = {
        "period": {"days": days, "from": to_db(start), "to": to_db(as_of), "time_zone": "UTC"},
        "broadcasts": len(shows),
        "hours_live": round(hours, 2),
        "tokens": tokens,
        "tokens_per_hour": round(tokens / hours, 1) if hours else None,
        "followers_gained": gained,
        "followers_lost": lost,
        "tipping_fans": fans,
        "top_10_percent_fans": top,
        "top_10_percent_share_percent": round(100 * top_spent / spent, 1) if spent else None,
        "best_weekday": weekday,
        "best_hour_utc": hour,
    }
    if include_names:
        stats["top_fans"] = await _top_fans(conn, start, as_of)
    return stats


_IN_PERIOD = "ended_at IS NOT NULL AND started_at >= :start AND started_at < :end"
_BROADCASTS = (
    f"SELECT id, started_at, ended_at, tokens FROM broadcasts WHERE {_IN_PERIOD} ORDER BY started_at"  # noqa: S608
)
_FOLLOWS = """
SELECT coalesce(sum(method = 'follow'), 0), coalesce(sum(method = 'unfollow'), 0) FROM room_events
 WHERE method IN ('follow', 'unfollow') AND ms >= :start_ms AND ms < :end_ms"""
# Per named spender of the period's days: how many, their total, and what the top tenth (ceil(n / 10)) spent.
_SPENDING = """
WITH fan AS (SELECT sum(tokens) AS tokens FROM person_room_days WHERE day >= :first AND day <= :last
              GROUP BY person_id),
     ranked AS (SELECT tokens, row_number() OVER (ORDER BY tokens DESC) AS rank, count(*) OVER () AS n
                  FROM fan)
SELECT count(*) AS n, coalesce(sum(tokens), 0) AS total,
       coalesce(sum(CASE WHEN rank <= (n + 9) / 10 THEN tokens ELSE 0 END), 0) AS top
  FROM ranked"""
_TOP_FANS = """
SELECT p.username, t.tokens FROM (
    SELECT person_id, sum(tokens) AS tokens FROM person_room_days WHERE day >= :first AND day <= :last
     GROUP BY person_id ORDER BY tokens DESC, person_id LIMIT :limit) t
  JOIN persons p ON p.id = t.person_id
 ORDER BY t.tokens DESC, t.person_id"""
# strftime('%w') counts from Sunday = 0; Python's weekday() from Monday = 0.
_TOKENS_BY_CELL = f"""
SELECT (CAST(strftime('%w', at) AS INTEGER) + 6) % 7 AS weekday, CAST(strftime('%H', at) AS INTEGER) AS hour,
       sum(tokens) AS tokens
  FROM room_events
 WHERE broadcast_id IN (SELECT id FROM broadcasts WHERE {_IN_PERIOD}) AND method IN ('tip', 'mediaPurchase')
 GROUP BY weekday, hour"""  # noqa: S608 - constants only


async def _broadcasts(conn: Connection, window: dict[str, str]) -> list[tuple[int, datetime, datetime, int]]:
    async with conn.execute(_BROADCASTS, window) as cursor:
        rows = await cursor.fetchall()
    return [(r["id"], from_db(r["started_at"]), from_db(r["ended_at"]), r["tokens"]) for r in rows]


async def _follow_events(conn: Connection, window: dict[str, int]) -> tuple[int, int]:
    async with conn.execute(_FOLLOWS, window) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _days(start: datetime, end: datetime) -> dict[str, str]:
    return {"first": start.date().isoformat(), "last": end.date().isoformat()}


async def _spending(conn: Connection, start: datetime, end: datetime) -> tuple[int, int, int]:
    """(named spenders, their tokens, the top tenth's tokens) of the period's days."""
    async with conn.execute(_SPENDING, _days(start, end)) as cursor:
        row = await cursor.fetchone()
    return (int(row["n"]), int(row["total"]), int(row["top"])) if row else (0, 0, 0)


async def _top_fans(conn: Connection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The biggest spenders of the period's days by name, biggest first."""
    async with conn.execute(_TOP_FANS, {**_days(start, end), "limit": TOP_FANS}) as cursor:
        return [{"username": r["username"], "tokens": int(r["tokens"])} for r in await cursor.fetchall()]


def _live_seconds(shows: list[tuple[int, datetime, datetime, int]]) -> dict[tuple[int, int], float]:
    """Seconds live per (weekday, hour), each broadcast split at the clock hours it crossed."""
    live: dict[tuple[int, int], float] = defaultdict(float)
    for _, begin, end, _ in shows:
        moment = begin
        while moment < end:
            next_hour = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            stop = min(end, next_hour)
            live[(moment.weekday(), moment.hour)] += (stop - moment).total_seconds()
            moment = stop
    return live


async def _tokens_by_cell(conn: Connection, window: dict[str, str]) -> dict[tuple[int, int], int]:
    async with conn.execute(_TOKENS_BY_CELL, window) as cursor:
        return {(r["weekday"], r["hour"]): int(r["tokens"]) for r in await cursor.fetchall()}


def _best(live: dict[int, float], tokens: dict[int, int], name: str, label: Any) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for key in sorted(live):
        hours = live[key] / 3600
        if hours < MIN_CELL_HOURS:
            continue
        rate = round(tokens.get(key, 0) / hours, 1)
        if best is None or rate > best["tokens_per_hour"]:
            best = {name: label(key), "tokens_per_hour": rate, "hours_live": round(hours, 2)}
    return best


async def _best_times(
    conn: Connection, window: dict[str, str], shows: list[tuple[int, datetime, datetime, int]]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    cells = _live_seconds(shows)
    tokens = await _tokens_by_cell(conn, window)
    live_day: dict[int, float] = defaultdict(float)
    live_hour: dict[int, float] = defaultdict(float)
    for (day, hour), seconds in cells.items():
        live_day[day] += seconds
        live_hour[hour] += seconds
    tokens_day: dict[int, int] = defaultdict(int)
    tokens_hour: dict[int, int] = defaultdict(int)
    for (day, hour), amount in tokens.items():
        tokens_day[day] += amount
        tokens_hour[hour] += amount
    best_day = _best(live_day, tokens_day, "weekday", lambda d: WEEKDAYS[d])
    best_hour = _best(live_hour, tokens_hour, "hour", lambda h: h)
    return best_day, best_hour
