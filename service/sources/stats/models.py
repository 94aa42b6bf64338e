"""Shape of the Chaturbate Stats API snapshot (GET /statsapi/?username=&token=)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.sources import bounds
from service.sources.http import to_utc


def _minus_one_to_none(value: object) -> object:
    # The API says "not live" / "never" with -1 rather than null.
    return None if value in (-1, "-1") else value


def _last_broadcast(value: object) -> object:
    value = _minus_one_to_none(value)
    if isinstance(value, str):
        # ISO text without an offset ("2026-01-02T21:14:05.123456"); the API states no zone.
        # Chaturbate's servers and its other APIs speak UTC, so naive values are taken as UTC.
        return to_utc(datetime.fromisoformat(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Not seen, but the field is typed str|int upstream: read other numbers as epoch seconds.
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError) as exc:
            raise ValueError(f"last_broadcast out of range: {value}") from exc
    return value


class StatsSnapshot(BaseModel):
    """Our own account's numbers. The upstream refreshes them every 5 minutes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    username: str
    # Out of range (bounds.py): a required figure rejects the snapshot, an optional one is None.
    token_balance: bounds.RequiredCount
    tips_in_last_hour: bounds.RequiredCount
    votes_up: bounds.RequiredCount  # last 90 days
    votes_down: bounds.RequiredCount
    satisfaction_score: float  # percent of up votes
    last_broadcast: Annotated[datetime | None, BeforeValidator(_last_broadcast)]  # None: never
    time_online: Annotated[bounds.Count, BeforeValidator(_minus_one_to_none)]  # minutes; None: not live
    num_followers: bounds.RequiredCount
    num_viewers: bounds.RequiredCount
    num_registered_viewers: bounds.RequiredCount
    num_tokened_viewers: bounds.Count = None  # in the current docs, missing from older ones
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_live(self) -> bool:
        return self.time_online is not None
