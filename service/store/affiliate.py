"""Storing an Affiliate feed sweep: persons, one row per person per session, follower history.

A sweep is ~20,000 rooms every 5 minutes, so it is written set-based: the rooms go into a temp
staging table with one executemany, and a handful of INSERT … SELECT / UPDATE … FROM statements
do the rest. Per-room statements would cost ~10× more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from service.clock import now_db
from service.store import affiliate_state, person_state
from service.store.db import Connection

# now − seconds_online drifts by a few seconds per poll (and more when the feed lags); two
# sightings whose derived starts differ by less than this are the same broadcast.
SESSION_TOLERANCE_S = 600


class RoomSighting(NamedTuple):
    """One room of a sweep, in the staging table's column order (positional for executemany speed)."""

    username: str
    start_s: int  # epoch seconds: sweep time − seconds_online
    seconds_online: int
    display_name: str
    gender: str
    age: int | None
    birthday: str | None
    location: str
    country: str
    spoken_languages: str  # JSON array
    current_show: str
    room_subject: str
    tags: str  # JSON array
    is_new: int
    is_hd: int
    viewers: int
    followers: int
    image_url: str


@dataclass(frozen=True, slots=True)
class SweepStored:
    rooms: int
    new_persons: int
    new_sessions: int
    updated_sessions: int
    history_rows: int


_STAGE = """CREATE TEMP TABLE IF NOT EXISTS affiliate_stage (
    username TEXT, start_s INTEGER, seconds_online INTEGER,
    display_name TEXT, gender TEXT, age INTEGER, birthday TEXT, location TEXT, country TEXT,
    spoken_languages TEXT, current_show TEXT, room_subject TEXT, tags TEXT, is_new INTEGER,
    is_hd INTEGER, viewers INTEGER, followers INTEGER, image_url TEXT,
    person_id INTEGER, snapshot_id INTEGER, match_seen TEXT, prev_seen TEXT, profile_id INTEGER,
    fast INTEGER, old_tags TEXT, old_role TEXT)"""

# Positional: the rows are RoomSighting tuples, in the staging table's column order.
_MARKS = ", ".join("?" * len(RoomSighting._fields))
_DERIVED = ", ".join(["NULL"] * 8)  # person_id … old_role, filled in by the statements below
_STAGE_INSERT = f"INSERT INTO temp.affiliate_stage VALUES ({_MARKS}, {_DERIVED})"  # noqa: S608 - placeholders

# Known persons are updated by id and only then are the rest inserted: an upsert of every room
# costs ~2.5× (each conflict is an attempted insert first).
_PERSON_IDS = """UPDATE temp.affiliate_stage AS st SET person_id = p.id
FROM persons p WHERE p.username = st.username"""
_UPDATE_PERSONS = """UPDATE persons AS p SET role = 'model', first_seen_at = coalesce(p.first_seen_at, :seen),
    last_seen_at = max(coalesce(p.last_seen_at, :seen), :seen), updated_at = :now
FROM temp.affiliate_stage st WHERE p.id = st.person_id"""
_INSERT_PERSONS = """INSERT INTO persons (username, role, first_seen_at, last_seen_at, created_at, updated_at)
SELECT username, 'model', :seen, :seen, :now, :now FROM temp.affiliate_stage WHERE person_id IS NULL"""
_NEW_PERSON_IDS = """UPDATE temp.affiliate_stage AS st SET person_id = p.id
FROM persons p WHERE st.person_id IS NULL AND p.username = st.username"""

# A session start within the tolerance (the newest, should two qualify); the unique
# (person_id, session_start_s) index answers it with one range seek per room. Its last sighting and
# the person's newest one (one seek in the (person_id, last_seen_at) index) tell affiliate_state
# whether the session is the person's newest. The profile to reuse is the matched session's (read
# with it) or, for a new session, the person's newest profile (a seek in its person index). Either
# is only reused when its values are the room's (_CHANGED_PROFILES).
_MATCH = """UPDATE temp.affiliate_stage AS st SET (snapshot_id, match_seen, profile_id) = (
    SELECT s.id, s.last_seen_at, s.profile_id FROM affiliate_sessions s WHERE s.person_id = st.person_id
        AND s.session_start_s BETWEEN st.start_s - :tol AND st.start_s + :tol
        ORDER BY s.session_start_s DESC LIMIT 1),
    prev_seen = (SELECT max(x.last_seen_at) FROM affiliate_sessions x WHERE x.person_id = st.person_id)"""
_LATEST_PROFILE = """UPDATE temp.affiliate_stage AS st SET profile_id = (
    SELECT max(f.id) FROM affiliate_profiles f WHERE f.person_id = st.person_id)
WHERE snapshot_id IS NULL AND prev_seen IS NOT NULL"""

# A room whose profile values differ from the person's newest profile gets a new profile row
# (only rooms whose session is written: a replayed sweep writes nothing).
_WRITTEN = "(st.snapshot_id IS NULL OR st.match_seen < :seen)"
_CHANGED_PROFILES = f"""UPDATE temp.affiliate_stage AS st SET profile_id = NULL
WHERE profile_id IS NOT NULL AND {_WRITTEN} AND NOT EXISTS (SELECT 1 FROM affiliate_profiles f
    WHERE f.id = st.profile_id AND f.display_name = st.display_name AND f.gender = st.gender
    AND f.age IS st.age AND f.birthday IS st.birthday AND f.location = st.location
    AND f.country = st.country AND f.spoken_languages = st.spoken_languages
    AND f.image_url = st.image_url)"""  # noqa: S608 - constants only
_INSERT_PROFILES = f"""INSERT INTO affiliate_profiles (person_id, display_name, gender, age, birthday,
    location, country, spoken_languages, image_url)
SELECT person_id, display_name, gender, age, birthday, location, country, spoken_languages, image_url
FROM temp.affiliate_stage AS st WHERE profile_id IS NULL AND {_WRITTEN}"""  # noqa: S608 - constants only
_NEW_PROFILE_IDS = f"""UPDATE temp.affiliate_stage AS st SET profile_id = (
    SELECT max(f.id) FROM affiliate_profiles f WHERE f.person_id = st.person_id)
WHERE profile_id IS NULL AND {_WRITTEN}"""  # noqa: S608 - constants only

_UPDATE_SESSIONS = """UPDATE affiliate_sessions SET
    last_seen_at = :seen, polls = polls + 1, seconds_online = st.seconds_online,
    profile_id = st.profile_id, current_show = st.current_show, room_subject = st.room_subject,
    tags = st.tags, is_new = st.is_new, is_hd = st.is_hd, viewers = st.viewers,
    peak_viewers = max(peak_viewers, st.viewers), followers_latest = st.followers
FROM temp.affiliate_stage st
WHERE affiliate_sessions.id = st.snapshot_id AND affiliate_sessions.last_seen_at < :seen"""

_INSERT_SESSIONS = """INSERT INTO affiliate_sessions (person_id, profile_id, session_start_s,
    first_seen_at, last_seen_at, seconds_online, current_show, room_subject, tags, is_new, is_hd,
    viewers, peak_viewers, followers_start, followers_latest)
SELECT person_id, profile_id, start_s, :seen, :seen, seconds_online, current_show, room_subject, tags,
    is_new, is_hd, viewers, viewers, followers, followers
FROM temp.affiliate_stage WHERE snapshot_id IS NULL"""

# Tracked = priority 2, followed by the broadcaster, following the broadcaster, or the broadcaster.
TRACKED = """(SELECT person_id FROM lookup_queue WHERE priority = 2
    UNION SELECT person_id FROM follow_periods WHERE ended_at IS NULL
    UNION SELECT id FROM persons WHERE username = :broadcaster)"""

_HISTORY = f"""INSERT OR IGNORE INTO follower_history (person_id, observed_at, source, followers)
SELECT person_id, :seen, 'affiliate', followers FROM temp.affiliate_stage
WHERE person_id IN {TRACKED}"""  # noqa: S608 - constants only

_FOUND = """UPDATE lookup_queue SET updated_at = :now,
    found_in = CASE WHEN instr(',' || found_in || ',', ',affiliate,') THEN found_in
        WHEN found_in = '' THEN 'affiliate' ELSE found_in || ',affiliate' END
WHERE person_id IN (SELECT person_id FROM temp.affiliate_stage)"""


async def _count(conn: Connection, sql: str, params: dict[str, int] | None = None) -> int:
    async with conn.execute(sql, params or {}) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def store_sweep(
    conn: Connection, rooms: Sequence[RoomSighting], *, seen_at: str, broadcaster: str
) -> SweepStored:
    """Write one sweep's rooms (unique usernames) inside the caller's transaction."""
    now = now_db()
    await conn.execute(_STAGE)
    await conn.execute("DELETE FROM temp.affiliate_stage")
    await conn.executemany(_STAGE_INSERT, rooms)
    # Person ids only grow, so rows above the old maximum are the persons this sweep created.
    persons_before = await _count(conn, "SELECT max(id) FROM persons")
    await conn.execute(_PERSON_IDS)
    await conn.execute(_UPDATE_PERSONS, {"seen": seen_at, "now": now})
    # Statements that only concern new persons or changed profiles are skipped when there are none
    # (most sweeps): each would scan the 20,000 staged rooms again.
    new_persons = (await conn.execute(_INSERT_PERSONS, {"seen": seen_at, "now": now})).rowcount
    if new_persons:
        await conn.execute(_NEW_PERSON_IDS)
    await conn.execute(_MATCH, {"tol": SESSION_TOLERANCE_S})
    await conn.execute(_LATEST_PROFILE)
    await conn.execute(_CHANGED_PROFILES, {"seen": seen_at})
    if (await conn.execute(_INSERT_PROFILES, {"seen": seen_at})).rowcount:
        await conn.execute(_NEW_PROFILE_IDS, {"seen": seen_at})
    updated = await conn.execute(_UPDATE_SESSIONS, {"seen": seen_at})
    inserted = await conn.execute(_INSERT_SESSIONS, {"seen": seen_at})
    history = await conn.execute(_HISTORY, {"seen": seen_at, "broadcaster": broadcaster})
    await conn.execute(_FOUND, {"now": now})
    await affiliate_state.store_state(
        conn, seen_at=seen_at, persons_before=persons_before, new_persons=new_persons > 0
    )
    await person_state.refresh_stale_live(conn)
    return SweepStored(
        rooms=len(rooms),
        new_persons=new_persons,
        new_sessions=inserted.rowcount,
        updated_sessions=updated.rowcount,
        history_rows=history.rowcount,
    )


async def record_sweep(
    conn: Connection,
    *,
    started_at: str,
    finished_at: str,
    reported_count: int,
    rooms: int,
    pages: int,
    duplicates: int,
    invalid: int,
    filters: str,
) -> None:
    await conn.execute(
        "INSERT INTO affiliate_sweeps (started_at, finished_at, reported_count, rooms, pages, "
        "duplicates, invalid, filters) VALUES (:started, :finished, :reported, :rooms, :pages, "
        ":duplicates, :invalid, :filters)",
        {"started": started_at, "finished": finished_at, "reported": reported_count, "rooms": rooms,
         "pages": pages, "duplicates": duplicates, "invalid": invalid, "filters": filters},
    )  # fmt: skip


async def last_sweep_finished_at(conn: Connection) -> str | None:
    async with conn.execute("SELECT max(finished_at) FROM affiliate_sweeps") as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None
