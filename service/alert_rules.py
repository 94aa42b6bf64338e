"""Alert rules: what each kind of rule takes, its quiet hours and cooldown, and what it does in words.
Pure, no I/O (the store keeps rules in `alert_rules`, ingest evaluates them in service/ingest/alerting.py).

Kinds and their parameters (`params`, JSON in the table, one model per kind):
- fan_enters: someone enters the room who is of tier ≥ `min_tier`, or on one of the relationship lists
  `list_ids`, or in one of the smart lists `smart` (any one of them is enough; at least one is set);
- fan_returns: a `lapsed` and/or `drifting` fan enters after at least `min_days_away` days away;
- big_tip: a tip of at least `min_tokens` (an anonymous tip alerts as "anonymous");
- new_follower, fanclub_join, summary_ready: no parameters;
- unfollow: an unfollow; `include_suspected` also alerts when one complete list misses a follower;
- source_failing: one of `sources` (none = every source; "events" is the Events stream) has failed, or
  the Events stream completed no poll, for `minutes` (evaluated by service/jobs/alert_watch.py);
- extension_silent: the extension has not reported for `days` days.
Every rule has a cooldown per person (no second alert about the same person within it) and optional
quiet hours: minutes after local midnight in a time zone; a start after the end spans midnight. An
alert raised in quiet hours is kept for the notification centre and pushed nowhere.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal[
    "fan_enters", "fan_returns", "big_tip", "new_follower", "fanclub_join", "unfollow", "summary_ready",
    "source_failing", "extension_silent",
]  # fmt: skip
KINDS: tuple[Kind, ...] = get_args(Kind)
KIND_LABELS: dict[str, str] = {
    "fan_enters": "A fan enters the room",
    "fan_returns": "A lapsed or drifting fan returns",
    "big_tip": "A big tip",
    "new_follower": "A new follower",
    "fanclub_join": "A fan-club join",
    "unfollow": "An unfollow",
    "summary_ready": "The broadcast summary is ready",
    "source_failing": "A source or the Events stream fails",
    "extension_silent": "The extension stops reporting",
}
# The kinds raised from the Events ingest path (service/ingest/alerting.py).
EVENT_KINDS: frozenset[str] = frozenset(
    {"fan_enters", "fan_returns", "big_tip", "new_follower", "fanclub_join", "unfollow"}
)
# The Fans smart lists (store/fans.py LIST_KEYS; a test keeps the two equal).
SmartKey = Literal[
    "top", "top30", "new", "regulars", "drifting", "lapsed", "followers_never_tipped",
    "tippers_not_following",
]  # fmt: skip
SMART_LABELS: dict[str, str] = {
    "top": "Top fans", "top30": "Top fans, 30 days", "new": "New", "regulars": "Regulars",
    "drifting": "Drifting", "lapsed": "Lapsed", "followers_never_tipped": "Followers who never tipped",
    "tippers_not_following": "Tippers who don't follow",
}  # fmt: skip
SOURCES = ("events", "affiliate", "stats", "cbhours", "statbate")
MAX_TOKENS = 100_000_000
MAX_COOLDOWN = 604_800  # a week, as the table allows
MAX_NAME = 100
DEFAULT_TZ = "UTC"

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class FanEnters(BaseModel):
    model_config = _STRICT
    min_tier: str | None = Field(default=None, min_length=1, max_length=20)
    list_ids: tuple[int, ...] = Field(default=(), max_length=50)
    smart: tuple[SmartKey, ...] = Field(default=(), max_length=8)

    @model_validator(mode="after")
    def _something(self) -> FanEnters:
        if self.min_tier is None and not self.list_ids and not self.smart:
            raise ValueError("choose a tier, a list or a smart list: whom should this rule announce?")
        return self


class FanReturns(BaseModel):
    model_config = _STRICT
    lapsed: bool = True
    drifting: bool = False
    min_days_away: int = Field(default=14, ge=1, le=3650)

    @model_validator(mode="after")
    def _something(self) -> FanReturns:
        if not (self.lapsed or self.drifting):
            raise ValueError("choose lapsed, drifting or both")
        return self


class BigTip(BaseModel):
    model_config = _STRICT
    min_tokens: int = Field(ge=1, le=MAX_TOKENS)


class NoParams(BaseModel):
    model_config = _STRICT


class Unfollow(BaseModel):
    model_config = _STRICT
    include_suspected: bool = False


class SourceFailing(BaseModel):
    model_config = _STRICT
    sources: tuple[Literal["events", "affiliate", "stats", "cbhours", "statbate"], ...] = ()
    minutes: int = Field(default=15, ge=1, le=1440)


class ExtensionSilent(BaseModel):
    model_config = _STRICT
    days: int = Field(default=3, ge=1, le=365)


Params = FanEnters | FanReturns | BigTip | NoParams | Unfollow | SourceFailing | ExtensionSilent
_PARAM_TYPES = (FanEnters, FanReturns, BigTip, NoParams, Unfollow, SourceFailing, ExtensionSilent)
PARAMS: dict[str, type[BaseModel]] = {
    "fan_enters": FanEnters, "fan_returns": FanReturns, "big_tip": BigTip, "new_follower": NoParams,
    "fanclub_join": NoParams, "unfollow": Unfollow, "summary_ready": NoParams,
    "source_failing": SourceFailing, "extension_silent": ExtensionSilent,
}  # fmt: skip


def parse_params(kind: str, data: Mapping[str, Any]) -> Params:
    """The params of a rule of this kind (pydantic.ValidationError names what is wrong)."""
    model = PARAMS[kind]
    parsed = model.model_validate(dict(data))
    assert isinstance(parsed, _PARAM_TYPES)
    return parsed


def params_from_json(kind: str, text: str) -> Params:
    """The params of a stored rule (JSON, strict; pydantic.ValidationError if they do not read)."""
    parsed = PARAMS[kind].model_validate_json(text)
    assert isinstance(parsed, _PARAM_TYPES)
    return parsed


def valid_tz(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class QuietHours:
    start_minute: int  # after local midnight
    end_minute: int
    tz: str = DEFAULT_TZ

    def contains(self, moment: datetime) -> bool:
        """Whether this aware moment falls in the quiet hours (start inclusive, end exclusive)."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.tz))
        minute = local.hour * 60 + local.minute
        if self.start_minute <= self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute

    def describe(self) -> str:
        return f"quiet {_clock(self.start_minute)}–{_clock(self.end_minute)} ({self.tz})"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_clock(text: str) -> int:
    """``HH:MM`` → minutes after midnight (ValueError in a sentence)."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"“{text}” is not a time of day like 23:30")
    value = int(hours) * 60 + int(minutes)
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"“{text}” is not a time of day like 23:30")
    return value


def format_clock(minute: int | None) -> str:
    return "" if minute is None else _clock(minute)


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    kind: Kind
    name: str
    params: Params
    cooldown_seconds: int
    quiet: QuietHours | None
    enabled: bool
    created_at: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _names(ids: tuple[int, ...], names: Mapping[int, str]) -> str:
    return ", ".join(f"“{names.get(i, f'list {i} (deleted)')}”" for i in ids)


def _either(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _fan_enters(p: FanEnters, list_names: Mapping[int, str]) -> str:
    who: list[str] = []
    if p.min_tier:
        who.append(f"of tier {p.min_tier} or higher")
    if p.list_ids:
        who.append(f"on {_names(p.list_ids, list_names)}")
    if p.smart:
        who.append("in " + ", ".join(f"“{SMART_LABELS[s]}”" for s in p.smart))
    return f"Someone {_either(who)} enters the room."


_PLAIN = {
    "new_follower": "Someone follows you.",
    "fanclub_join": "Someone joins your fan club.",
    "summary_ready": "A broadcast has ended and its summary is ready.",
}


def _what(rule: Rule, list_names: Mapping[int, str]) -> str:
    p = rule.params
    text = _PLAIN.get(rule.kind, "")
    if isinstance(p, FanEnters):
        text = _fan_enters(p, list_names)
    elif isinstance(p, FanReturns):
        kinds = " or ".join(k for k, on in (("lapsed", p.lapsed), ("drifting", p.drifting)) if on)
        text = f"A {kinds} fan enters after {p.min_days_away} days or more away."
    elif isinstance(p, BigTip):
        text = f"A tip of {p.min_tokens:,} tokens or more (anonymous tips alert as “anonymous”)."
    elif isinstance(p, Unfollow):
        extra = ", and when one complete list misses a follower (suspected)" if p.include_suspected else ""
        text = f"A confirmed unfollow{extra}."
    elif isinstance(p, SourceFailing):
        which = ", ".join(p.sources) if p.sources else "any source"
        text = (
            f"{which[0].upper()}{which[1:]} failing, or the Events stream stalled, for {p.minutes} minutes."
        )
    elif isinstance(p, ExtensionSilent):
        text = f"The extension has not reported for {p.days} days."
    return text


def describe(rule: Rule, list_names: Mapping[int, str] | None = None) -> str:
    """What the rule does, in one or two sentences for the Admin › Alerts list."""
    text = _what(rule, list_names or {})
    extras = []
    if rule.cooldown_seconds:
        extras.append(f"at most once per person every {_duration(rule.cooldown_seconds)}")
    if rule.quiet is not None:
        extras.append(rule.quiet.describe())
    return f"{text.removesuffix('.')} ({'; '.join(extras)})." if extras else text


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        n, unit = seconds // 86400, "day"
    elif seconds % 3600 == 0:
        n, unit = seconds // 3600, "hour"
    elif seconds % 60 == 0:
        n, unit = seconds // 60, "minute"
    else:
        n, unit = seconds, "second"
    return unit if n == 1 else f"{n} {unit}s"
