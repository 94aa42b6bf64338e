"""Room › Insights reads on plain rows: follower cohorts with confirmed and suspected unfollows, gaps
in the follow history, token shares and new vs returning tippers, each against numbers known in advance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.store.db import Database
from service.web.room_insights import gather

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CREATED = "2026-01-01T00:00:00.000Z"


async def _person(db: Database, name: str) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO persons (username, role, created_at, updated_at) VALUES (?, 'viewer', ?, ?)",
            (name, CREATED, CREATED),
        )
        return int(cursor.lastrowid or 0)


async def _period(db: Database, name: str, started: str, ended: str | None = None) -> int:
    person = await _person(db, name)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO follow_periods "
            "(person_id, direction, started_at, start_source, ended_at, end_source) "
            "VALUES (?, 'follower', ?, 'events', ?, ?)",
            (person, started, ended, "list_snapshot" if ended else None),
        )
        return int(cursor.lastrowid or 0)


async def _complete_list(db: Database, finished: str, *, status: str = "applied") -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO list_snapshots (idempotency_key, kind, account, started_at, finished_at, "
            "received_at, claimed_complete, complete, names, status) "
            "VALUES (?, 'followers', 'my_room', ?, ?, ?, 1, 1, 5, ?)",
            (f"k{finished}", finished, finished, finished, status),
        )
        return int(cursor.lastrowid or 0)


async def seed_follows(db: Database) -> None:
    """Week of 2026-01-05: 4 followers, one unfollowed (confirmed) on day 10 → 100% / 75% / 75%.
    Week of 2026-02-02: 2 followers, one missing from a list (suspected, period open) → 100%.
    Week of 2026-05-18: 2 followers, measured at 1 week only (the 4-week mark is after NOW).
    Complete followers lists: 01-05, 01-08 and 03-01 (a reverted one on 02-01 counts for nothing)."""
    for n, day in enumerate(("05", "06", "08", "11")):
        ended = "2026-01-16T10:00:00.000Z" if n == 0 else None
        await _period(db, f"jan_{n}", f"2026-01-{day}T10:00:00.000Z", ended)
    await _period(db, "feb_0", "2026-02-02T10:00:00.000Z")
    suspect = await _period(db, "feb_1", "2026-02-03T10:00:00.000Z")
    await _period(db, "may_0", "2026-05-18T00:00:00.000Z")
    await _period(db, "may_1", "2026-05-19T00:00:00.000Z", "2026-05-20T00:00:00.000Z")
    for finished in ("2026-01-05T09:00:00.000Z", "2026-01-08T09:00:00.000Z", "2026-03-01T09:00:00.000Z"):
        snapshot = await _complete_list(db, finished)
    await _complete_list(db, "2026-02-01T09:00:00.000Z", status="reverted")
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO follow_removals "
            "(person_id, direction, period_id, snapshot_id, missing_since, state) "
            "SELECT person_id, 'follower', id, ?, '2026-03-01T09:00:00.000Z', 'suspected' "
            "FROM follow_periods WHERE id = ?",
            (snapshot, suspect),
        )


async def test_cohorts_count_confirmed_unfollows_only(db: Database) -> None:
    await seed_follows(db)
    async with db.read() as conn:
        found = await gather(conn, broadcaster="my_room", now=NOW)
    by_week = {c.week: c for c in found.cohorts}
    assert [c.week for c in found.cohorts] == [date(2026, 5, 18), date(2026, 2, 2), date(2026, 1, 5)]
    january = by_week[date(2026, 1, 5)]
    assert january.started == 4
    assert [(c.retained, c.share) for c in january.cells] == [(4, 1.0), (3, 0.75), (3, 0.75)]
    february = by_week[date(2026, 2, 2)]
    assert [(c.retained, c.share) for c in february.cells] == [(2, 1.0), (2, 1.0), (2, 1.0)]
    may = by_week[date(2026, 5, 18)]
    assert [(c.retained, c.share) for c in may.cells] == [(1, 0.5), (None, None), (None, None)]


async def test_gaps_are_listed_and_mark_the_cohort_cells_they_overlap(db: Database) -> None:
    """Lists on 01-05, 01-08 and 03-01 (the reverted 02-01 one ignored): gaps 01-08→03-01 and 03-01→now."""
    await seed_follows(db)
    async with db.read() as conn:
        found = await gather(conn, broadcaster="my_room", now=NOW)
    assert [(g.start.date(), g.end.date()) for g in found.gaps] == [
        (date(2026, 1, 8), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 6, 1)),
    ]
    january = next(c for c in found.cohorts if c.week == date(2026, 1, 5))
    # 1 week: 01-12…01-19 and 4 weeks: 02-02…02-09 fall in the first gap; 12 weeks: 03-30… in the second.
    assert [c.in_gap for c in january.cells] == [True, True, True]


async def test_no_list_ever_is_one_gap(db: Database) -> None:
    await _period(db, "solo", "2026-05-01T00:00:00.000Z")
    async with db.read() as conn:
        found = await gather(conn, broadcaster="", now=NOW)
    assert [(g.start.date(), g.reason) for g in found.gaps] == [
        (date(2026, 5, 1), "no complete followers list was ever read")
    ]


async def test_token_shares_of_the_top_fans(db: Database) -> None:
    """20 fans spending 10, 20 … 200 (2,100 in all): the top 1% is 1 fan (200), the top 10% 2 fans (390);
    someone who spent nothing is no fan."""
    async with db.transaction() as conn:
        for n in range(1, 22):
            cursor = await conn.execute(
                "INSERT INTO persons (username, role, created_at, updated_at) VALUES (?, 'viewer', ?, ?)",
                (f"fan_{n}", CREATED, CREATED),
            )
            spent = 10 * n if n <= 20 else 0
            await conn.execute(
                "INSERT INTO person_room_stats (person_id, tokens_tipped, imported_tokens) VALUES (?, ?, ?)",
                (cursor.lastrowid, spent // 2, spent - spent // 2),
            )
        found = await gather(conn, broadcaster="", now=NOW)
    shares = found.shares
    assert (shares.fans, shares.total) == (20, 2100)
    assert (shares.top1_fans, shares.top1_tokens, shares.top10_fans, shares.top10_tokens) == (1, 200, 2, 390)


async def test_new_and_returning_tippers_per_week(db: Database) -> None:
    """A spends first on 2026-05-04 and again 05-12; B first on 05-13; C first long before, again 05-14:
    week of 05-04: 1 tipper, new; week of 05-11: 3 tippers, 1 new (B), 2 returning; later weeks zero."""
    spending = {"a": ["2026-05-04", "2026-05-12"], "b": ["2026-05-13"], "c": ["2025-10-01", "2026-05-14"]}
    async with db.transaction() as conn:
        for name, days in spending.items():
            cursor = await conn.execute(
                "INSERT INTO persons (username, role, created_at, updated_at) VALUES (?, 'viewer', ?, ?)",
                (name, CREATED, CREATED),
            )
            await conn.executemany(
                "INSERT INTO person_room_days (person_id, day, tokens) VALUES (?, ?, 25)",
                [(cursor.lastrowid, day) for day in days],
            )
        found = await gather(conn, broadcaster="", now=NOW)
    weeks = {w.week: (w.tippers, w.new) for w in found.tipper_weeks}
    assert len(found.tipper_weeks) == 26
    assert found.tipper_weeks[-1].week == "2026-06-01"
    assert weeks["2026-05-04"] == (1, 1)
    assert weeks["2026-05-11"] == (3, 1)
    assert weeks["2026-05-18"] == (0, 0)
    assert "2025-09-29" not in weeks  # older than the 26 weeks shown
