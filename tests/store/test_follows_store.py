"""Follow periods: open/close idempotence, re-follows as new periods, and the four dates view."""

from __future__ import annotations

import pytest

from service import usernames
from service.store import follows, persons
from service.store.db import Database


async def _state(db: Database, username: str) -> dict[str, str | None]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT following_since, follower_since, unfollowed_at, unfollower_at "
            "FROM v_person_follow_state WHERE username = :u",
            {"u": username},
        ) as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None
    return dict(row)


async def test_refollow_opens_a_new_period_and_keeps_history(db: Database) -> None:
    """follow, unfollow, follow again: two periods, dates as the panel shows them."""
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, ["fan_1"]))["fan_1"]
        assert await follows.open_period(
            conn, pid, "follower", at="2026-01-01T10:00:00.000Z", source="events", ref="e1"
        )
        assert not await follows.open_period(
            conn, pid, "follower", at="2026-01-01T11:00:00.000Z", source="events", ref="e2"
        )
    assert await _state(db, "fan_1") == {
        "following_since": None, "follower_since": "2026-01-01T10:00:00.000Z",
        "unfollowed_at": None, "unfollower_at": None,
    }  # fmt: skip
    async with db.transaction() as conn:
        assert await follows.close_period(
            conn, pid, "follower", at="2026-01-05T00:00:00.000Z", source="events", ref="e3"
        )
        assert not await follows.close_period(
            conn, pid, "follower", at="2026-01-06T00:00:00.000Z", source="events", ref="e4"
        )
    assert (await _state(db, "fan_1"))["unfollower_at"] == "2026-01-05T00:00:00.000Z"
    async with db.transaction() as conn:
        await follows.open_period(
            conn, pid, "follower", at="2026-02-01T00:00:00.000Z", source="list_snapshot", ref="s9"
        )
        periods = await follows.list_periods(conn, pid)
    assert [(p.start_ref, p.end_ref) for p in periods] == [("e1", "e3"), ("s9", None)]
    state = await _state(db, "fan_1")
    assert state["follower_since"] == "2026-02-01T00:00:00.000Z" and state["unfollower_at"] is None


async def test_directions_are_independent(db: Database) -> None:
    """I follow them and they follow me are separate relationships."""
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, ["mutual"]))["mutual"]
        await follows.open_period(
            conn, pid, "following", at="2026-01-01T00:00:00.000Z", source="manual", ref=None
        )
        assert not await follows.is_open(conn, pid, "follower")
        assert await follows.is_open(conn, pid, "following")


async def test_unknown_source_or_direction_is_refused(db: Database) -> None:
    """Bad enum values raise before touching the table."""
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, ["x"]))["x"]
        with pytest.raises(ValueError, match="direction"):
            await follows.open_period(
                conn, pid, "friend", at="2026-01-01T00:00:00.000Z", source="manual", ref=None
            )
        with pytest.raises(ValueError, match="source"):
            await follows.close_period(
                conn, pid, "follower", at="2026-01-01T00:00:00.000Z", source="rumour", ref=None
            )


async def test_ensure_persons_tracks_first_and_last_seen(db: Database) -> None:
    """Seeing a person again moves last_seen forward and never first_seen backward... unless earlier."""
    async with db.transaction() as conn:
        await persons.ensure_persons(conn, ["a"], seen_at="2026-01-02T00:00:00.000Z")
        await persons.ensure_persons(conn, ["a"], seen_at="2026-01-01T00:00:00.000Z")
        await persons.ensure_persons(conn, ["a"], seen_at="2026-01-03T00:00:00.000Z")
        await persons.ensure_persons(conn, ["a"])
    async with db.read() as conn, conn.execute("SELECT first_seen_at, last_seen_at FROM persons") as cursor:
        assert tuple(await cursor.fetchone()) == ("2026-01-01T00:00:00.000Z", "2026-01-03T00:00:00.000Z")  # type: ignore[arg-type]


def test_normalise_username() -> None:
    """Usernames are lower-cased and checked."""
    assert usernames.normalise_username(" Fan_42 ") == "fan_42"
    with pytest.raises(ValueError, match="not a valid username"):
        usernames.normalise_username("bad name")
