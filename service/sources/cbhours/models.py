"""Shapes of the CBHours API (www.cbhours.com/api.php?action=get_live|get_activity|get_months)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from service.sources import bounds

# CBHours spells genders out ("Female"); the rest of our data uses Chaturbate's letters.
_GENDER_CODES = {"female": "f", "male": "m", "trans": "t", "transgender": "t", "couple": "c"}


def gender_code(value: object) -> object:
    """Map "Female"/"Male"/"Trans"/"Couple" (or "f"/"m"...) to f/m/t/c; unknown text kept lower-case."""
    if isinstance(value, str):
        text = value.strip().lower()
        return _GENDER_CODES.get(text, text) or None
    return value


def _blank_to_none(value: object) -> object:
    # Detail numbers arrive as strings ("1911"); pydantic turns those into ints, but not "".
    return None if value == "" else value


def _php_empty_map(value: object) -> object:
    # PHP's json_encode writes an empty associative array as [], not {}.
    return {} if value == [] else value


def _room_status(value: object) -> object:
    # "Online"/"Offline" strings, never a boolean.
    if isinstance(value, str) and value.strip().lower() in ("online", "offline"):
        return value.strip().lower() == "online"
    raise ValueError(f"unknown room_status {value!r}")


# Blank means unknown; so does a value outside its plausible range (bounds.py).
Count = Annotated[bounds.Count, BeforeValidator(_blank_to_none)]
Rank = Annotated[bounds.Rank, BeforeValidator(_blank_to_none)]
Gender = Annotated[str | None, BeforeValidator(gender_code)]


class CBHoursLiveRoom(BaseModel):
    """One name from get_live. Offline entries carry only room_status, so the rest is optional."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    username: str
    online: Annotated[bool, BeforeValidator(_room_status), Field(alias="room_status")]
    gender: Gender = None
    rank: Rank = None
    grank: Rank = None  # rank within the gender
    viewers: Count = None
    followers: Count = None
    current_show: str | None = None
    room_subject: str | None = None
    tags: list[str] = Field(default_factory=list)
    is_new: bool | None = None


class LiveBody(BaseModel):
    """get_live envelope; note snake `server_status` here, camel `serverStatus` in get_activity."""

    server_status: str | None = None
    data: Annotated[dict[str, dict[str, Any]], BeforeValidator(_php_empty_map)] = Field(default_factory=dict)


@dataclass(frozen=True)
class CBHoursLive:
    """get_live result. `missing` are requested names CBHours did not return (likely untracked)."""

    server_up: bool
    rooms: dict[str, CBHoursLiveRoom]  # keyed by lower-case username
    missing: list[str]
    invalid: int


class ActivitySegment(BaseModel):
    """One 3-minute sample of a broadcast. Numbers arrive as strings; the time as naive local."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    timestamp: datetime  # UTC-aware after validation
    show: str = Field(alias="type")  # "public", "private", "group", "ticket"
    rank: Rank = None
    grank: Rank = None
    followers: Count = None
    viewers: Count = None
    gender: Gender = None

    @field_validator("timestamp", mode="after")
    @classmethod
    def _local_to_utc(cls, value: datetime, info: ValidationInfo) -> datetime:
        # Timestamps are naive wall-clock time in the requested `tzo` offset (minutes east of
        # GMT); the client passes it as validation context. tzo=0 makes them UTC already.
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        tzo = int((info.context or {}).get("tzo", 0))
        return value.replace(tzinfo=timezone(timedelta(minutes=tzo))).astimezone(UTC)

    @field_validator("show", mode="after")
    @classmethod
    def _strip_underscore(cls, value: str) -> str:
        # The wire says "_public", "_private", ...
        return value.lstrip("_")


class _TotalTime(BaseModel):
    hours: int = 0
    minutes: int = 0


class ActivityBody(BaseModel):
    """get_activity envelope. `activity` values are display strings; `total_time` is the number."""

    model: str
    status: bool
    server_status: bool | str | None = Field(default=None, alias="serverStatus")
    activity: Annotated[dict[date, str], BeforeValidator(_php_empty_map)] = Field(default_factory=dict)
    total_time: _TotalTime = Field(default_factory=_TotalTime)
    details: Annotated[dict[date, list[ActivitySegment]], BeforeValidator(_php_empty_map)] = Field(
        default_factory=dict
    )


@dataclass(frozen=True)
class CBHoursActivity:
    """Broadcast activity of one model over a date range (dates in the `tzo` zone)."""

    username: str
    start_date: date
    end_date: date
    tzo: int
    total_minutes: int
    days_online: list[date]
    segments: list[ActivitySegment]  # time order, timestamps in UTC


Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
