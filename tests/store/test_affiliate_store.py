"""store_sweep's session matching: within the tolerance one session, beyond it a new one."""

from __future__ import annotations

from service.jobs.registry import ALL_JOBS
from service.settings import field_groups
from service.store import affiliate
from service.store.affiliate import SESSION_TOLERANCE_S, RoomSighting
from service.store.db import Database

T0 = 1_790_000_000  # epoch seconds of the first sweep


def _room(start_s: int, *, viewers: int = 5, followers: int = 100) -> RoomSighting:
    return RoomSighting("solo", start_s, 60, "Solo", "f", 25, None, "", "", "[]", "public", "", '["a"]',
                        0, 1, viewers, followers, "")  # fmt: skip


async def _store(db: Database, room: RoomSighting, seen: str) -> affiliate.SweepStored:
    async with db.transaction() as conn:
        return await affiliate.store_sweep(conn, [room], seen_at=seen, broadcaster="")


async def _sessions(db: Database) -> list[tuple[int, int, int]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT session_start_s, polls, peak_viewers FROM affiliate_api_snapshots "
            "ORDER BY session_start_s"
        ) as cursor,
    ):
        return [tuple(row) for row in await cursor.fetchall()]


async def test_drift_inside_the_tolerance_keeps_one_session(db: Database) -> None:
    await _store(db, _room(T0), "2026-11-25T10:00:00.000Z")
    await _store(db, _room(T0 + SESSION_TOLERANCE_S - 1, viewers=50), "2026-11-25T10:05:00.000Z")
    await _store(db, _room(T0 - SESSION_TOLERANCE_S + 1, viewers=7), "2026-11-25T10:10:00.000Z")
    assert await _sessions(db) == [(T0, 3, 50)]


async def test_a_start_beyond_the_tolerance_is_a_new_session(db: Database) -> None:
    await _store(db, _room(T0), "2026-11-25T10:00:00.000Z")
    stored = await _store(db, _room(T0 + SESSION_TOLERANCE_S + 1), "2026-11-25T10:05:00.000Z")
    assert (stored.new_sessions, stored.updated_sessions, stored.new_persons) == (1, 0, 0)
    assert [s[0] for s in await _sessions(db)] == [T0, T0 + SESSION_TOLERANCE_S + 1]


async def test_storing_the_same_sweep_twice_changes_nothing(db: Database) -> None:
    """Idempotent: a replayed sweep (same time) neither counts a poll nor adds a session."""
    await _store(db, _room(T0), "2026-11-25T10:00:00.000Z")
    again = await _store(db, _room(T0), "2026-11-25T10:00:00.000Z")
    assert (again.new_sessions, again.updated_sessions) == (0, 0)
    assert await _sessions(db) == [(T0, 1, 5)]


def test_data_source_jobs_use_the_settings_groups() -> None:
    """Each job's source names a Settings group, so its interval is edited next to its credentials."""
    mine = {"affiliate", "images", "stats", "cbhours_live", "cbhours_activity", "statbate", "lookup"}
    groups = {group for group, _ in field_groups()} | {"System"}
    assert {spec.source for spec in ALL_JOBS if spec.name in mine} <= groups
    assert mine <= {spec.name for spec in ALL_JOBS}


async def test_sessions_share_a_profile_until_a_value_changes(db: Database) -> None:
    """A restart with the same name, age… reuses the profile row; a new name makes a new one, which the
    updated session shows while the earlier session keeps its own (affiliate_api_snapshots)."""
    await _store(db, _room(T0), "2026-11-25T10:00:00.000Z")
    await _store(db, _room(T0 + 5_000), "2026-11-25T11:30:00.000Z")  # a new session, same profile
    await _store(db, _room(T0 + 5_000)._replace(display_name="Solo Star"), "2026-11-25T11:35:00.000Z")
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT session_start_s, display_name FROM affiliate_api_snapshots ORDER BY id"
        ) as cursor,
    ):
        assert [tuple(row) for row in await cursor.fetchall()] == [(T0, "Solo"), (T0 + 5_000, "Solo Star")]
    async with db.read() as conn, conn.execute("SELECT count(*) FROM affiliate_profiles") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (2,)  # not 3: the restart reused the first
