"""Alert destinations: where alerts go besides the panel and the extension (webhooks, e-mail).

The target (a webhook URL, or an e-mail address) and the signing secret are stored as given; only
the delivery job and the "send test" button read them. Pages get `Destination`, whose `shown_target`
names the host of a URL and never the URL itself.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from service.clock import from_db
from service.store.alerts import kinds_json
from service.store.db import Connection

KINDS = ("webhook", "discord", "ntfy", "email")


@dataclass(frozen=True, slots=True)
class Destination:
    id: int
    kind: str
    name: str
    target: str  # a URL (secret) or, for e-mail, the recipient address
    signing_secret: str | None
    kinds: tuple[str, ...]  # alert kinds it takes; empty = every kind
    enabled: bool
    created_at: datetime

    @property
    def shown_target(self) -> str:
        """What a page may show of the target: the URL's host, or the e-mail address."""
        if self.kind == "email":
            return self.target
        return urlsplit(self.target).hostname or "?"

    def secrets(self) -> list[str]:
        """What logs and stored errors must never show: the URL (and its path, where webhook
        services keep their token), the signing secret."""
        if self.kind == "email":
            return [self.signing_secret] if self.signing_secret else []
        parts = urlsplit(self.target)
        values = [self.target, parts.path + (f"?{parts.query}" if parts.query else "")]
        if parts.path.strip("/"):
            values.append(parts.path.strip("/"))
        if self.signing_secret:
            values.append(self.signing_secret)
        return [value for value in values if value and value != "/"]


@dataclass(frozen=True, slots=True)
class DestinationHealth:
    """How a destination's deliveries stand, for Admin › Alert destinations."""

    pending: int
    gave_up: int
    sent: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def _destination(row: sqlite3.Row) -> Destination:
    return Destination(
        id=row["id"], kind=row["kind"], name=row["name"], target=row["target"],
        signing_secret=row["signing_secret"], kinds=tuple(json.loads(row["kinds"])),
        enabled=bool(row["enabled"]), created_at=from_db(row["created_at"]),
    )  # fmt: skip


async def list_destinations(conn: Connection) -> list[Destination]:
    rows = await conn.execute_fetchall("SELECT * FROM alert_destinations ORDER BY name COLLATE NOCASE, id")
    return [_destination(row) for row in rows]


async def get_destination(conn: Connection, destination_id: int) -> Destination | None:
    rows = await conn.execute_fetchall(
        "SELECT * FROM alert_destinations WHERE id = :id", {"id": destination_id}
    )
    return next((_destination(row) for row in rows), None)


async def insert_destination(
    conn: Connection,
    *,
    kind: str,
    name: str,
    target: str,
    signing_secret: str | None,
    kinds: list[str],
    enabled: bool,
    at: str,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO alert_destinations (kind, name, target, signing_secret, kinds, enabled, created_at) "
        "VALUES (:kind, :name, :target, :secret, :kinds, :enabled, :at)",
        {"kind": kind, "name": name, "target": target, "secret": signing_secret,
         "kinds": kinds_json(kinds), "enabled": int(enabled), "at": at},
    )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update_destination(
    conn: Connection,
    destination_id: int,
    *,
    name: str,
    target: str,
    signing_secret: str | None,
    kinds: list[str],
    enabled: bool,
) -> bool:
    """Change a destination (its kind stays); False if it does not exist."""
    cursor = await conn.execute(
        "UPDATE alert_destinations SET name = :name, target = :target, signing_secret = :secret, "
        "kinds = :kinds, enabled = :enabled WHERE id = :id",
        {"id": destination_id, "name": name, "target": target, "secret": signing_secret,
         "kinds": kinds_json(kinds), "enabled": int(enabled)},
    )  # fmt: skip
    return cursor.rowcount == 1


async def delete_destination(conn: Connection, destination_id: int) -> bool:
    """Remove a destination with its deliveries (pending ones are dropped)."""
    cursor = await conn.execute("DELETE FROM alert_destinations WHERE id = :id", {"id": destination_id})
    return cursor.rowcount == 1


async def all_secrets(conn: Connection) -> list[str]:
    """Every destination's secrets, for the log masker."""
    return [value for destination in await list_destinations(conn) for value in destination.secrets()]


def _when(value: str | None) -> datetime | None:
    return from_db(value) if value else None


async def health(conn: Connection) -> dict[int, DestinationHealth]:
    """Per destination: pending, given-up and sent counts, the last success and the last error."""
    counts = await conn.execute_fetchall(
        "SELECT destination_id, sum(state = 'pending') AS pending, sum(state = 'gave_up') AS gave_up, "
        "sum(state = 'sent') AS sent, max(sent_at) AS last_success FROM alert_deliveries "
        "GROUP BY destination_id"
    )
    errors = await conn.execute_fetchall(
        "SELECT destination_id, last_error, last_attempt_at FROM ("
        "  SELECT destination_id, last_error, last_attempt_at, row_number() OVER ("
        "    PARTITION BY destination_id ORDER BY last_attempt_at DESC, id DESC) AS n"
        "  FROM alert_deliveries WHERE last_error IS NOT NULL) WHERE n = 1"
    )
    last_error = {row["destination_id"]: (row["last_error"], row["last_attempt_at"]) for row in errors}
    result: dict[int, DestinationHealth] = {}
    for row in counts:
        error, error_at = last_error.get(row["destination_id"], (None, None))
        result[row["destination_id"]] = DestinationHealth(
            pending=row["pending"], gave_up=row["gave_up"], sent=row["sent"],
            last_success_at=_when(row["last_success"]), last_error=error, last_error_at=_when(error_at),
        )  # fmt: skip
    return result


@dataclass(frozen=True, slots=True)
class GivenUp:
    """A delivery that was given up, with its reason."""

    destination_id: int
    alert_id: int
    title: str
    raised_at: datetime
    attempts: int
    reason: str
    at: datetime | None


async def recent_given_up(conn: Connection, *, limit: int = 20) -> list[GivenUp]:
    rows = await conn.execute_fetchall(
        "SELECT d.destination_id, d.alert_id, a.title, a.raised_at, d.attempts, d.last_error, "
        "d.last_attempt_at FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE d.state = 'gave_up' ORDER BY d.last_attempt_at DESC, d.id DESC LIMIT :limit",
        {"limit": limit},
    )
    return [_given_up(row) for row in rows]


def _given_up(row: sqlite3.Row) -> GivenUp:
    return GivenUp(
        destination_id=row["destination_id"], alert_id=row["alert_id"], title=row["title"],
        raised_at=from_db(row["raised_at"]), attempts=row["attempts"], reason=row["last_error"] or "",
        at=_when(row["last_attempt_at"]),
    )  # fmt: skip
