"""UTC time in the one text form the database stores: `YYYY-MM-DDTHH:MM:SS.mmmZ`.

Fixed width, so text order is time order and SQLite's own `strftime('%Y-%m-%dT%H:%M:%fZ')`
produces the same form.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def now_db() -> str:
    return to_db(utcnow())
