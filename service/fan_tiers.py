"""The rules that rank fans: spend tiers and the thresholds of the smart lists. Pure, no I/O.

Every page that shows a name may show its tier, so the rules live below all layers. The Settings page
(group "Fans") stores them as short texts; `FanRules.parse` reads those texts and says in a sentence
what is wrong with one.

Text formats:
- tiers: ``Bronze 100, Silver 1000, Gold 5000, Diamond 25000`` — 1 to 8 entries ``<name> <lifetime
  tokens>``, thresholds strictly ascending, names unique (case-insensitive).
- recent rule (optional): ``Gold 1000 in 30 days`` — a person who spent at least 1,000 tokens in the
  last 30 days is at least Gold, whatever their lifetime total.
- regulars: ``3 of 5`` — attended at least 3 of the last 5 broadcasts.
- drifting share ``0.5``, regular missed ``3``, lapsed days ``30``, new days ``7``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_TIERS = 8
MAX_TIER_NAME = 20
MAX_TOKENS = 100_000_000
MAX_DAYS = 3650
MAX_BROADCASTS = 100

# Settings keys (the Settings page's "Fans" group) and their defaults.
TIERS_KEY = "fan_tiers"
RECENT_KEY = "fan_recent_tier"
REGULARS_KEY = "fan_regulars"
DRIFTING_SHARE_KEY = "fan_drifting_share"
REGULAR_MISSED_KEY = "fan_regular_missed"
LAPSED_DAYS_KEY = "fan_lapsed_days"
NEW_DAYS_KEY = "fan_new_days"
DEFAULTS: dict[str, str] = {
    TIERS_KEY: "Bronze 100, Silver 1000, Gold 5000, Diamond 25000",
    RECENT_KEY: "",
    REGULARS_KEY: "3 of 5",
    DRIFTING_SHARE_KEY: "0.5",
    REGULAR_MISSED_KEY: "3",
    LAPSED_DAYS_KEY: "30",
    NEW_DAYS_KEY: "7",
}

_TIER_NAME = re.compile(r"^[^\W_](?:[\w' +-]*[\w+])?$")
_TIER_ENTRY = re.compile(r"^(?P<name>.+?)\s+(?P<tokens>\d[\d_]*)$")
_RECENT = re.compile(r"^(?P<name>.+?)\s+(?P<tokens>\d[\d_]*)\s+in\s+(?P<days>\d+)\s+days?$", re.IGNORECASE)
_REGULARS = re.compile(r"^(?P<k>\d+)\s+of\s+(?P<n>\d+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Tier:
    """One spend tier: reached at `threshold` lifetime tokens. Rank 1 is the lowest tier."""

    rank: int
    name: str
    threshold: int


@dataclass(frozen=True, slots=True)
class RecentRule:
    """At least `tier` for whoever spent `tokens` or more in the last `days` days."""

    tier: Tier
    tokens: int
    days: int


@dataclass(frozen=True, slots=True)
class TierRules:
    tiers: tuple[Tier, ...]
    recent: RecentRule | None = None

    def tier_for(self, lifetime: int, recent_tokens: int = 0) -> Tier | None:
        """The highest tier whose threshold `lifetime` reaches, raised to the recent rule's tier when
        `recent_tokens` (spent in the rule's window) reaches its amount; None below every tier."""
        found: Tier | None = None
        for tier in self.tiers:
            if lifetime >= tier.threshold:
                found = tier
        recent = self.recent
        if (
            recent is not None
            and recent_tokens >= recent.tokens
            and (found is None or found.rank < recent.tier.rank)
        ):
            found = recent.tier
        return found

    def by_rank(self, rank: int) -> Tier | None:
        return self.tiers[rank - 1] if 1 <= rank <= len(self.tiers) else None

    def named(self, name: str) -> Tier | None:
        """The tier of this name (case-insensitive), or None."""
        wanted = name.strip().casefold()
        return next((t for t in self.tiers if t.name.casefold() == wanted), None)

    def describe(self) -> str:
        """The rules in one line, for the page: "Bronze ≥ 100 · Silver ≥ 1,000 · …"."""
        text = " · ".join(f"{t.name} ≥ {t.threshold:,}" for t in self.tiers)
        if self.recent is not None:
            r = self.recent
            text += f"; at least {r.tier.name} with ≥ {r.tokens:,} in the last {r.days} days"
        return text


@dataclass(frozen=True, slots=True)
class ListRules:
    """The thresholds of the smart lists (see store/fans.py for each list's definition)."""

    regulars_k: int = 3
    regulars_n: int = 5
    drifting_share: float = 0.5
    regular_missed: int = 3
    lapsed_days: int = 30
    new_days: int = 7


@dataclass(frozen=True, slots=True)
class FanRules:
    tiers: TierRules
    lists: ListRules

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> FanRules:
        """The rules from the settings texts (missing keys take their default); ValueError names the
        first problem in a sentence."""

        def get(key: str) -> str:
            return values.get(key, DEFAULTS[key])

        tiers = parse_tiers(get(TIERS_KEY))
        recent = parse_recent(get(RECENT_KEY), tiers)
        k, n = parse_regulars(get(REGULARS_KEY))
        lists = ListRules(
            regulars_k=k,
            regulars_n=n,
            drifting_share=parse_share(get(DRIFTING_SHARE_KEY)),
            regular_missed=parse_count(get(REGULAR_MISSED_KEY), "Regular missed", MAX_BROADCASTS),
            lapsed_days=parse_count(get(LAPSED_DAYS_KEY), "Lapsed days", MAX_DAYS),
            new_days=parse_count(get(NEW_DAYS_KEY), "New days", MAX_DAYS),
        )
        return cls(TierRules(tiers, recent), lists)


def _tokens(text: str, what: str) -> int:
    value = int(text.replace("_", ""))
    if not 1 <= value <= MAX_TOKENS:
        raise ValueError(f"{what} must be between 1 and {MAX_TOKENS:,} tokens")
    return value


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """``Name tokens, Name tokens, …`` → tiers, lowest first."""
    entries = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not e for e in entries):
        raise ValueError(
            "write the tiers as “Name tokens” separated by commas, e.g. “Bronze 100, Silver 1000”"
        )
    if len(entries) > MAX_TIERS:
        raise ValueError(f"at most {MAX_TIERS} tiers (found {len(entries)})")
    tiers: list[Tier] = []
    for entry in entries:
        match = _TIER_ENTRY.match(entry)
        if not match:
            raise ValueError(f"“{entry}” is not “Name tokens”, e.g. “Gold 5000”")
        name = " ".join(match["name"].split())
        if len(name) > MAX_TIER_NAME or not _TIER_NAME.match(name):
            raise ValueError(
                f"tier name “{name}” must be 1–{MAX_TIER_NAME} letters, digits, spaces, “-”, “'” or “+”"
            )
        threshold = _tokens(match["tokens"], f"the threshold of {name}")
        if any(t.name.casefold() == name.casefold() for t in tiers):
            raise ValueError(f"the tier name “{name}” is used twice")
        if tiers and threshold <= tiers[-1].threshold:
            raise ValueError(
                f"thresholds must rise: {name} ({threshold:,}) is not above {tiers[-1].name} "
                f"({tiers[-1].threshold:,})"
            )
        tiers.append(Tier(len(tiers) + 1, name, threshold))
    return tuple(tiers)


def _recent_parts(text: str) -> tuple[str, int, int] | None:
    """``Gold 1000 in 30 days`` → ("Gold", 1000, 30); empty → None; checks all but the tier name."""
    text = " ".join(text.split())
    if not text:
        return None
    match = _RECENT.match(text)
    if not match:
        raise ValueError("write the recent rule as “Tier tokens in N days”, e.g. “Gold 1000 in 30 days”")
    days = int(match["days"])
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"the recent rule's days must be between 1 and {MAX_DAYS}")
    return match["name"], _tokens(match["tokens"], "the recent rule's amount"), days


def parse_recent(text: str, tiers: tuple[Tier, ...]) -> RecentRule | None:
    """``Gold 1000 in 30 days`` → the rule (its tier must be one of `tiers`); empty → no rule."""
    parts = _recent_parts(text)
    if parts is None:
        return None
    name, tokens, days = parts
    tier = next((t for t in tiers if t.name.casefold() == name.casefold()), None)
    if tier is None:
        names = ", ".join(t.name for t in tiers)
        raise ValueError(f"the recent rule names “{name}”, which is not a tier ({names})")
    return RecentRule(tier, tokens, days)


def parse_regulars(text: str) -> tuple[int, int]:
    """``k of n`` → (k, n) with 1 ≤ k ≤ n ≤ 100."""
    match = _REGULARS.match(" ".join(text.split()))
    if not match:
        raise ValueError("write regulars as “k of n”, e.g. “3 of 5” (attended 3 of the last 5 broadcasts)")
    k, n = int(match["k"]), int(match["n"])
    if not 1 <= k <= n <= MAX_BROADCASTS:
        raise ValueError(f"regulars “k of n” needs 1 ≤ k ≤ n ≤ {MAX_BROADCASTS}")
    return k, n


def parse_share(text: str) -> float:
    """A share between 0 and 1 exclusive, e.g. ``0.5`` or ``50%``."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError("the drifting share must be a number between 0 and 1, e.g. 0.5") from None
    if not 0 < value < 1:
        raise ValueError("the drifting share must be above 0 and below 1, e.g. 0.5")
    return value


def parse_count(text: str, what: str, highest: int) -> int:
    raw = text.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise ValueError(f"{what} must be a whole number from 1 to {highest}")
    return int(raw)


def normalise(key: str, text: str) -> str:
    """The text to store for one Fans setting, or ValueError. Whether the recent rule names one of
    the tiers depends on both settings: `FanRules.parse` of all the values checks that."""
    if key == TIERS_KEY:
        return ", ".join(f"{t.name} {t.threshold}" for t in parse_tiers(text))
    if key == RECENT_KEY:
        parts = _recent_parts(text)
        return "" if parts is None else f"{parts[0]} {parts[1]} in {parts[2]} days"
    if key == REGULARS_KEY:
        k, n = parse_regulars(text)
        return f"{k} of {n}"
    if key == DRIFTING_SHARE_KEY:
        return f"{parse_share(text):g}"
    counts = {
        REGULAR_MISSED_KEY: ("Regular missed", MAX_BROADCASTS),
        LAPSED_DAYS_KEY: ("Lapsed days", MAX_DAYS),
        NEW_DAYS_KEY: ("New days", MAX_DAYS),
    }
    if key in counts:
        return str(parse_count(text, *counts[key]))
    raise KeyError(key)


DEFAULT_RULES = FanRules.parse(DEFAULTS)
