"""Alert rules evaluated inside the Events batch, from the committed ledger (same transaction, after
the fan ledger and presence took the batch).

Only the batch's fresh, stored events are looked at, so a replayed batch raises nothing; the trigger
key is the event id and alerts are unique per (rule, trigger), so a restart that re-reads a batch
raises nothing twice either. Per rule and person, a cooldown keeps a person who re-enters five times
in a minute to one alert (measured in event time, so a batch read late after a pause judges the gaps
as they happened). In a rule's quiet hours the alert is still stored, marked quiet (shown in the
panel, pushed nowhere). An anonymous tip alerts as "anonymous": never its name, person or profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from service.alert_rules import BigTip, FanEnters, FanReturns, Rule
from service.clock import from_db
from service.fan_tiers import FanRules, Tier
from service.store import alert_rules, alerts, fan_lists, fans, presence
from service.store.alerts import NewAlert
from service.store.db import Connection
from service.store.live_room import Ledger, ledgers
from service.store.room_events import IncomingEvent

# Which rule kinds an event of each method may raise.
_KINDS_BY_METHOD: dict[str, tuple[str, ...]] = {
    "userEnter": ("fan_enters", "fan_returns"),
    "tip": ("big_tip",),
    "follow": ("new_follower",),
    "fanclubJoin": ("fanclub_join",),
    "unfollow": ("unfollow",),
}
_DAY_SECONDS = 86_400


@dataclass
class _Facts:
    """What the rules read about the batch's people, each fetched once per batch."""

    conn: Connection
    fans: FanRules
    now: datetime
    ledger: dict[int, Ledger]
    tiers: dict[int, Tier]
    lists: dict[int, dict[int, str]]  # person → their relationship lists (id → name)
    smart: dict[str, set[int]]

    async def in_smart(self, key: str, person: int) -> bool:
        if key not in self.smart:
            self.smart[key] = await fans.members_of(
                self.conn, key, list(self.ledger), self.fans, now=self.now
            )
        return person in self.smart[key]


def profile_url(username: str) -> str:
    return f"/profile/{username}"


def _who(username: str, person: int, facts: _Facts) -> str:
    """ "whale_wendy (Diamond, 46,500 tokens lifetime)"; the name alone for someone who never spent."""
    ledger = facts.ledger.get(person)
    lifetime = ledger.lifetime if ledger else 0
    tier = facts.tiers.get(person)
    parts = ([tier.name] if tier else []) + ([f"{lifetime:,} tokens lifetime"] if lifetime else [])
    return f"{username} ({', '.join(parts)})" if parts else username


async def evaluate(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    *,
    broadcaster: str,
    fan_rules: FanRules,
) -> int:
    """Raise the alerts the enabled rules find in these stored, fresh events; returns how many."""
    triggering = [
        e for e in events if e.method in _KINDS_BY_METHOD and e.username and e.username != broadcaster
    ]
    if not triggering:
        return 0
    kinds = frozenset(kind for e in triggering for kind in _KINDS_BY_METHOD[e.method])
    rules = await alert_rules.enabled_rules(conn, kinds)
    if not rules:
        return 0
    facts = await _gather(conn, triggering, person_ids, rules, fan_rules)
    raised = 0
    for event in triggering:
        for rule in rules:
            if rule.kind in _KINDS_BY_METHOD[event.method]:
                raised += await _apply(conn, rule, event, person_ids, facts)
    return raised


async def _gather(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    rules: Sequence[Rule],
    fan_rules: FanRules,
) -> _Facts:
    people = sorted({person_ids[e.username] for e in events if e.username and not e.is_anon})
    now = from_db(events[-1].at)
    needs_people = any(r.kind in ("fan_enters", "fan_returns") for r in rules)
    ledger = await ledgers(conn, people) if needs_people else {}
    tiers = await fans.tiers_for(conn, fan_rules.tiers, people, now=now) if needs_people else {}
    lists: dict[int, dict[int, str]] = {}
    if any(isinstance(r.params, FanEnters) and r.params.list_ids for r in rules):
        marks = await fan_lists.marks_for(conn, people)
        lists = {p: {chip.id: chip.name for chip in m.lists} for p, m in marks.items()}
    return _Facts(conn, fan_rules, now, ledger, tiers, lists, {})


async def _apply(
    conn: Connection, rule: Rule, event: IncomingEvent, person_ids: Mapping[str, int], facts: _Facts
) -> int:
    assert event.username is not None
    person = None if event.is_anon else person_ids[event.username]
    alert = await _alert_for(conn, rule, event, person, facts)
    if alert is None:
        return 0
    at = from_db(event.at)
    if person is not None and rule.cooldown_seconds:
        last = await alerts.last_raised_for(conn, rule.id, person)
        if last is not None and (at - from_db(last)).total_seconds() < rule.cooldown_seconds:
            return 0
    quiet = rule.quiet is not None and rule.quiet.contains(at)
    stored = await alerts.raise_alert(
        conn,
        NewAlert(rule.id, rule.kind, event.id, alert[0], alert[1], alert[2], person, quiet=quiet),
        at=event.at,
    )
    return 0 if stored is None else 1


Text = tuple[str, str, str | None]  # title, body, url


async def _alert_for(
    conn: Connection, rule: Rule, event: IncomingEvent, person: int | None, facts: _Facts
) -> Text | None:
    """The alert this rule raises for this event, or None if it does not apply."""
    assert event.username is not None
    name = event.username
    params = rule.params
    if isinstance(params, BigTip):
        return _big_tip(params, event, person)
    if person is None:
        return None
    if isinstance(params, FanEnters):
        reasons = await _enter_reasons(params, person, facts)
        title = f"{_who(name, person, facts)} entered your room"
        body = "; ".join(reasons)
        return (title, body[:1].upper() + body[1:] + ".", profile_url(name)) if reasons else None
    if isinstance(params, FanReturns):
        return await _returns(conn, params, event, person, facts)
    plain = {
        "new_follower": (f"{name} followed you", ""),
        "fanclub_join": (f"{name} joined your fan club", ""),
        "unfollow": (f"{name} unfollowed you", "Confirmed by the Events API."),
    }
    title, body = plain[rule.kind]
    return title, body, profile_url(name)


def _big_tip(params: BigTip, event: IncomingEvent, person: int | None) -> Text | None:
    assert event.username is not None
    if event.tokens < params.min_tokens:
        return None
    if person is None:
        return f"anonymous tipped {event.tokens:,} tokens", "An anonymous tip.", None
    return (
        f"{event.username} tipped {event.tokens:,} tokens",
        event.message or "",
        profile_url(event.username),
    )


async def _enter_reasons(params: FanEnters, person: int, facts: _Facts) -> list[str]:
    reasons: list[str] = []
    tier = facts.tiers.get(person)
    if params.min_tier is not None:
        wanted = facts.fans.tiers.named(params.min_tier)
        if wanted is not None and tier is not None and tier.rank >= wanted.rank:
            reasons.append(f"tier {tier.name}")
    theirs = facts.lists.get(person, {})
    on = [theirs[i] for i in params.list_ids if i in theirs]
    if on:
        reasons.append("on " + ", ".join(on))
    for key in params.smart:
        if await facts.in_smart(key, person):
            reasons.append(f"in {fans_label(key)}")
    return reasons


def fans_label(key: str) -> str:
    return next((s.label for s in fans.LISTS if s.key == key), key)


async def _returns(
    conn: Connection, params: FanReturns, event: IncomingEvent, person: int, facts: _Facts
) -> Text | None:
    assert event.username is not None
    states = [
        key
        for key, wanted in (("lapsed", params.lapsed), ("drifting", params.drifting))
        if wanted and await facts.in_smart(key, person)
    ]
    if not states:
        return None
    ledger = facts.ledger.get(person)
    seen = await presence.previous_seen(conn, person, event.ms) or (ledger.last_tip_at if ledger else None)
    if seen is None:
        return None
    days = int((from_db(event.at) - from_db(seen)).total_seconds() // _DAY_SECONDS)
    if days < params.min_days_away:
        return None
    title = f"{_who(event.username, person, facts)} is back after {days} days"
    return title, f"A {' and '.join(states)} fan entered your room.", profile_url(event.username)
