"""Writing the own room's events: the events themselves, the quarantine, and per-person room figures.

Ingest decides what a batch means (which events are new, who they are, which broadcast they belong
to); these functions only write it, inside the transaction the batch is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.store.db import Connection


@dataclass(slots=True)
class IncomingEvent:
    """One valid event as the store takes it; ingest maps the Events API model onto this. (Not frozen:
    one is made per event, and a frozen dataclass's __init__ costs twice as much.)"""

    id: str
    ms: int
    seq: int
    at: str  # UTC, clock.to_db form
    method: str
    username: str | None  # normalised; None for events without a user (subject changes)
    raw: str
    tokens: int = 0  # tip or media purchase
    is_anon: bool = False
    message: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    reason: str
    raw: str
    event_id: str | None = None
    method: str | None = None


@dataclass
class PersonRoomFigures:
    """What one batch adds to a person's figures in the room (person_room_stats)."""

    first: str
    last: str
    events: int = 0
    visits: int = 0
    tips: int = 0
    tokens: int = 0
    last_tip_at: str | None = None
    last_tip_tokens: int | None = None
    media_tokens: int = 0
    media_purchases: int = 0
    biggest_tip: int = 0
    first_tip_at: str | None = None
    fanclub_since: str | None = None
    attended: int = 0  # broadcasts this batch made them attend for the first time


async def known_event_ids(conn: Connection, event_ids: Iterable[str]) -> set[str]:
    """The ids among these that are stored already."""
    ids = list(event_ids)
    if not ids:
        return set()
    # One statement text whatever the count (prepared once per connection, not once per batch).
    sql = "SELECT id FROM room_events WHERE id IN (SELECT value FROM json_each(:ids))"
    return {row[0] for row in await conn.execute_fetchall(sql, {"ids": json.dumps(ids)})}


async def insert_events(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    broadcast_ids: Mapping[str, int],
    *,
    received_at: str,
) -> int:
    """Store events with their person (by username) and broadcast (by event id), if any; returns how
    many were stored (an id or (ms, seq) stored already is skipped)."""
    # Positional parameters: a row per event, and binding by name costs a dict lookup per value.
    rows = [
        (e.id, e.ms, e.seq, e.at, e.method, person_ids.get(e.username) if e.username else None, e.tokens,
         int(e.is_anon), e.message, broadcast_ids.get(e.id), e.raw, received_at)
        for e in events
    ]  # fmt: skip
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, "
        "message, broadcast_id, raw, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return conn.total_changes - before


async def add_room_figures(conn: Connection, figures: Mapping[int, PersonRoomFigures]) -> None:
    """Add each person's batch figures to their room stats (person id → figures)."""
    rows = [
        (person_id, f.first, f.last, f.visits, f.events, f.tips, f.tokens, f.last_tip_at, f.last_tip_tokens,
         f.media_tokens, f.media_purchases, f.biggest_tip, f.first_tip_at, f.fanclub_since, f.attended)
        for person_id, f in figures.items()
    ]  # fmt: skip
    await conn.executemany(
        "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tips, "
        "tokens_tipped, last_tip_at, last_tip_tokens, media_tokens, media_purchases, biggest_tip, "
        "first_tip_at, fanclub_since, broadcasts_attended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?) ON CONFLICT (person_id) DO UPDATE SET "
        "first_seen_at = min(coalesce(first_seen_at, excluded.first_seen_at), excluded.first_seen_at), "
        "last_seen_at = max(coalesce(last_seen_at, excluded.last_seen_at), excluded.last_seen_at), "
        "visits = visits + excluded.visits, events = events + excluded.events, "
        "tips = tips + excluded.tips, tokens_tipped = tokens_tipped + excluded.tokens_tipped, "
        "media_tokens = media_tokens + excluded.media_tokens, "
        "media_purchases = media_purchases + excluded.media_purchases, "
        "biggest_tip = max(biggest_tip, excluded.biggest_tip), "
        "first_tip_at = coalesce(min(first_tip_at, excluded.first_tip_at), first_tip_at, "
        "  excluded.first_tip_at), "
        "fanclub_since = coalesce(min(fanclub_since, excluded.fanclub_since), fanclub_since, "
        "  excluded.fanclub_since), "
        "broadcasts_attended = broadcasts_attended + excluded.broadcasts_attended, "
        "last_tip_tokens = CASE WHEN excluded.last_tip_at >= coalesce(last_tip_at, '') "
        "  THEN excluded.last_tip_tokens ELSE last_tip_tokens END, "
        "last_tip_at = CASE WHEN excluded.last_tip_at >= coalesce(last_tip_at, '') "
        "  THEN excluded.last_tip_at ELSE last_tip_at END",
        rows,
    )


async def insert_quarantine(conn: Connection, items: Sequence[QuarantineItem], *, received_at: str) -> int:
    """Keep elements that could not be read; the same raw text is kept once. Returns how many were new."""
    if not items:
        return 0
    rows = [
        {"at": received_at, "event_id": item.event_id, "method": item.method, "reason": item.reason,
         "raw": item.raw, "fingerprint": hashlib.sha256(item.raw.encode()).hexdigest()}
        for item in items
    ]  # fmt: skip
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO events_quarantine (received_at, event_id, method, reason, raw, fingerprint) "
        "VALUES (:at, :event_id, :method, :reason, :raw, :fingerprint)",
        rows,
    )
    return conn.total_changes - before
