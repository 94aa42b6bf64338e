"""What the Profile page reads about one person: current state, sessions, raw records (its history
series are in store/profile_history.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    username: str
    role: str
    first_seen_at: str | None
    last_seen_at: str | None


@dataclass(frozen=True, slots=True)
class FollowDates:
    """v_person_follow_state: since when each direction holds, and when it last ended."""

    following_since: str | None
    follower_since: str | None
    unfollowed_at: str | None
    unfollower_at: str | None


@dataclass(frozen=True, slots=True)
class Session:
    """One broadcast session as the Affiliate feed saw it."""

    session_start: str
    last_seen_at: str
    seconds: int
    polls: int
    peak_viewers: int
    followers_start: int
    followers_latest: int
    current_show: str
    room_subject: str
    tags: tuple[str, ...]


# One trip to the database thread per statement (execute_fetchall), not three (execute, fetch, close):
# the page reads some twenty small things, and each trip waits its turn on a busy event loop.
async def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.execute_fetchall(sql, params)]


async def _one(conn: Connection, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    rows = await _rows(conn, sql, params)
    return rows[0] if rows else None


async def get_person(conn: Connection, username: str) -> Person | None:
    """The person called `username`, or None for a stranger."""
    row = await _one(
        conn,
        "SELECT id, username, role, first_seen_at, last_seen_at FROM persons WHERE username = :u",
        {"u": username},
    )
    return Person(**row) if row else None


async def get_follow_dates(conn: Connection, person_id: int) -> FollowDates:
    row = await _one(
        conn,
        "SELECT following_since, follower_since, unfollowed_at, unfollower_at "
        "FROM v_person_follow_state WHERE person_id = :id",
        {"id": person_id},
    )
    return FollowDates(**row) if row else FollowDates(None, None, None, None)


def _tags(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(t) for t in value) if isinstance(value, list) else ()


def _session(r: dict[str, Any]) -> Session:
    return Session(
        session_start=r["session_start"],
        last_seen_at=r["last_seen_at"],
        seconds=int(r["seconds_online"]),
        polls=int(r["polls"]),
        peak_viewers=int(r["peak_viewers"]),
        followers_start=int(r["followers_start"]),
        followers_latest=int(r["followers_latest"]),
        current_show=r["current_show"],
        room_subject=r["room_subject"],
        tags=_tags(r["tags"]),
    )


async def list_sessions(conn: Connection, person_id: int, *, limit: int = 50) -> list[Session]:
    rows = await _rows(
        conn,
        "SELECT session_start, last_seen_at, seconds_online, polls, peak_viewers, followers_start, "
        "followers_latest, current_show, room_subject, tags FROM affiliate_api_snapshots "
        # session_start_s is session_start in epoch seconds: the index gives the newest without a sort.
        "WHERE person_id = :id ORDER BY session_start_s DESC LIMIT :limit",
        {"id": person_id, "limit": limit},
    )
    return [_session(r) for r in rows]


async def count_sessions(conn: Connection, person_id: int) -> int:
    row = await _one(conn, "SELECT count(*) AS n FROM affiliate_api_snapshots WHERE person_id = :id",
                     {"id": person_id})  # fmt: skip
    return int(row["n"]) if row else 0


# source label → the newest row of that source for a person (`:id`, `:u` bound).
_LATEST = {
    "Affiliate API (latest session)": "SELECT * FROM affiliate_api_snapshots WHERE person_id = :id "
    "ORDER BY last_seen_at DESC, id DESC LIMIT 1",
    "CBHours live check": "SELECT * FROM cbhours_live_stats WHERE person_id = :id "
    "ORDER BY checked_at DESC, id DESC LIMIT 1",
    "CBHours activity segment": "SELECT * FROM cbhours_activity WHERE person_id = :id "
    "ORDER BY segment_at DESC LIMIT 1",
    "Statbate member": "SELECT * FROM statbate_member_info WHERE person_id = :id "
    "ORDER BY fetched_at DESC, id DESC LIMIT 1",
    "Statbate model": "SELECT * FROM statbate_model_info WHERE person_id = :id "
    "ORDER BY fetched_at DESC, id DESC LIMIT 1",
    "Stats API": "SELECT * FROM stats_snapshots WHERE username = :u "
    "ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
    "Follower history": "SELECT * FROM follower_history WHERE person_id = :id "
    "ORDER BY observed_at DESC LIMIT 1",
    "Profile scrape": "SELECT * FROM profile_scrapes WHERE person_id = :id "
    "ORDER BY scraped_at DESC, id DESC LIMIT 1",
    "Lookup queue": "SELECT * FROM lookup_queue WHERE person_id = :id",
    "Source flags": "SELECT * FROM person_source_flags WHERE person_id = :id",
}


async def latest_records(conn: Connection, person_id: int, username: str) -> dict[str, dict[str, Any]]:
    """The newest stored record of each source, as stored (sources without one are left out)."""
    found = {}
    for label, sql in _LATEST.items():
        row = await _one(conn, sql, {"id": person_id, "u": username})
        if row is not None:
            found[label] = row
    return found


async def statbate(conn: Connection, person_id: int) -> dict[str, Any]:
    """The newest Statbate member and model figures, the member's recent tips, and whether the
    tips history was asked for and not fetched yet."""
    member = await _one(conn, _LATEST["Statbate member"], {"id": person_id})
    model = await _one(conn, _LATEST["Statbate model"], {"id": person_id})
    tips = await _rows(
        conn,
        "SELECT tipped_at, model, tokens, usd FROM statbate_member_tips WHERE person_id = :id "
        "ORDER BY tipped_at DESC LIMIT 50",
        {"id": person_id},
    )
    flags = await _one(
        conn,
        "SELECT statbate_tips_requested_at FROM person_source_flags WHERE person_id = :id",
        {"id": person_id},
    )
    requested = flags["statbate_tips_requested_at"] if flags else None
    return {"member": member, "model": model, "tips": tips, "tips_requested_at": requested}
