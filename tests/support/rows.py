"""Rows for the page tests, inserted with plain SQL into the real tables of a temp SQLite file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from service.clock import to_db, utcnow
from service.store.db import Connection


def ago(**delta: float) -> str:
    return to_db(utcnow() - timedelta(**delta))


def at(moment: datetime) -> str:
    return to_db(moment)


async def add_person(conn: Connection, username: str, *, role: str = "unknown", **state: Any) -> int:
    """A person and their person_state row (as the data jobs would leave it) plus their tags."""
    now = ago(seconds=0)
    cursor = await conn.execute(
        "INSERT INTO persons (username, role, last_seen_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        (username, role, state.get("last_seen_at"), now, now),
    )
    person_id = int(cursor.lastrowid or 0)
    tags = state.pop("tags", None)
    values = {"person_id": person_id, "username": username, "role": role, **state}
    if tags is not None:
        values["tags"] = json.dumps(tags)
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    await conn.execute(f"INSERT INTO person_state ({columns}) VALUES ({marks})", values)  # noqa: S608
    for tag in tags or []:
        await conn.execute(
            "INSERT INTO person_tags (person_id, tag, role) VALUES (?, ?, ?)", (person_id, tag.lower(), role)
        )
    return person_id


async def add_session(
    conn: Connection, person_id: int, start: datetime, hours: float, followers: tuple[int, int], **extra: Any
) -> None:
    """One affiliate broadcast session as the affiliate job stores it."""
    end = start + timedelta(hours=hours)
    values = {
        "person_id": person_id, "session_start": at(start), "session_start_s": int(start.timestamp()),
        "first_seen_at": at(start), "last_seen_at": at(end), "polls": max(1, int(hours * 12)),
        "seconds_online": int(hours * 3600), "display_name": "Alice A.", "gender": "f", "age": 24,
        "current_show": "public", "room_subject": "hello #asian", "tags": json.dumps(["asian", "teen"]),
        "viewers": 80, "peak_viewers": 150, "followers_start": followers[0], "followers_latest": followers[1],
        "image_url": "https://img.example/alice.jpg", **extra,
    }  # fmt: skip
    await insert_affiliate_session(conn, values)


PROFILE_COLUMNS = ("display_name", "gender", "age", "birthday", "location", "country", "spoken_languages",
                   "image_url")  # fmt: skip


async def insert_affiliate_session(conn: Connection, values: dict[str, Any]) -> int:
    """One row of affiliate_api_snapshots (the view's columns) written as the store keeps it: its
    profile values in affiliate_profiles, the session's own in affiliate_sessions. Returns the session id."""
    profile = {k: values[k] for k in PROFILE_COLUMNS if k in values}
    session = {k: v for k, v in values.items() if k not in PROFILE_COLUMNS}
    profile["person_id"] = session["person_id"]
    marks = ", ".join(":" + k for k in profile)
    sql = f"INSERT INTO affiliate_profiles ({', '.join(profile)}) VALUES ({marks})"  # noqa: S608
    cursor = await conn.execute(sql, profile)
    session["profile_id"] = cursor.lastrowid
    marks = ", ".join(":" + k for k in session)
    cursor = await conn.execute(
        f"INSERT INTO affiliate_sessions ({', '.join(session)}) VALUES ({marks})"  # noqa: S608
        " ON CONFLICT (person_id, session_start_s) DO UPDATE SET profile_id = excluded.profile_id",
        session,
    )
    return int(cursor.lastrowid or 0)


async def add_activity(conn: Connection, person_id: int, start: datetime, segments: int, rank: int) -> None:
    """CBHours 3-minute activity segments from `start`, followers climbing by one per segment."""
    rows = [
        (person_id, at(start + timedelta(minutes=3 * i)), "public", rank + i % 3, rank * 10, 1000 + i, 90,
         "f", at(start))
        for i in range(segments)
    ]  # fmt: skip
    await conn.executemany(
        "INSERT INTO cbhours_activity (person_id, segment_at, show, rank, grank, followers, viewers, gender, "
        "fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
