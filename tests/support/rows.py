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
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    await conn.execute(f"INSERT INTO affiliate_api_snapshots ({columns}) VALUES ({marks})", values)  # noqa: S608


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
