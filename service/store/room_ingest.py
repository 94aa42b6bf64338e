"""Storing one Events API batch: events, quarantine, people, follows, broadcasts and the cursor.

`store_batch` runs inside the caller's transaction, so a batch and the `nextUrl` after it land
together or not at all: a restart at any moment resumes at the stored cursor, and a replayed batch
stores nothing twice because the event id is the primary key and only ids not yet stored count
towards people, follows and summaries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from service.clock import from_db, to_db
from service.store import follows, persons
from service.store.broadcast_stitch import Stitcher, StitchPolicy, refresh_summaries
from service.store.db import Connection

# persons.last_seen_at (the service-wide "last seen") moves at most this often per person from room
# events; person_room_stats keeps the room's exact times.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One valid event as the store needs it; the job maps the API model onto this."""

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


@dataclass(frozen=True, slots=True)
class BatchResult:
    stored: int
    duplicates: int
    quarantined: int
    broadcast_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass
class _PersonFigures:
    first: str
    last: str
    events: int = 0
    visits: int = 0
    tips: int = 0
    tokens: int = 0
    last_tip_at: str | None = None
    last_tip_tokens: int | None = None


async def store_batch(
    conn: Connection,
    events: Sequence[IncomingEvent],
    invalid: Sequence[QuarantineItem],
    cursor: str,
    *,
    cursor_fingerprint: str | None = None,
    broadcaster: str,
    policy: StitchPolicy,
    received_at: str,
) -> BatchResult:
    """Store one polled batch and the cursor after it (call inside `db.transaction()`).

    `cursor` is the nextUrl without the token (`sources.events.without_token`); the table refuses one
    without the placeholder. `cursor_fingerprint` names the token it was read with.
    """
    fresh = await _fresh(conn, events)
    ids = await _people(conn, fresh, broadcaster)
    stitcher = await Stitcher.load(conn, policy, broadcaster or None)
    assignments = await stitcher.feed(fresh)
    if not fresh:
        await stitcher.close_if_stale(received_at)
    await _insert_events(conn, fresh, ids, assignments, received_at)
    await _room_stats(conn, fresh, ids, broadcaster)
    await _follows(conn, fresh, ids, broadcaster)
    quarantined = await _quarantine(conn, invalid, received_at)
    touched = stitcher.touched()
    await refresh_summaries(conn, touched, ids.get(broadcaster))
    last = events[-1] if events else None
    await conn.execute(
        "INSERT INTO events_stream_state (id, cursor, cursor_token_fingerprint, last_event_id, "
        "last_event_at, last_poll_at, updated_at) VALUES (1, :cursor, :fingerprint, :event_id, "
        ":event_at, :now, :now) ON CONFLICT (id) DO UPDATE "
        "SET cursor = excluded.cursor, cursor_token_fingerprint = excluded.cursor_token_fingerprint, "
        "last_poll_at = excluded.last_poll_at, "
        "updated_at = excluded.updated_at, "
        "last_event_id = coalesce(excluded.last_event_id, last_event_id), "
        "last_event_at = coalesce(excluded.last_event_at, last_event_at)",
        {"cursor": cursor, "fingerprint": cursor_fingerprint, "event_id": last.id if last else None,
         "event_at": last.at if last else None, "now": received_at},
    )  # fmt: skip
    return BatchResult(len(fresh), len(events) - len(fresh), quarantined, frozenset(touched))


async def _fresh(conn: Connection, events: Sequence[IncomingEvent]) -> list[IncomingEvent]:
    """The events not stored yet, each id once, in arrival order."""
    if not events:
        return []
    params = {f"i{n}": event.id for n, event in enumerate(events)}
    marks = ", ".join(f":{key}" for key in params)
    sql = f"SELECT id FROM room_events WHERE id IN ({marks})"  # noqa: S608 - placeholders only
    known = {row[0] for row in await conn.execute_fetchall(sql, params)}
    fresh: list[IncomingEvent] = []
    for event in events:
        if event.id not in known:
            known.add(event.id)
            fresh.append(event)
    return fresh


async def _people(conn: Connection, fresh: Sequence[IncomingEvent], broadcaster: str) -> dict[str, int]:
    """username → person id for everyone in the batch (and the broadcaster), creating new persons.

    A busy room repeats the same few hundred names in every batch. Persons whose role is known and
    whose last_seen_at is recent enough are only looked up; the rest go through ensure_persons and
    set_role (one statement each). The room's own exact first/last seen live in person_room_stats.
    """
    names = list(
        dict.fromkeys([e.username for e in fresh if e.username] + ([broadcaster] if broadcaster else []))
    )
    if not names:
        return {}
    # An anonymous tip must not move its sender's "last seen" (the Directory shows it, the Events
    # page shows the tip's time): only events under the sender's own name count as seeing them.
    named = [event for event in fresh if not event.is_anon]
    shown = {event.username for event in named} | {broadcaster}
    seen = max(event.at for event in named) if named else None
    params = {f"n{i}": name for i, name in enumerate(names)}
    marks = ", ".join(f":{key}" for key in params)
    sql = f"SELECT id, username, role, last_seen_at FROM persons WHERE username IN ({marks})"  # noqa: S608
    known = {row["username"]: row for row in await conn.execute_fetchall(sql, params)}
    fresh_enough = _minus(seen, LAST_SEEN_RESOLUTION) if seen else None
    ids = {name: int(row["id"]) for name, row in known.items()}
    stale = [
        name for name in names
        if name not in known or known[name]["role"] == "unknown"
        or (name in shown and fresh_enough is not None and (known[name]["last_seen_at"] or "") < fresh_enough)
    ]  # fmt: skip
    if seen_now := [name for name in stale if name in shown]:
        ids.update(await persons.ensure_persons(conn, seen_now, seen_at=seen))
    if only_anonymous := [name for name in stale if name not in shown]:
        ids.update(await persons.ensure_persons(conn, only_anonymous))
    for name in stale:
        if name not in known or known[name]["role"] == "unknown":
            await persons.set_role(conn, ids[name], "model" if name == broadcaster else "viewer")
    return ids


def _minus(at: str, delta: timedelta) -> str:
    return to_db(from_db(at) - delta)


async def _insert_events(
    conn: Connection,
    fresh: Sequence[IncomingEvent],
    ids: dict[str, int],
    assignments: dict[str, int],
    received_at: str,
) -> None:
    rows = [
        {"id": e.id, "ms": e.ms, "seq": e.seq, "at": e.at, "method": e.method,
         "person": ids.get(e.username) if e.username else None, "tokens": e.tokens,
         "anon": int(e.is_anon), "message": e.message, "broadcast": assignments.get(e.id),
         "raw": e.raw, "received": received_at}
        for e in fresh
    ]  # fmt: skip
    await conn.executemany(
        "INSERT OR IGNORE INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, "
        "message, broadcast_id, raw, received_at) VALUES (:id, :ms, :seq, :at, :method, :person, "
        ":tokens, :anon, :message, :broadcast, :raw, :received)",
        rows,
    )


def _figures(
    fresh: Sequence[IncomingEvent], ids: dict[str, int], broadcaster: str
) -> dict[int, _PersonFigures]:
    figures: dict[int, _PersonFigures] = {}
    for event in fresh:
        # An anonymous tip counts for nobody: not its sender's events, times or totals (the Profile
        # and Directory show these, and a figure that moves with the tip would reveal who sent it).
        if not event.username or event.username == broadcaster or event.is_anon:
            continue
        person = figures.setdefault(ids[event.username], _PersonFigures(event.at, event.at))
        person.first, person.last = min(person.first, event.at), max(person.last, event.at)
        person.events += 1
        person.visits += event.method == "userEnter"
        if event.method == "tip":
            person.tips += 1
            person.tokens += event.tokens
            person.last_tip_at, person.last_tip_tokens = event.at, event.tokens
    return figures


async def _room_stats(
    conn: Connection, fresh: Sequence[IncomingEvent], ids: dict[str, int], broadcaster: str
) -> None:
    rows = [
        {"person": person_id, "first": f.first, "last": f.last, "visits": f.visits, "events": f.events,
         "tips": f.tips, "tokens": f.tokens, "tip_at": f.last_tip_at, "tip_tokens": f.last_tip_tokens}
        for person_id, f in _figures(fresh, ids, broadcaster).items()
    ]  # fmt: skip
    await conn.executemany(
        "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tips, "
        "tokens_tipped, last_tip_at, last_tip_tokens) VALUES (:person, :first, :last, :visits, "
        ":events, :tips, :tokens, :tip_at, :tip_tokens) ON CONFLICT (person_id) DO UPDATE SET "
        "first_seen_at = min(coalesce(first_seen_at, excluded.first_seen_at), excluded.first_seen_at), "
        "last_seen_at = max(coalesce(last_seen_at, excluded.last_seen_at), excluded.last_seen_at), "
        "visits = visits + excluded.visits, events = events + excluded.events, "
        "tips = tips + excluded.tips, tokens_tipped = tokens_tipped + excluded.tokens_tipped, "
        "last_tip_tokens = CASE WHEN excluded.last_tip_at >= coalesce(last_tip_at, '') "
        "  THEN excluded.last_tip_tokens ELSE last_tip_tokens END, "
        "last_tip_at = CASE WHEN excluded.last_tip_at >= coalesce(last_tip_at, '') "
        "  THEN excluded.last_tip_at ELSE last_tip_at END",
        rows,
    )


async def _follows(
    conn: Connection, fresh: Sequence[IncomingEvent], ids: dict[str, int], broadcaster: str
) -> None:
    for event in fresh:
        if event.method not in ("follow", "unfollow") or not event.username or event.username == broadcaster:
            continue
        change = follows.open_period if event.method == "follow" else follows.close_period
        await change(conn, ids[event.username], "follower", at=event.at, source="events", ref=event.id)


async def _quarantine(conn: Connection, invalid: Sequence[QuarantineItem], received_at: str) -> int:
    rows = [
        {"at": received_at, "event_id": item.event_id, "method": item.method, "reason": item.reason,
         "raw": item.raw, "fingerprint": hashlib.sha256(item.raw.encode()).hexdigest()}
        for item in invalid
    ]  # fmt: skip
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO events_quarantine (received_at, event_id, method, reason, raw, fingerprint) "
        "VALUES (:at, :event_id, :method, :reason, :raw, :fingerprint)",
        rows,
    )
    return conn.total_changes - before


async def record_gap(conn: Connection, *, reason: str, at: str) -> None:
    """Note that the feed restarted from the backlog: what came between may never have been read."""
    await conn.execute(
        "INSERT INTO events_gaps (detected_at, reason, last_event_id, last_event_at) "
        "SELECT :at, :reason, (SELECT last_event_id FROM events_stream_state WHERE id = 1), "
        "(SELECT last_event_at FROM events_stream_state WHERE id = 1)",
        {"at": at, "reason": reason},
    )
    await conn.execute(
        "UPDATE events_stream_state SET cursor = NULL, cursor_token_fingerprint = NULL WHERE id = 1"
    )


async def set_status(conn: Connection, *, state: str, detail: str | None, until: str | None, at: str) -> None:
    await conn.execute(
        "INSERT INTO events_stream_state (id, state, detail, until, updated_at) "
        "VALUES (1, :state, :detail, :until, :at) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
        "detail = excluded.detail, until = excluded.until, updated_at = excluded.updated_at",
        {"state": state, "detail": detail, "until": until, "at": at},
    )


@dataclass(frozen=True, slots=True)
class StoredCursor:
    cursor: str  # the nextUrl with the placeholder where the token was
    token_fingerprint: str | None  # None: converted from an old cursor; the configured token adopts it


async def stored_cursor(conn: Connection) -> StoredCursor | None:
    async with conn.execute(
        "SELECT cursor, cursor_token_fingerprint FROM events_stream_state WHERE id = 1"
    ) as cursor:
        row = await cursor.fetchone()
    if not row or not row[0]:
        return None
    return StoredCursor(str(row[0]), str(row[1]) if row[1] else None)
