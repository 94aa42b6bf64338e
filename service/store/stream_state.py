"""The Events feed's own record: the cursor after the last stored batch, its status, and its gaps.

The cursor is written by `record_cursor` in the same transaction as the batch it follows, so a
restart resumes exactly where the last committed batch stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.store.db import Connection


async def record_cursor(
    conn: Connection,
    cursor: str,
    *,
    fingerprint: str | None,
    last_event_id: str | None,
    last_event_at: str | None,
    at: str,
) -> None:
    """The nextUrl after a batch (token-free; the table refuses one without the placeholder)."""
    await conn.execute(
        "INSERT INTO events_stream_state (id, cursor, cursor_token_fingerprint, last_event_id, "
        "last_event_at, last_poll_at, updated_at) VALUES (1, :cursor, :fingerprint, :event_id, "
        ":event_at, :now, :now) ON CONFLICT (id) DO UPDATE "
        "SET cursor = excluded.cursor, cursor_token_fingerprint = excluded.cursor_token_fingerprint, "
        "last_poll_at = excluded.last_poll_at, "
        "updated_at = excluded.updated_at, "
        "last_event_id = coalesce(excluded.last_event_id, last_event_id), "
        "last_event_at = coalesce(excluded.last_event_at, last_event_at)",
        {"cursor": cursor, "fingerprint": fingerprint, "event_id": last_event_id,
         "event_at": last_event_at, "now": at},
    )  # fmt: skip


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
