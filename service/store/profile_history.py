"""The Profile page's history series: follower counts per source and the two CBHours ranks.

Two readers of the same series: `points` returns every stored point (the page's JSON twin carries them
as stored), and `thinned` what a chart cut into `Buckets` can draw: per bucket its last value, and the
None after it when the bucket ends in a break — `web.charts.downsample` done by index seeks, one per
bucket and table, so its cost does not grow with the history (a busy person's three years of points
never reach Python, nor are they scanned). A test holds `thinned` equal to `downsample` of `points`.

Points are (UTC text time, value) pairs oldest first; a None value breaks the line. Each source keeps
its own series so a chart never joins two sources' points into one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from service.clock import to_db
from service.store.db import Connection

HistoryPoint = tuple[str, int | None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Branch:
    """One table's share of a series: its rows of the person (`rows`, with :id and :u bound), the point's
    time column and value (NULL: a break), and `k`, the order among points of the same time. `seek` is
    an indexed column that orders as `time` does, when `time` itself has no index (an epoch in seconds
    of a whole-second time); `since` the column the page's window bounds, `time` unless given;
    `breaks`: the value may be NULL; `index` the index a bucket's seek must use, where SQLite would
    pick another."""

    table: str
    rows: str
    time: str
    value: str
    k: int = 0
    seek: str | None = None
    since: str | None = None
    breaks: bool = False
    index: str | None = None

    def select(self) -> str:
        """Every point of this branch as rows (t, v, k), in the page's window (`:since`, NULL: all)."""
        return (
            f"SELECT {self.time} AS t, {self.value} AS v, {self.k} AS k FROM {self.table} "  # noqa: S608 - fixed texts
            f"WHERE {self.rows} AND (:since IS NULL OR {self.since or self.time} >= :since)"
        )

    def last_in_bucket(self, *, breaks: bool) -> str:
        """A correlated subquery: bucket `e`'s last value of this branch or, with `breaks`, its last
        point whatever its value, as 'time|k|value' text, found by a seek down the index from the
        bucket's end. With `breaks` a None there (the only None that can follow the bucket's last value)
        is followed by '#' and the last value before it, which a second seek finds only then."""
        column, lo, hi = (self.seek, "e.lo_s", "e.hi_s") if self.seek else (self.time, "e.lo", "e.hi")
        indexed = f"INDEXED BY {self.index} " if self.index else ""
        where = (
            f"WHERE {self.rows} AND {column} >= {lo} AND {column} < {hi} "
            f"AND (:since IS NULL OR {self.since or self.time} >= :since)"
        )
        point = f"{self.time} || '|{self.k}|' || coalesce({self.value}, '')"
        last_value = (
            f"(SELECT {point} FROM {self.table} {indexed}{where} AND {self.value} IS NOT NULL "  # noqa: S608 - fixed texts
            f"ORDER BY {column} DESC LIMIT 1)"
        )
        if not breaks:
            return last_value
        if self.value == "NULL":  # every point of the branch is a break
            return f"(SELECT {point} FROM {self.table} {indexed}{where} ORDER BY {column} DESC LIMIT 1)"  # noqa: S608 - fixed texts
        return (
            f"(SELECT r.p || CASE WHEN r.v IS NULL THEN '#' || coalesce({last_value}, '') ELSE '' END "  # noqa: S608 - fixed texts
            f"FROM (SELECT {point} AS p, {self.value} AS v FROM {self.table} {indexed}{where} "
            f"ORDER BY {column} DESC LIMIT 1) AS r)"
        )


@dataclass(frozen=True, slots=True)
class HistorySeries:
    """The branches of one line of a chart."""

    branches: tuple[Branch, ...]

    def select(self) -> str:
        return " UNION ALL ".join(branch.select() for branch in self.branches)


_ACTIVITY, _LIVE, _HISTORY = "cbhours_activity", "cbhours_live_stats", "follower_history"
_SESSIONS = "affiliate_api_snapshots"
FOLLOWER_SERIES = {
    "cbhours": HistorySeries((
        Branch(_ACTIVITY, "person_id = :id AND followers IS NOT NULL", "segment_at", "followers"),
        Branch(_LIVE, "person_id = :id AND followers IS NOT NULL", "checked_at", "followers"),
        Branch(_HISTORY, "person_id = :id AND source = 'cbhours'", "observed_at", "followers"),
    )),
    # Each session's first and latest count, then a None: sessions are separate stretches. A session
    # is in the window while it was seen in it.
    "affiliate": HistorySeries((
        Branch(_SESSIONS, "person_id = :id", "session_start", "followers_start", 0, "session_start_s",
               "last_seen_at"),
        Branch(_HISTORY, "person_id = :id AND source = 'affiliate'", "observed_at", "followers", 1),
        Branch(_SESSIONS, "person_id = :id", "last_seen_at", "followers_latest", 2),
        Branch(_SESSIONS, "person_id = :id", "last_seen_at", "NULL", 3, breaks=True),
    )),
    "stats": HistorySeries((
        # Only the broadcaster has rows: by time, not by (username, last fetch) and a sort per bucket.
        Branch("stats_snapshots", "username = :u", "fetched_at", "num_followers",
               index="idx_stats_snapshots_fetched"),
        Branch(_HISTORY, "person_id = :id AND source = 'stats'", "observed_at", "followers"),
    )),
}  # fmt: skip
RANK_SERIES = {
    name: HistorySeries((
        Branch(_ACTIVITY, "person_id = :id", "segment_at", name, breaks=True),
        Branch(_LIVE, "person_id = :id AND online = 1", "checked_at", name, breaks=True),
    ))
    for name in ("rank", "grank")
}  # fmt: skip


def _first_sql(series: list[HistorySeries]) -> str:
    """The earliest point of a chart's series (each branch's first, by its index)."""
    firsts = [
        f"SELECT * FROM (SELECT {b.time} AS t FROM {b.table} WHERE {b.rows} "  # noqa: S608 - fixed texts
        f"ORDER BY {b.seek or b.time} LIMIT 1)"
        for s in series
        for b in s.branches
    ]
    return f"SELECT min(t) FROM ({' UNION ALL '.join(firsts)})"  # noqa: S608 - fixed texts


# Where an all-time chart begins.
FOLLOWERS_FIRST = _first_sql(list(FOLLOWER_SERIES.values()))
RANKS_FIRST = _first_sql(list(RANK_SERIES.values()))


@dataclass(frozen=True, slots=True)
class Buckets:
    """A chart's time axis from `start` to `end` cut into `count` equal buckets."""

    start: datetime
    end: datetime
    count: int

    def edges_json(self) -> str:
        """[lo, hi, lo_s, hi_s] per bucket: UTC text bounds and whole epoch seconds at or after them. The
        first bucket takes everything before the start too, the last everything after the end (as
        `downsample` counts them)."""
        return _edges_json(self.start, self.end, self.count)


@lru_cache(maxsize=4)  # a page's charts share their buckets
def _edges_json(start: datetime, end: datetime, count: int) -> str:
    width = (end - start) / count
    cuts = [start + n * width for n in range(1, count)]
    # A whole-second time is at or after a cut (as text, to the millisecond) from its ceiling on.
    seconds = [-(-((cut - _EPOCH) // timedelta(milliseconds=1)) // 1000) for cut in cuts]
    texts, epochs = ["", *(to_db(cut) for cut in cuts), "~"], [-(2**62), *seconds, 2**62]
    return json.dumps([[texts[n], texts[n + 1], epochs[n], epochs[n + 1]] for n in range(count)])


async def points(
    conn: Connection, series: HistorySeries, *, person_id: int, username: str, since: str | None
) -> list[HistoryPoint]:
    """Every stored point of `series` from `since` on (None: all), oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT t, v FROM ({series.select()}) ORDER BY t, k",  # noqa: S608 - fixed texts
        {"id": person_id, "u": username, "since": since},
    )
    return [(str(row[0]), row[1]) for row in rows]


async def first_point_at(conn: Connection, first: str, person_id: int, username: str) -> str | None:
    """The time of the earliest point of a chart (FOLLOWERS_FIRST or RANKS_FIRST); None: it has none."""
    row = next(iter(await conn.execute_fetchall(first, {"id": person_id, "u": username})), None)
    return str(row[0]) if row and row[0] is not None else None


def _unpacked(text: str) -> tuple[str, int, int | None]:
    at, k, value = text.split("|")
    return at, int(k), int(value) if value else None


def _kept(candidates: list[str | None]) -> list[HistoryPoint]:
    """A bucket's last point per branch (values and Nones): its last value, then its last None when
    that came after the value (the line breaks there)."""
    found = [_unpacked(one) for c in candidates if c for one in c.split("#") if one]
    values = [c for c in found if c[2] is not None]
    nones = [c for c in found if c[2] is None]
    value = max(values, key=lambda c: (c[0], c[1]), default=None)
    none = max(nones, key=lambda c: (c[0], c[1]), default=None)
    kept: list[HistoryPoint] = []
    if value is not None:
        kept.append((value[0], value[2]))
    if none is not None and (value is None or (none[0], none[1]) > (value[0], value[1])):
        kept.append((none[0], None))
    return kept


def _lasts(series: HistorySeries) -> list[str]:
    """The bucket subqueries of a series: one per branch, its last value (and its None after it, where
    the branch has breaks)."""
    return [b.last_in_bucket(breaks=b.breaks) for b in series.branches]


async def thinned(
    conn: Connection, series: Sequence[HistorySeries], *, person_id: int, username: str, since: str | None,
    buckets: Buckets,
) -> list[list[HistoryPoint]]:  # fmt: skip
    """The points of each of a chart's `series` that a chart of `buckets` draws; all of a series' points
    when it has no more than buckets (as `charts.downsample` does). Two statements at most, whatever the
    number of series: the first buckets + 1 points of each (all of a small one), then the buckets of
    the others."""
    params = {"id": person_id, "u": username, "since": since, "edges": buckets.edges_json(),
              "most": buckets.count}  # fmt: skip
    heads = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {n} AS s, t, v, k FROM ({one.select()}) LIMIT :most + 1)"  # noqa: S608 - fixed texts
        for n, one in enumerate(series)
    )
    found: list[list[tuple[str, int, int | None]]] = [[] for _ in series]
    for n, t, v, k in await conn.execute_fetchall(heads, params):
        found[n].append((str(t), int(k), v))
    large = [n for n, points in enumerate(found) if len(points) > buckets.count]
    # A small series whole, ordered as `points` orders it (by time, then k).
    result: list[list[HistoryPoint]] = [
        [(t, v) for t, _k, v in sorted(points, key=lambda p: (p[0], p[1]))] for points in found
    ]
    if large:
        columns = [_lasts(series[n]) for n in large]
        sql = (
            "SELECT " + ", ".join(c for cols in columns for c in cols) + " FROM (SELECT value ->> 0 AS lo, "  # noqa: S608 - fixed texts
            "value ->> 1 AS hi, value ->> 2 AS lo_s, value ->> 3 AS hi_s, key FROM json_each(:edges)) AS e "
            "ORDER BY e.key"
        )
        rows = await conn.execute_fetchall(sql, params)
        thinned_points: dict[int, list[HistoryPoint]] = {n: [] for n in large}
        for row_values in rows:
            offset = 0
            for n, cols in zip(large, columns, strict=True):
                thinned_points[n].extend(_kept(list(row_values[offset : offset + len(cols)])))
                offset += len(cols)
        result = [thinned_points.get(n, points) for n, points in enumerate(result)]
    return result
