"""follower_history keeps one index, its key (person, time, source): every query that reads it seeks
that key by person, none scans the table (EXPLAIN QUERY PLAN of each)."""

from __future__ import annotations

import sqlite3

import pytest

from service.store import profile, profile_history
from service.store.db import SCHEMA_PATH

# Every statement of the service that reads follower_history, with its parameters.
QUERIES = {
    **{
        f"profile chart: {source}": f"SELECT t, v FROM ({series.select()}) ORDER BY t, k"  # noqa: S608
        for source, series in profile_history.FOLLOWER_SERIES.items()
    },
    "profile: newest record": profile._LATEST["Follower history"],
    "source-priority view": "SELECT * FROM v_person_current_state WHERE person_id = :id",
}


@pytest.fixture(scope="module")
def conn() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA_PATH.read_text())
    return db


def _plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, {"id": 1, "u": "a", "since": None})]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_follower_history_read_seeks_the_key(conn: sqlite3.Connection, name: str) -> None:
    """Each read is a seek by person (no table scan anywhere in it)."""
    plan = _plan(conn, QUERIES[name])
    assert not [step for step in plan if step.startswith("SCAN") and not step.startswith("SCAN (subquery")], (
        plan
    )
    history = [step for step in plan if "follower_history" in step]
    assert all(
        step.startswith("SEARCH follower_history USING PRIMARY KEY (person_id=?") for step in history
    ), plan


@pytest.mark.parametrize("name", ["profile: newest record", "source-priority view"])
def test_the_newest_count_of_any_source_needs_no_sort(conn: sqlite3.Connection, name: str) -> None:
    """What idx_follower_history_person_time was for: the newest count across sources, read in key order."""
    assert not [step for step in _plan(conn, QUERIES[name]) if "TEMP B-TREE" in step]
