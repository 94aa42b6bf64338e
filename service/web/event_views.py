"""How room events are shown: labels, the anonymous-tip rule, and the Events page's filters.

Anonymous tips are stored with the real username; every page and the live feed show "anonymous"
instead, unless a user who may manage users asks for `?reveal=1` on that one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from service.errors import InvalidInput
from service.permissions import Permission
from service.store.room import METHODS, EventFilter, RoomEvent, parse_key
from service.web.handler_support import may
from service.web.query_params import day, whole_number
from service.web.render import localtime

LABELS = {
    "tip": "Tip", "chatMessage": "Chat", "privateMessage": "Private message", "follow": "Follow",
    "unfollow": "Unfollow", "fanclubJoin": "Fan club join", "userEnter": "Entered", "userLeave": "Left",
    "mediaPurchase": "Media purchase", "roomSubjectChange": "Subject", "broadcastStart": "Broadcast start",
    "broadcastStop": "Broadcast stop",
}  # fmt: skip
ANONYMOUS = "anonymous"
PAGE_SIZE = 50
# No tip is this large; the bound keeps the filter a 64-bit integer for SQLite.
MAX_TIP = 1_000_000_000


def can_reveal(request: web.Request) -> bool:
    return may(request, Permission.MANAGE_USERS)


def reveal_requested(request: web.Request) -> bool:
    """True only when asked for on this request and allowed; never sticky."""
    return request.query.get("reveal") == "1" and can_reveal(request)


def event_row(event: RoomEvent, *, reveal: bool) -> dict[str, Any]:
    """A display row; the real name of an anonymous tipper is not even handed to the template."""
    hidden = event.is_anon and not reveal
    username = None if hidden else event.username
    return {
        "id": event.id,
        "at": event.at,
        "at_local": localtime(event.at, "%Y-%m-%d %H:%M:%S"),
        "method": event.method,
        "label": LABELS.get(event.method, event.method),
        "username": username,
        "anonymous": event.is_anon,
        "shown_name": ANONYMOUS if hidden else (event.username or ""),
        "profile_url": f"/profile/{username}" if username else None,
        "tokens": event.tokens or None,
        "message": event.message or "",
    }


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at": row["at"].isoformat()}


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The Events page's filters as they appear in the URL."""

    type: str = ""
    username: str = ""
    min_tip: int | None = None
    since: date | None = None
    until: date | None = None

    def filter(self, person_id: int | None, *, reveal: bool) -> EventFilter:
        return EventFilter(
            method=self.type or None, person_id=person_id, min_tip=self.min_tip,
            since_ms=_local_midnight_ms(self.since), until_ms=_local_midnight_ms(self.until, days=1),
            hide_anonymous=bool(self.username) and not reveal,
        )  # fmt: skip

    def params(self) -> dict[str, str]:
        values = {"type": self.type, "username": self.username,
                  "min_tip": "" if self.min_tip is None else str(self.min_tip),
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}  # fmt: skip
        return {key: value for key, value in values.items() if value}

    def url(self, path: str, **extra: str) -> str:
        query = urlencode({**self.params(), **extra})
        return f"{path}?{query}" if query else path


def _local_midnight_ms(day: date | None, *, days: int = 0) -> int | None:
    # Dates in the form are the user's own calendar days; the machine's zone is the user's zone.
    if day is None:
        return None
    local = datetime.combine(day + timedelta(days=days), time()).astimezone()
    return int(local.astimezone(UTC).timestamp() * 1000)


def parse_query(query: Any) -> EventQuery:
    kind = query.get("type", "").strip()
    if kind and kind not in METHODS:
        raise InvalidInput(f"type: unknown event type {kind!r}")
    return EventQuery(
        type=kind, username=query.get("username", "").strip().lower()[:64],
        min_tip=whole_number(query.get("min_tip"), "min_tip", minimum=0, maximum=MAX_TIP),
        since=day(query.get("since"), "since"), until=day(query.get("until"), "until"),
    )  # fmt: skip


def parse_cursor(raw: str | None, name: str) -> tuple[int, int] | None:
    if not raw:
        return None
    key = parse_key(raw)
    if key is None:
        raise InvalidInput(f"{name}: not an event id")
    return key
