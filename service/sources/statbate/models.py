"""Shapes of the Statbate Plus API (plus.statbate.com/api), as in its OpenAPI 1.0.0 spec.

Bodies are `{"data": ..., "meta": {...}}`. `did` (member id) and `rid` (room id) overflow
int32: Python ints are unbounded, the store must use 64-bit columns. Gender ints mean different
things per endpoint, so they are kept raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.sources import bounds
from service.sources.http import to_utc

T = TypeVar("T")

# We always ask for timezone=UTC; a value without an offset is therefore UTC.
UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DayTokens(_Model):
    date: date
    tokens: bounds.Count


class StatbateMemberInfo(_Model):
    """A tipper's profile. In batch answers an unknown name has `did` None and `error` set."""

    name: str
    did: bounds.Id64 = None
    first_message_date: UtcDatetime | None = None
    first_tip_date: UtcDatetime | None = None
    last_tip_date: UtcDatetime | None = None
    last_tip_amount: bounds.Count = None
    models_messaged_2weeks: bounds.Count = None
    models_messaged_2weeks_list: list[str] = Field(default_factory=list)
    models_tipped_2weeks: bounds.Count = None
    models_tipped_2weeks_list: list[str] = Field(default_factory=list)
    per_day_tokens: list[DayTokens] = Field(default_factory=list)
    all_time_tokens: bounds.Count = None
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.did is not None and self.error is None


class StatbateMemberTip(_Model):
    """One tip by a member. Statbate carries no tip message."""

    time: UtcDatetime
    model: str
    # Required, but None when out of range: the job skips (and counts) such a tip, keeping the rest.
    rid: bounds.Id64
    tokens: bounds.Count
    usd: float


class ModelSessions(_Model):
    count: bounds.Count = None
    total_duration: bounds.Count = None  # units undocumented (assumed minutes)
    average_duration: bounds.Count = None


class ModelIncome(_Model):
    tokens: bounds.Count = None
    usd: float | None = None


class ModelTag(_Model):
    name: str
    category: str | None = None


class StatbateModelInfo(_Model):
    name: str
    rid: bounds.Id64 = None
    gender: bounds.Int64 = None  # raw: the enums differ per endpoint
    rank: bounds.Rank = None
    sessions: ModelSessions | None = None
    income: ModelIncome | None = None
    tags: list[ModelTag] = Field(default_factory=list)


class RankSummary(_Model):
    first_rank: bounds.Rank = None
    last_rank: bounds.Rank = None
    best_rank: bounds.Rank = None
    worst_rank: bounds.Rank = None
    rank_change: bounds.Delta = None
    rank_change_percent: float | None = None
    trend: str | None = None  # improving | declining | stable
    total_tokens: bounds.Count = None
    total_usd: float | None = None


class RankPoint(_Model):
    date: date
    rank: bounds.Rank = None
    tokens: bounds.Count = None


class StatbateModelRank(_Model):
    name: str
    rid: bounds.Id64 = None
    gender: bounds.Int64 = None
    summary: RankSummary | None = None
    ranks: list[RankPoint] = Field(default_factory=list)


class Pagination(_Model):
    total: int = 0
    per_page: int = 0
    current_page: int = 1
    last_page: int = 1
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    site: str | None = None
    timezone: str | None = None
    found: int | None = None
    requested: int | None = None
    pagination: Pagination | None = None


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: Meta = Field(default_factory=Meta)


@dataclass(frozen=True)
class StatbateBatch:
    """Answer of POST /members/{site}/info/batch: one item per requested name, found or not."""

    members: list[StatbateMemberInfo]
    found: int
    requested: int

    def known(self) -> list[StatbateMemberInfo]:
        return [m for m in self.members if m.found]
