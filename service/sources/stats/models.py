"""Shape of the Chaturbate Stats API snapshot (GET /statsapi/?username=&token=)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
    token_balance: int
    tips_in_last_hour: int
    votes_up: int  # last 90 days
    votes_down: int
    satisfaction_score: float  # percent of up votes
    last_broadcast: Annotated[datetime | None, BeforeValidator(_last_broadcast)]  # None: never
    time_online: Annotated[int | None, BeforeValidator(_minus_one_to_none)]  # minutes; None: not live
    num_followers: int
    num_viewers: int
    num_registered_viewers: int
    num_tokened_viewers: int | None = None  # in the current docs, missing from older ones
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_live(self) -> bool:
        return self.time_online is not None
