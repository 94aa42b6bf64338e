"""The alert outbox: deliveries due to be sent, and what became of each attempt.

A delivery is stored with its alert (service/store/alerts.py) before any attempt. The delivery job
reads the due ones, sends each, and records the outcome in its own short transaction right after
the attempt: `mark_sent` is final (a sent delivery is never due again), a failure counts the attempt
and sets the next one, `mark_gave_up` ends it with the reason.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """One pending delivery with what sending it needs: the alert and the destination's id."""

    id: int
    alert_id: int
    destination_id: int
    attempts: int
    created_at: datetime
    kind: str
    title: str
    body: str
    url: str | None
    raised_at: str
    person: str | None  # the person's username, if the alert is about one
    last_error: str | None

    @property
    def idempotency_key(self) -> str:
        """Stable across attempts and restarts: the receiver drops a repeat it has already seen."""
        return f"mhc-alert-{self.alert_id}-destination-{self.destination_id}"


async def due(conn: Connection, *, now: str, limit: int = 200) -> list[DueDelivery]:
    """Pending deliveries whose time has come, to enabled destinations, oldest alert first."""
    rows = await conn.execute_fetchall(
        "SELECT d.id, d.alert_id, d.destination_id, d.attempts, d.created_at, a.kind, a.title, a.body, "
        "a.url, a.raised_at, p.username, d.last_error FROM alert_deliveries d "
        "JOIN alerts a ON a.id = d.alert_id "
        "JOIN alert_destinations t ON t.id = d.destination_id AND t.enabled "
        "LEFT JOIN persons p ON p.id = a.person_id "
        "WHERE d.state = 'pending' AND d.next_attempt_at <= :now "
        "ORDER BY d.destination_id, d.alert_id LIMIT :limit",
        {"now": now, "limit": limit},
    )
    return [_due(row) for row in rows]


def _due(row: sqlite3.Row) -> DueDelivery:
    return DueDelivery(
        id=row[0], alert_id=row[1], destination_id=row[2], attempts=row[3], created_at=from_db(row[4]),
        kind=row[5], title=row[6], body=row[7], url=row[8], raised_at=row[9], person=row[10],
        last_error=row[11],
    )  # fmt: skip


async def next_due_at(conn: Connection) -> datetime | None:
    """When the next pending delivery to an enabled destination is due."""
    rows = await conn.execute_fetchall(
        "SELECT min(d.next_attempt_at) FROM alert_deliveries d "
        "JOIN alert_destinations t ON t.id = d.destination_id AND t.enabled WHERE d.state = 'pending'"
    )
    value = next(iter(rows))[0]
    return from_db(value) if value else None


async def mark_sent(conn: Connection, delivery_id: int, *, at: str) -> None:
    await conn.execute(
        "UPDATE alert_deliveries SET state = 'sent', attempts = attempts + 1, sent_at = :at, "
        "last_attempt_at = :at WHERE id = :id AND state = 'pending'",
        {"id": delivery_id, "at": at},
    )


async def mark_failed(
    conn: Connection, delivery_id: int, *, error: str, next_attempt_at: str, at: str
) -> None:
    """Count a failed attempt; the next one is due at `next_attempt_at`."""
    await conn.execute(
        "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = :error, "
        "next_attempt_at = :next, last_attempt_at = :at WHERE id = :id AND state = 'pending'",
        {"id": delivery_id, "error": error, "next": next_attempt_at, "at": at},
    )


async def postpone(conn: Connection, destination_id: int, *, until: str, now: str) -> int:
    """The destination just failed: its other due deliveries wait for its next attempt too, instead
    of each meeting the same failure now (they are not attempts; their counts stay)."""
    cursor = await conn.execute(
        "UPDATE alert_deliveries SET next_attempt_at = :until WHERE destination_id = :destination "
        "AND state = 'pending' AND next_attempt_at < :until AND next_attempt_at <= :now",
        {"destination": destination_id, "until": until, "now": now},
    )
    return cursor.rowcount


async def mark_gave_up(conn: Connection, delivery_id: int, *, reason: str, at: str, attempted: bool) -> None:
    """End a delivery unsent, with the reason shown on Admin › Alert destinations."""
    await conn.execute(
        "UPDATE alert_deliveries SET state = 'gave_up', attempts = attempts + :attempted, "
        "last_error = :reason, last_attempt_at = :at WHERE id = :id AND state = 'pending'",
        {"id": delivery_id, "reason": reason, "at": at, "attempted": int(attempted)},
    )


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A delivery as stored (for tests and the CLI)."""

    alert_id: int
    destination_id: int
    state: str
    attempts: int
    last_error: str | None


async def list_deliveries(conn: Connection) -> list[DeliveryRow]:
    rows = await conn.execute_fetchall(
        "SELECT alert_id, destination_id, state, attempts, last_error FROM alert_deliveries ORDER BY id"
    )
    return [DeliveryRow(row[0], row[1], row[2], row[3], row[4]) for row in rows]
