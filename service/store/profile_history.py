"""The Profile page's history series: follower counts per source and the two CBHours ranks.

Two readers of the same series: `points` returns every stored point (the page's JSON twin carries them
as stored), and `thinned` what a chart cut into `Buckets` can draw: per bucket its last value, and the
None after it when the bucket ends in a break — `web.charts.downsample` done in SQLite, so a busy
person's points never reach Python. Two ways, picked per table by the number of its rows in the window:
one range scan of the rows grouped by bucket (cheap while they are few: a busy person's live checks,
follower history and sessions of 30 days), or one index seek per bucket (whose cost does not grow with
the history: 3-minute CBHours segments, all time). Their buckets' points merge into one series. A test
holds every mix equal to `downsample` of `points`.

Points are (UTC text time, value) pairs oldest first; a None value breaks the line. Each source keeps
its own series so a chart never joins two sources' points into one line.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from service.store.db import Connection

HistoryPoint = tuple[str, int | None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A scanned row costs about this many times less than one bucket's seek in one table (0.5-0.7 µs
# against 2-3 µs, on the busy person of benchmarks/bench_profile.py): a table's rows are scanned while
# they are no more than this many per seek they would take.
ROWS_PER_SEEK = 4


def bucket_of(column: str) -> str:
    """The bucket of a UTC text time (`column`) as `downsample` counts it — whole microseconds from the
    start over the width, truncated — in integers (julianday's double holds the millisecond exactly),
    bound by :start_us, :width_us and :count; a time before the start is in the first bucket, after the
    end in the last (as the seeks' first and last buckets take them)."""
    moment_us = f"CAST(round((julianday({column}) - 2440587.5) * 86400000) AS INTEGER) * 1000"
    return f"max(0, min(:count - 1, ({moment_us} - :start_us) / :width_us))"


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

    @property
    def rows_read(self) -> tuple[str, ...]:
        """What identifies the rows this branch reads (in the window): counted once, however many
        branches read them (an Affiliate session's first and latest count)."""
        return (self.table, self.index or "", self.rows, self.since or self.time)

    @property
    def scan(self) -> tuple[str, ...]:
        """What identifies this branch's scan, the rows it reads by the time they are bucketed by:
        branches with the same share one (the two CBHours ranks of a segment)."""
        return (*self.rows_read, self.time)

    def window(self) -> str:
        """FROM and WHERE of this branch's rows in the page's window (`:since`, '': all): a range of the
        index on (person, `since`), not every row of the person read and filtered."""
        indexed = f" INDEXED BY {self.index}" if self.index else ""
        return f"FROM {self.table}{indexed} WHERE {self.rows} AND {self.since or self.time} >= :since"

    def select(self) -> str:
        """Every point of this branch as rows (t, v, k), in the page's window."""
        return f"SELECT {self.time} AS t, {self.value} AS v, {self.k} AS k {self.window()}"

    def last_point(self, scan: str, column: str) -> str:
        """The last point of this branch in bucket `b` of `scan` (rows b, t and this branch's value as
        `column`) as 'time|k|value' text. With `breaks`, a None there is followed by '#' and the bucket's
        last value before it, found by one seek only then."""
        point = f"{scan}.t || '|{self.k}|' || coalesce({scan}.{column}, '')"
        if not self.breaks or self.value == "NULL":
            return point
        before = (
            f"(SELECT p FROM (SELECT {self.time} AS pt, {self.time} || '|{self.k}|' || {self.value} AS p "  # noqa: S608 - fixed texts
            f"FROM {self.table} WHERE {self.rows} AND {self.value} IS NOT NULL AND {self.time} < {scan}.t "
            f"AND +{self.since or self.time} >= :since ORDER BY {self.time} DESC LIMIT 1) "
            f"WHERE {bucket_of('pt')} = {scan}.b)"
        )
        return f"{point} || CASE WHEN {scan}.{column} IS NULL THEN '#' || coalesce({before}, '') ELSE '' END"

    def last_in_bucket(self, *, breaks: bool) -> str:
        """A correlated subquery: bucket `e`'s last value of this branch or, with `breaks`, its last
        point whatever its value, as 'time|k|value' text, found by a seek down the index from the
        bucket's end. With `breaks` a None there (the only None that can follow the bucket's last value)
        is followed by '#' and the last value before it, which a second seek finds only then."""
        column, lo, hi = (self.seek, "e.lo_s", "e.hi_s") if self.seek else (self.time, "e.lo", "e.hi")
        indexed = f"INDEXED BY {self.index} " if self.index else ""
        where = (
            f"WHERE {self.rows} AND {column} >= {lo} AND {column} < {hi} "
            f"AND +{self.since or self.time} >= :since"  # a filter: the seek stays on `column`
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

    def params(self) -> dict[str, int]:
        """What `bucket_of` is bound by."""
        width = (self.end - self.start) / self.count  # rounded to the microsecond, as downsample's
        return {"count": self.count, "start_us": (self.start - _EPOCH) // timedelta(microseconds=1),
                "width_us": max(1, width // timedelta(microseconds=1))}  # fmt: skip


def _millis_text(millis: int) -> str:
    """clock.to_db of a moment in epoch milliseconds, without a datetime (360 of them a chart)."""
    seconds, rest = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest:03d}Z"


@lru_cache(maxsize=4)  # a page's charts share their buckets
def _edges_json(start: datetime, end: datetime, count: int) -> str:
    width = (end - start) / count
    cuts = [start + n * width for n in range(1, count)]
    # A stored time (whole milliseconds) is at or after a cut from the cut's ceiling in milliseconds on,
    # a whole-second time from its ceiling in seconds.
    millis = [-(-(cut - _EPOCH) // timedelta(milliseconds=1)) for cut in cuts]
    texts = ["", *(_millis_text(ms) for ms in millis), "~"]
    epochs = [-(2**62), *(-(-ms // 1000) for ms in millis), 2**62]
    return json.dumps([[texts[n], texts[n + 1], epochs[n], epochs[n + 1]] for n in range(count)])


async def points(
    conn: Connection, series: HistorySeries, *, person_id: int, username: str, since: str | None
) -> list[HistoryPoint]:
    """Every stored point of `series` from `since` on (None: all), oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT t, v FROM ({series.select()}) ORDER BY t, k",  # noqa: S608 - fixed texts
        {"id": person_id, "u": username, "since": since or ""},
    )
    return [(str(row[0]), row[1]) for row in rows]


async def first_point_at(conn: Connection, first: str, person_id: int, username: str) -> str | None:
    """The time of the earliest point of a chart (FOLLOWERS_FIRST or RANKS_FIRST); None: it has none."""
    row = next(iter(await conn.execute_fetchall(first, {"id": person_id, "u": username})), None)
    return str(row[0]) if row and row[0] is not None else None


def _unpacked(text: str) -> tuple[str, int, int | None]:
    at, k, value = text.split("|")
    return at, int(k), int(value) if value else None


def _kept(candidates: Sequence[str | None]) -> list[HistoryPoint]:
    """A bucket's last point per branch (values and Nones): its last value, then its last None when
    that came after the value (the line breaks there)."""
    value: tuple[str, int] | None = None  # (time, k) of the last value
    number = 0
    none: tuple[str, int] | None = None  # (time, k) of the last None
    for candidate in candidates:
        for one in candidate.split("#") if candidate else ():
            if one:
                at, k, v = one.split("|")
                key = (at, int(k))
                if v:
                    if value is None or key > value:
                        value, number = key, int(v)
                elif none is None or key > none:
                    none = key
    kept: list[HistoryPoint] = [] if value is None else [(value[0], number)]
    if none is not None and (value is None or none > value):
        kept.append((none[0], None))
    return kept


Pick = tuple[int, Branch]  # a branch of the series of that number


async def thinned(
    conn: Connection, series: Sequence[HistorySeries], *, person_id: int, username: str, since: str | None,
    buckets: Buckets, rows_per_seek: int = ROWS_PER_SEEK,
) -> list[list[HistoryPoint]]:  # fmt: skip
    """The points of each of a chart's `series` that a chart of `buckets` draws; all of a series' points
    when it has no more than buckets (as `charts.downsample` does). Three statements at most, whatever
    the number of series: the number of rows each table has in the window (counted no further than
    where seeks cost less), the small series whole with the buckets of every table read by a scan, then
    the buckets of the others by seeks. A table's rows are scanned while they are no more than
    `rows_per_seek` for each seek the scan replaces (per bucket, one for each branch reading them)."""
    params = {"id": person_id, "u": username, "since": since or "", **buckets.params()}
    reads = {branch.rows_read: branch for one in series for branch in one.branches}
    sharing = Counter(branch.scan for one in series for branch in one.branches)
    cap = max(buckets.count, rows_per_seek * buckets.count * max(sharing.values()))
    rows = await _counts(conn, list(reads.values()), cap + 1, params)
    sizes = [sum(rows[branch.rows_read] for branch in one.branches) for one in series]
    whole = [n for n, size in enumerate(sizes) if size <= buckets.count]
    picks = [(n, branch) for n, one in enumerate(series) if n not in whole for branch in one.branches]
    seeks_saved = Counter(branch.scan for _n, branch in picks)
    scanned = [
        (n, b) for n, b in picks if rows[b.rows_read] <= rows_per_seek * buckets.count * seeks_saved[b.scan]
    ]
    sought = [pick for pick in picks if pick not in scanned]
    # series → bucket (-1: a small series' every point) → its points as 'time|k|value' candidates
    found: list[dict[int, list[str]]] = [{} for _ in series]
    if whole or scanned:
        for n, bucket, point in await conn.execute_fetchall(_points_sql(series, whole, scanned), params):
            found[n].setdefault(int(bucket), []).append(str(point))
    if sought:
        edges = {**params, "edges": buckets.edges_json()}  # 360 times as text: only for seeks
        for bucket, row in enumerate(await conn.execute_fetchall(_seeks_sql(sought), edges)):
            for (n, _branch), point in zip(sought, row, strict=True):
                if point:
                    found[n].setdefault(bucket, []).append(str(point))
    result: list[list[HistoryPoint]] = []
    for n, points in enumerate(found):
        if n in whole:  # a small series whole, ordered as `points` orders it (by time, then k)
            every = sorted((_unpacked(p) for p in points.get(-1, [])), key=lambda p: (p[0], p[1]))
            result.append([(at, value) for at, _k, value in every])
        else:
            result.append([point for bucket in sorted(points) for point in _kept(points[bucket])])
    return result


async def _counts(
    conn: Connection, reads: list[Branch], most: int, params: Mapping[str, object]
) -> dict[tuple[str, ...], int]:
    """The number of rows in the window of each of `reads` (by Branch.rows_read), counted no further
    than `most`: a long history costs no more than a scan would have."""
    each = [f"(SELECT count(*) FROM (SELECT 1 {read.window()} LIMIT {most}))" for read in reads]  # noqa: S608 - fixed texts
    row = next(iter(await conn.execute_fetchall(f"SELECT {', '.join(each)}", params)))
    return {read.rows_read: int(n) for read, n in zip(reads, row, strict=True)}


def scan_sql(scanned: Sequence[Pick]) -> str:
    """Rows (s, b, p) of the `scanned` branches (of the series numbered s): per bucket b holding points
    of a branch, that branch's last point p (Branch.last_point). Each set of rows is read once, as one
    range of an index grouped by bucket, whatever the number of branches reading it."""
    return _points_sql([], [], scanned)


def _points_sql(series: Sequence[HistorySeries], whole: Sequence[int], scanned: Sequence[Pick]) -> str:
    """One statement: the `whole` series' every point (b -1), and scan_sql of the `scanned`."""
    every_point = "t || '|' || k || '|' || coalesce(v, '')"
    members = [
        f"SELECT {n} AS s, -1 AS b, {every_point} AS p FROM ({series[n].select()})"  # noqa: S608 - fixed texts
        for n in whole
    ]
    scans: dict[tuple[str, ...], tuple[Branch, list[str]]] = {}  # Branch.scan → a branch of it, values
    for n, branch in scanned:
        _first, values = scans.setdefault(branch.scan, (branch, []))
        if branch.value not in values:
            values.append(branch.value)
        name = f"l{list(scans).index(branch.scan)}"
        point = branch.last_point(name, f"v{values.index(branch.value)}")
        members.append(f"SELECT {n} AS s, {name}.b AS b, {point} AS p FROM {name}")  # noqa: S608 - fixed texts
    # SQLite takes bare columns (the values) from the row that gave a lone max(): the bucket's last row.
    tables = [
        f"l{g} AS (SELECT b, max(t) AS t, {', '.join(f'v{j}' for j in range(len(values)))} FROM "  # noqa: S608 - fixed texts
        f"(SELECT {bucket_of('t')} AS b, t, {', '.join(f'v{j}' for j in range(len(values)))} FROM "
        f"(SELECT {first.time} AS t, {', '.join(f'{v} AS v{j}' for j, v in enumerate(values))} "
        f"{first.window()})) GROUP BY b)"
        for g, (first, values) in enumerate(scans.values())
    ]
    return ("WITH " + ", ".join(tables) + " " if tables else "") + " UNION ALL ".join(members)


def _seeks_sql(sought: Sequence[Pick]) -> str:
    """One row per bucket (in order) and one column per `sought` branch: its last value in the bucket,
    and its None after it where the branch has breaks (Branch.last_in_bucket)."""
    columns = ", ".join(branch.last_in_bucket(breaks=branch.breaks) for _n, branch in sought)
    return (
        f"SELECT {columns} FROM (SELECT value ->> 0 AS lo, value ->> 1 AS hi, value ->> 2 AS lo_s, "  # noqa: S608 - fixed texts
        "value ->> 3 AS hi_s, key FROM json_each(:edges)) AS e ORDER BY e.key"
    )
