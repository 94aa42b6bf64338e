"""A benchmark's new database, made as a user's is: every migration file in order."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from service.store.db import migration_files


def migrated(
    path: Path, *, isolation_level: Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None = "DEFERRED"
) -> sqlite3.Connection:
    """A connection to a new database at `path` holding the current schema (user_version set)."""
    conn = sqlite3.connect(path, isolation_level=isolation_level)
    for number, migration in migration_files():
        conn.executescript(migration.read_text(encoding="utf-8"))
        conn.execute(f"PRAGMA user_version = {number}")
    return conn


# Generators write sessions in the shape pages read them (the view affiliate_api_snapshots). On this
# connection only, an insert into the view stores the session and one profile per person (its id is
# the person's; a generator's person keeps one profile, as a room whose profile never changes does).
_SESSIONS_THROUGH_VIEW = """
CREATE TEMP TRIGGER bench_session_insert INSTEAD OF INSERT ON main.affiliate_api_snapshots
BEGIN
    INSERT OR IGNORE INTO affiliate_profiles (id, person_id, display_name, gender, age, birthday,
        location, country, spoken_languages, image_url)
    VALUES (NEW.person_id, NEW.person_id, coalesce(NEW.display_name, ''), coalesce(NEW.gender, ''),
        NEW.age, NEW.birthday, coalesce(NEW.location, ''), coalesce(NEW.country, ''),
        coalesce(NEW.spoken_languages, '[]'), coalesce(NEW.image_url, ''));
    INSERT INTO affiliate_sessions (person_id, profile_id, session_start_s, session_start,
        first_seen_at, last_seen_at, polls, seconds_online, current_show, room_subject, tags, is_new,
        is_hd, viewers, peak_viewers, followers_start, followers_latest)
    VALUES (NEW.person_id, NEW.person_id, NEW.session_start_s,
        nullif(NEW.session_start, strftime('%Y-%m-%dT%H:%M:%S.000Z', NEW.session_start_s, 'unixepoch')),
        NEW.first_seen_at, NEW.last_seen_at, coalesce(NEW.polls, 1), NEW.seconds_online,
        NEW.current_show, coalesce(NEW.room_subject, ''), coalesce(NEW.tags, '[]'),
        coalesce(NEW.is_new, 0), coalesce(NEW.is_hd, 0), NEW.viewers,
        coalesce(NEW.peak_viewers, NEW.viewers), NEW.followers_start, NEW.followers_latest);
END
"""


def sessions_through_view(conn: sqlite3.Connection) -> None:
    """Lets this connection insert affiliate sessions into the view affiliate_api_snapshots."""
    conn.execute(_SESSIONS_THROUGH_VIEW)
