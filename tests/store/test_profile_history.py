"""The Profile charts' series thinned by SQLite equal `charts.downsample` of every stored point, by
either way `thinned` has: scanning the window's rows by bucket, or seeking each bucket."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import aiosqlite
import pytest

from service.clock import from_db, to_db, utcnow
from service.store import profile_history
from service.store.db import Connection, Database
from service.store.profile_history import FOLLOWER_SERIES, RANK_SERIES, Buckets, HistorySeries
from service.web.charts import downsample
from tests.support.rows import add_person, add_session

BUCKETS = 24
# rows_per_seek of `thinned`: every series past BUCKETS points sought by bucket, or scanned; the busy
# tables sought and the quiet ones scanned, in one series (see test_a_series_can_mix_both_ways); the page's.
WAYS = {"seeks": 0, "scans": 10**6, "mixed": 1, "as the page picks": profile_history.ROWS_PER_SEEK}


async def _history(conn: Connection, rng: random.Random, now: datetime) -> int:
    """Three days of every source at uneven times: sessions (several in one bucket), CBHours activity
    with NULL ranks now and then, live checks, follower history of each source, Stats API snapshots."""
    pid = await add_person(conn, "busy", role="model")
    start = now - timedelta(days=3)
    moment = start - timedelta(hours=5)  # a session that began before the window and ended in it
    while moment < now - timedelta(hours=2):
        hours = rng.uniform(0.2, 4)
        moment = moment.replace(microsecond=0)
        await add_session(conn, pid, moment, hours, (rng.randint(100, 200), rng.randint(200, 300)))
        moment += timedelta(hours=hours + rng.uniform(0.1, 6))
    for n in range(600):
        at = to_db(start + timedelta(seconds=n * 431 + rng.randint(0, 100)))
        rank = None if rng.random() < 0.1 else rng.randint(1, 99)
        grank = None if rng.random() < 0.1 else rng.randint(100, 999)
        await conn.execute(
            "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, fetched_at) "
            "VALUES (?, ?, 'public', ?, ?, ?, ?)",
            (pid, at, rank, grank, None if n % 17 == 0 else 1000 + n, at),
        )
        source = ("affiliate", "cbhours", "stats", "scrape")[n % 4]
        await conn.execute(
            "INSERT INTO follower_history (person_id, observed_at, source, followers) VALUES (?, ?, ?, ?)",
            (pid, to_db(start + timedelta(seconds=n * 400 + 7)), source, 2000 + n),
        )
    for n in range(80):
        checked = to_db(start + timedelta(seconds=n * 3000 + 11))
        await conn.execute(
            "INSERT INTO cbhours_live_stats (person_id, checked_at, online, rank, grank, followers) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (pid, checked, n % 5 != 0, None if n % 7 == 0 else n, n * 10, None if n % 9 == 0 else 3000 + n),
        )
        await conn.execute(
            "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, token_balance, "
            "tips_in_last_hour, votes_up, votes_down, satisfaction_score, num_followers, num_viewers, "
            "num_registered_viewers) VALUES ('busy', ?, ?, ?, 0, 0, 0, 0, 0, ?, 0, 0)",
            (checked, checked, f"f{n}", 4000 + n),
        )
    return pid


def _datetimes(points: list[profile_history.HistoryPoint]) -> list[tuple[datetime, float | None]]:
    return [(from_db(t), None if v is None else float(v)) for t, v in points]


async def _compare(
    conn: Connection, pid: int, start: datetime | None, now: datetime, rows_per_seek: int
) -> None:
    since = to_db(start) if start else None
    everything = {**FOLLOWER_SERIES, **RANK_SERIES}
    stored: dict[str, list[profile_history.HistoryPoint]] = {}
    for name, one in everything.items():
        stored[name] = await profile_history.points(conn, one, person_id=pid, username="busy", since=since)
    assert all(len(points) > BUCKETS for points in stored.values()), "every series needs thinning"
    charts = ((profile_history.FOLLOWERS_FIRST, FOLLOWER_SERIES), (profile_history.RANKS_FIRST, RANK_SERIES))
    for first_sql, group in charts:
        first = start
        if first is None:
            found = await profile_history.first_point_at(conn, first_sql, pid, "busy")
            assert found == min(p[0] for name in group for p in stored[name])
            first = from_db(found)
        series: list[HistorySeries] = list(group.values())
        thinned = await profile_history.thinned(conn, series, person_id=pid, username="busy", since=since,
                                                buckets=Buckets(first, now, BUCKETS),
                                                rows_per_seek=rows_per_seek)  # fmt: skip
        for name, points in zip(group, thinned, strict=True):
            expected = downsample(_datetimes(stored[name]), first, now, BUCKETS)
            assert _datetimes(points) == expected, name


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_thinned_series_equal_downsample_of_every_point(db: Database, way: str) -> None:
    """Per bucket the last value and a break after it, for the 1-day window and for all time."""
    now = utcnow()
    async with db.transaction() as conn:
        pid = await _history(conn, random.Random(14), now)
    async with db.read() as conn:
        await _compare(conn, pid, now - timedelta(days=1), now, WAYS[way])
        await _compare(conn, pid, None, now, WAYS[way])


async def test_a_short_series_is_kept_whole(db: Database) -> None:
    """No more points than buckets: every point, breaks included, as stored."""
    now = utcnow()
    async with db.transaction() as conn:
        pid = await add_person(conn, "quiet", role="model")
        await add_session(conn, pid, now - timedelta(hours=3), 1, (10, 12))
    async with db.read() as conn:
        (affiliate,) = await profile_history.thinned(
            conn, [FOLLOWER_SERIES["affiliate"]], person_id=pid, username="quiet", since=None,
            buckets=Buckets(now - timedelta(days=1), now, BUCKETS),
        )  # fmt: skip
    assert [v for _t, v in affiliate] == [10, 12, None]


async def test_every_bucket_is_one_index_seek_per_branch(db: Database) -> None:
    """No bucket subquery sorts or scans a table: its cost stays a seek, however long the history (the
    broadcaster's Stats API snapshots included)."""
    everything = [*FOLLOWER_SERIES.values(), *RANK_SERIES.values()]
    async with db.read() as conn:
        for series in everything:
            for branch in series.branches:
                for breaks in {False, branch.breaks}:
                    subquery = branch.last_in_bucket(breaks=breaks)
                    sql = f"SELECT {subquery} FROM (SELECT '' AS lo, '~' AS hi, 0 AS lo_s, 1 AS hi_s) AS e"  # noqa: S608 - fixed texts
                    plan = [row[3] for row in await conn.execute_fetchall(
                        "EXPLAIN QUERY PLAN " + sql, {"id": 1, "u": "busy", "since": None})]  # fmt: skip
                    # Every table step but the bucket row's and the one-row subquery r's; a view's
                    # steps are its tables' (the affiliate sessions are a view of two tables).
                    skipped = ("SCAN CONSTANT ROW", "SCAN e", "SCAN r")
                    tables = [s for s in plan if s.startswith(("SEARCH", "SCAN")) and s not in skipped]
                    assert tables and all(step.startswith("SEARCH") for step in tables), (branch, plan)
                    assert not any("TEMP B-TREE" in step for step in plan), (branch, plan)


async def _rank_rows(conn: Connection, pid: int, start: datetime) -> None:
    """CBHours ranks of one day cut into hours, each hour a case of `downsample`'s: values ending in a
    break, only breaks (the value before them is an earlier hour's), a break then a value, a silence of
    three hours, a point on either side of an hour's edge (which falls inside a millisecond), a live check
    after the last segment of its hour, and many points with every other hour ending in a break."""
    width = timedelta(hours=1)
    edge = start + 7 * width  # its microseconds are not whole milliseconds: see the test
    rows: list[tuple[datetime, int | None]] = [
        (start - 2 * width, 1),  # before the window
        (start + 0.1 * width, 5), (start + 0.5 * width, 6), (start + 0.9 * width, None),
        (start + 1.2 * width, None), (start + 1.5 * width, None),
        (start + 2.1 * width, None), (start + 2.4 * width, 7),
        (start + 6.5 * width, 9), (edge.replace(microsecond=edge.microsecond // 1000 * 1000), 8),
        (edge + timedelta(microseconds=1000 - edge.microsecond % 1000), 10), (start + 7.5 * width, 11),
    ]  # fmt: skip
    for hour in range(8, 24):  # from a minute into each hour (its stored text is past the edge)
        minute = timedelta(minutes=1)
        rows += [(start + (hour + i / 6) * width + minute, None if hour % 2 and i == 5 else hour * 10 + i)
                 for i in range(6)]  # fmt: skip
    for moment, rank in rows:
        await conn.execute(
            "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, fetched_at) "
            "VALUES (?, ?, 'public', ?, ?, 1, ?)",
            (pid, to_db(moment), rank, rank, to_db(moment)),
        )
    live = [(2.45, 1, 99), (3.5, 0, 98), (12.99, 1, None)]
    for hours, online, rank in live:
        await conn.execute(
            "INSERT INTO cbhours_live_stats (person_id, checked_at, online, rank, grank) "
            "VALUES (?, ?, ?, ?, ?)",
            (pid, to_db(start + hours * width), online, rank, rank),
        )


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_breaks_silences_and_bucket_edges_equal_downsample(db: Database, way: str) -> None:
    """Every case of a bucket (see _rank_rows) thinned as `downsample` thins it, on a time axis whose
    bucket edges fall inside a millisecond (a point a few microseconds before an edge is in the bucket
    before it, though its stored text, to the millisecond, is the edge's)."""
    now = utcnow().replace(microsecond=123_456)
    start = now - timedelta(days=1)
    async with db.transaction() as conn:
        pid = await add_person(conn, "ranked", role="model")
        await _rank_rows(conn, pid, start)
    series = RANK_SERIES["rank"]
    async with db.read() as conn:
        stored = await profile_history.points(
            conn, series, person_id=pid, username="ranked", since=to_db(start)
        )
        (thinned,) = await profile_history.thinned(
            conn, [series], person_id=pid, username="ranked", since=to_db(start),
            buckets=Buckets(start, now, BUCKETS), rows_per_seek=WAYS[way],
        )  # fmt: skip
    assert len(stored) > BUCKETS, "the series needs thinning"
    expected = downsample(_datetimes(stored), start, now, BUCKETS)
    assert _datetimes(thinned) == expected
    # The cases are there: a value then a break, a lone break, the edge's two sides in two buckets.
    assert expected[:4] == _datetimes([(to_db(start + timedelta(hours=0.5)), 6),
                                       (to_db(start + timedelta(hours=0.9)), None),
                                       (to_db(start + timedelta(hours=1.5)), None),
                                       (to_db(start + timedelta(hours=2.45)), 99)])  # fmt: skip
    assert [v for _t, v in expected[4:6]] == [8, 11]


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_an_empty_series_and_a_lone_point(db: Database, way: str) -> None:
    """No point in the window: no point drawn; one point: that point, whichever way was asked for."""
    now = utcnow()
    async with db.transaction() as conn:
        pid = await add_person(conn, "sparse", role="model")
        at = to_db(now - timedelta(hours=2))
        await conn.execute(
            "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, fetched_at) "
            "VALUES (?, ?, 'public', 7, NULL, 100, ?)",
            (pid, at, at),
        )
    async with db.read() as conn:
        charts = [[*FOLLOWER_SERIES.values()], [*RANK_SERIES.values()]]
        thinned = [
            await profile_history.thinned(
                conn, series, person_id=pid, username="sparse", since=to_db(now - timedelta(days=1)),
                buckets=Buckets(now - timedelta(days=1), now, BUCKETS), rows_per_seek=WAYS[way],
            )
            for series in charts
        ]  # fmt: skip
    assert thinned == [[[(at, 100)], [], []], [[(at, 7)], [(at, None)]]]


async def test_every_scan_is_a_range_of_an_index(db: Database) -> None:
    """A scanned series reads its window as one range of an index per table (from `:since` on), never
    every row of the person (nor of the table) filtered by time; the two ranks read their rows once."""
    params = {"id": 1, "u": "busy", "since": "", "count": BUCKETS, "start_us": 0, "width_us": 1}
    charts = [[one] for one in [*FOLLOWER_SERIES.values(), *RANK_SERIES.values()]] + [[*RANK_SERIES.values()]]
    async with db.read() as conn:
        for series in charts:
            sql = profile_history.scan_sql([(n, b) for n, one in enumerate(series) for b in one.branches])
            plan = [row[3] for row in await conn.execute_fetchall("EXPLAIN QUERY PLAN " + sql, params)]
            reads = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
            assert all(step.startswith(("SEARCH", "SCAN l", "SCAN (subquery")) for step in reads), plan
            ranges = [step for step in reads if ">?)" in step]  # the window bounding a range
            tables = {b.table for one in series for b in one.branches}
            # Each table's rows once (a view's through its first table), its breaks' seeks aside.
            assert len(ranges) == len({b.scan for one in series for b in one.branches}), plan
            assert len(ranges) >= len(tables - {"affiliate_api_snapshots"}), plan


async def test_a_series_can_mix_both_ways(db: Database) -> None:
    """With `mixed` rows per seek, the ranks of _rank_rows take their CBHours segments by seeks and their
    two live checks by a scan: the WAYS above cover a series drawn from both."""
    now = utcnow()
    start = now - timedelta(days=1)
    async with db.transaction() as conn:
        pid = await add_person(conn, "ranked", role="model")
        await _rank_rows(conn, pid, start)
    statements: list[str] = []
    async with aiosqlite.connect(db.path) as conn:  # its own connection: a pool's keeps no trace callback
        await conn.set_trace_callback(statements.append)
        await profile_history.thinned(
            conn, list(RANK_SERIES.values()), person_id=pid, username="ranked", since=to_db(start),
            buckets=Buckets(start, now, BUCKETS), rows_per_seek=WAYS["mixed"],
        )  # fmt: skip
    scans = [sql for sql in statements if "GROUP BY b" in sql]
    seeks = [sql for sql in statements if "json_each" in sql]
    assert len(scans) == len(seeks) == 1, statements
    activity, live = RANK_SERIES["rank"].branches
    assert live.table in scans[0] and activity.table not in scans[0], scans
    assert activity.table in seeks[0] and live.table not in seeks[0], seeks


def test_seek_edges_are_each_cut_rounded_up_to_the_stored_millisecond() -> None:
    """A seek's bucket holds the stored times (to the millisecond, as clock.to_db writes them) at or
    after its first cut and before the next, the first from the beginning and the last to the end."""
    start = datetime(2026, 12, 31, 23, 0, 0, 123_456, tzinfo=UTC)
    edges = json.loads(Buckets(start, start + timedelta(hours=2), BUCKETS).edges_json())
    cuts = [start + n * timedelta(hours=2) / BUCKETS for n in range(1, BUCKETS)]
    rounded = [cut + timedelta(microseconds=-cut.microsecond % 1000) for cut in cuts]
    assert [lo for lo, _hi, _s, _e in edges] == ["", *(to_db(cut) for cut in rounded)]
    assert [hi for _lo, hi, _s, _e in edges] == [*(to_db(cut) for cut in rounded), "~"]
    assert edges[12][0] == "2027-01-01T00:00:00.124Z"  # a new year in the middle: 23:00:00.123456 + 1 h
