"""The follow rules across sources: list snapshots and Events follows meet in the same periods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.ingest.lists import ingest_list_snapshot
from service.ingest.models import ListSnapshotRequest
from service.store.db import Database, open_database
from tests.support.events import Feed, ingest
from tests.support.extension_api import snapshot

FOLLOWERS = ["fan_1", "fan_2", "fan_3"]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(tmp_path / "follows.sqlite3", readers=1) as database:
        yield database


async def followers_snapshot(db: Database, names: list[str], *, day: int) -> None:
    body = snapshot("followers", names, started_at=f"2026-01-0{day}T10:00:00Z")
    await ingest_list_snapshot(db, ListSnapshotRequest.model_validate(body), key=f"day-{day}", client_id=None)


async def periods(db: Database, name: str) -> list[tuple[Any, ...]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT f.start_source, f.end_source FROM follow_periods f JOIN persons p ON p.id = f.person_id "
            "WHERE p.username = :name AND f.direction = 'follower' ORDER BY f.id",
            {"name": name},
        ) as cursor,
    ):
        return [tuple(row) for row in await cursor.fetchall()]


async def test_an_events_follow_of_a_listed_follower_opens_no_second_period(db: Database) -> None:
    """The snapshot opened the period first; the later follow event finds it open and adds nothing."""
    await followers_snapshot(db, FOLLOWERS, day=1)
    await ingest(db, [Feed().event(5, "follow", "fan_1")])
    assert await periods(db, "fan_1") == [("list_snapshot", None)]


async def test_a_follower_listed_again_after_an_events_unfollow_starts_a_new_period(db: Database) -> None:
    """Events unfollow ends the listed period; the next snapshot listing the name is a re-follow."""
    await followers_snapshot(db, FOLLOWERS, day=1)
    await ingest(db, [Feed().event(5, "unfollow", "fan_2")])
    await followers_snapshot(db, FOLLOWERS, day=3)
    assert await periods(db, "fan_2") == [("list_snapshot", "events"), ("list_snapshot", None)]
    assert await periods(db, "fan_3") == [("list_snapshot", None)]
