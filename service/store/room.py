"""Reading the own room's events and the stream's status for the pages.

Listing is keyset-paginated on (ms, seq), the parsed event id, so the first screen and every later
one cost the same with a million stored events. The WHERE clause is assembled from fixed fragments
(values stay named parameters) so SQLite can pick the index that fits the filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.clock import from_db
from service.store.db import Connection, fetch_one

METHODS = (
    "tip", "chatMessage", "privateMessage", "follow", "unfollow", "fanclubJoin", "userEnter",
    "userLeave", "mediaPurchase", "roomSubjectChange", "broadcastStart", "broadcastStop",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RoomEvent:
    id: str
    ms: int
    seq: int
    at: datetime
    method: str
    username: str | None  # the real name, also for anonymous tips: the web layer hides it
    tokens: int
    is_anon: bool
    message: str | None
    broadcast_id: int | None


@dataclass(frozen=True, slots=True)
class EventFilter:
    method: str | None = None
    person_id: int | None = None
    min_tip: int | None = None  # tips only
    since_ms: int | None = None
    until_ms: int | None = None
    hide_anonymous: bool = False  # drop anonymous tips (when filtering by person without reveal)
    broadcast_id: int | None = None
    methods: tuple[str, ...] = ()  # any of these (fixed names from METHODS)


@dataclass(frozen=True, slots=True)
class StreamState:
    state: str
    detail: str | None
    until: datetime | None
    last_event_id: str | None
    last_event_at: datetime | None
    last_poll_at: datetime | None
    updated_at: datetime
    stalled: bool = False  # no poll completed for longer than a long poll can take

    @property
    def needs_attention(self) -> bool:
        """Events are not being stored and only a person can tell why: every panel page warns."""
        return self.stalled or self.state in ("store_error", "stopped")


@dataclass(frozen=True, slots=True)
class Gap:
    id: int
    detected_at: datetime
    reason: str
    last_event_id: str | None
    last_event_at: datetime | None


@dataclass(frozen=True, slots=True)
class Quarantined:
    id: int
    received_at: datetime
    event_id: str | None
    method: str | None
    reason: str
    raw: str


def _when(value: Any) -> datetime | None:
    return from_db(value) if value else None


# ASCII digits only: str.isdigit() also takes '²', which int() then refuses.
_EVENT_KEY = re.compile(r"([0-9]{1,15})-([0-9]{1,9})")


def parse_key(event_id: str) -> tuple[int, int] | None:
    """(ms, seq) of an event id, or None for anything else (a hand-edited URL)."""
    match = _EVENT_KEY.fullmatch(event_id)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _where(f: EventFilter, params: dict[str, Any]) -> list[str]:
    clauses: list[str] = []
    checks: list[tuple[Any, str, str]] = [
        (f.method, "method", "e.method = :method"),
        (f.person_id, "person", "e.person_id = :person"),
        (f.since_ms, "since", "e.ms >= :since"),
        (f.until_ms, "until", "e.ms < :until"),
        (f.broadcast_id, "broadcast", "e.broadcast_id = :broadcast"),
    ]
    for value, name, clause in checks:
        if value is not None:
            params[name] = value
            clauses.append(clause)
    if f.min_tip is not None:
        params["min_tip"] = f.min_tip
        clauses.append("e.method = 'tip' AND e.tokens >= :min_tip")
    if f.methods:
        names = {f"m{n}": method for n, method in enumerate(f.methods) if method in METHODS}
        params.update(names)
        clauses.append(f"e.method IN ({', '.join(':' + key for key in names) or 'NULL'})")
    if f.hide_anonymous:
        clauses.append("NOT e.is_anon")
    return clauses


_SELECT = (
    "SELECT e.id, e.ms, e.seq, e.at, e.method, p.username, e.tokens, e.is_anon, e.message, e.broadcast_id "
    "FROM room_events e LEFT JOIN persons p ON p.id = e.person_id"
)


def _event(row: Any) -> RoomEvent:
    return RoomEvent(
        id=row["id"], ms=row["ms"], seq=row["seq"], at=from_db(row["at"]), method=row["method"],
        username=row["username"], tokens=row["tokens"], is_anon=bool(row["is_anon"]),
        message=row["message"], broadcast_id=row["broadcast_id"],
    )  # fmt: skip


async def list_events(
    conn: Connection,
    f: EventFilter,
    *,
    before: tuple[int, int] | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 50,
) -> list[RoomEvent]:
    """Newest first, older than `before`; or, with `after`, the oldest ones newer than it (live feed)."""
    params: dict[str, Any] = {"limit": limit}
    clauses = _where(f, params)
    if before is not None:
        params["b_ms"], params["b_seq"] = before
        clauses.append("(e.ms, e.seq) < (:b_ms, :b_seq)")
    if after is not None:
        params["a_ms"], params["a_seq"] = after
        clauses.append("(e.ms, e.seq) > (:a_ms, :a_seq)")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    order = "ASC" if after is not None else "DESC"
    sql = f"{_SELECT}{where} ORDER BY e.ms {order}, e.seq {order} LIMIT :limit"
    async with conn.execute(sql, params) as cursor:
        return [_event(row) for row in await cursor.fetchall()]


async def latest_key(conn: Connection) -> tuple[int, int] | None:
    async with conn.execute("SELECT ms, seq FROM room_events ORDER BY ms DESC, seq DESC LIMIT 1") as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


async def get_stream_state(conn: Connection) -> StreamState | None:
    row = await fetch_one(conn, "SELECT * FROM events_stream_state WHERE id = 1")
    if row is None:
        return None
    return StreamState(
        state=row["state"], detail=row["detail"], until=_when(row["until"]),
        last_event_id=row["last_event_id"], last_event_at=_when(row["last_event_at"]),
        last_poll_at=_when(row["last_poll_at"]), updated_at=from_db(row["updated_at"]),
    )  # fmt: skip


async def list_gaps(conn: Connection, *, limit: int = 50) -> list[Gap]:
    async with conn.execute(
        "SELECT * FROM events_gaps ORDER BY id DESC LIMIT :limit", {"limit": limit}
    ) as cur:
        rows = await cur.fetchall()
    return [
        Gap(
            row["id"],
            from_db(row["detected_at"]),
            row["reason"],
            row["last_event_id"],
            _when(row["last_event_at"]),
        )
        for row in rows
    ]


async def list_quarantine(conn: Connection, *, limit: int = 100) -> tuple[int, list[Quarantined]]:
    """(total count, the newest `limit` rows)."""
    async with conn.execute("SELECT count(*) FROM events_quarantine") as cur:
        row = await cur.fetchone()
    total = int(row[0]) if row else 0
    async with conn.execute(
        "SELECT * FROM events_quarantine ORDER BY id DESC LIMIT :limit", {"limit": limit}
    ) as cur:
        rows = await cur.fetchall()
    items = [
        Quarantined(
            row["id"], from_db(row["received_at"]), row["event_id"], row["method"], row["reason"], row["raw"]
        )
        for row in rows
    ]
    return total, items


@dataclass(frozen=True, slots=True)
class PersonRoomStats:
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    visits: int
    events: int
    tips: int
    tokens_tipped: int
    last_tip_at: datetime | None
    last_tip_tokens: int | None


async def get_person_room_stats(conn: Connection, person_id: int) -> PersonRoomStats | None:
    async with conn.execute(
        "SELECT * FROM person_room_stats WHERE person_id = :id", {"id": person_id}
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return PersonRoomStats(
        first_seen_at=_when(row["first_seen_at"]), last_seen_at=_when(row["last_seen_at"]),
        visits=row["visits"], events=row["events"], tips=row["tips"], tokens_tipped=row["tokens_tipped"],
        last_tip_at=_when(row["last_tip_at"]), last_tip_tokens=row["last_tip_tokens"],
    )  # fmt: skip


async def tips_by_day(
    conn: Connection, person_id: int, *, include_anonymous: bool
) -> list[tuple[str, int, int]]:
    """(UTC day, tips, tokens) for one person, oldest first."""
    async with conn.execute(
        "SELECT substr(at, 1, 10) AS day, count(*) AS tips, sum(tokens) AS tokens FROM room_events "
        "WHERE person_id = :id AND method = 'tip' AND (:anon OR NOT is_anon) GROUP BY day ORDER BY day",
        {"id": person_id, "anon": int(include_anonymous)},
    ) as cursor:
        return [(row["day"], row["tips"], row["tokens"]) for row in await cursor.fetchall()]
