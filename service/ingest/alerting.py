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
from dataclasses import dataclass, replace
from datetime import datetime

from service.alert_rules import BigTip, FanEnters, FanReturns, Rule, Unfollow
from service.clock import from_db
from service.fan_tiers import FanRules
from service.store import alert_rules, alerts, fans, presence, snapshots
from service.store.alerts import NewAlert
from service.store.db import Connection
from service.store.fans import PersonFacts
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
    """What the rules read about the batch's people who entered, fetched once per batch."""

    fans: FanRules
    people: dict[int, PersonFacts]

    def in_smart(self, key: str, person: int) -> bool:
        found = self.people.get(person)
        return found is not None and key in found.smart


def profile_url(username: str) -> str:
    return f"/profile/{username}"


def _who(username: str, person: int, facts: _Facts) -> str:
    """ "whale_wendy (Diamond, 46,500 tokens lifetime)"; the name alone for someone who never spent."""
    found = facts.people.get(person)
    lifetime = found.lifetime if found else 0
    tier = found.tier if found else None
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
    # The cooldown: against earlier batches in the store's insert, within this batch here (an alert
    # held back by an earlier batch's still holds back the rest of this batch: a rare, quieter edge).
    last: dict[tuple[int, int], datetime] = {}
    raised: list[tuple[NewAlert, str, int]] = []
    for event in triggering:
        assert event.username is not None
        person = None if event.is_anon else person_ids[event.username]
        at = from_db(event.at)
        for rule in rules:
            if rule.kind not in _KINDS_BY_METHOD[event.method]:
                continue
            before = last.get((rule.id, person)) if person is not None else None
            if before is not None and (at - before).total_seconds() < rule.cooldown_seconds:
                continue
            alert = await _alert_for(conn, rule, event, person, facts)
            if alert is None:
                continue
            quiet = rule.quiet is not None and rule.quiet.contains(at)
            new = NewAlert(rule.id, rule.kind, event.id, alert[0], alert[1], alert[2], person, quiet=quiet)
            raised.append((new, event.at, rule.cooldown_seconds))
            if person is not None:
                last[(rule.id, person)] = at
    return await alerts.raise_alerts(conn, raised)


def _smart_keys(rules: Sequence[Rule]) -> set[str]:
    keys: set[str] = set()
    for rule in rules:
        if isinstance(rule.params, FanEnters):
            keys.update(rule.params.smart)
        elif isinstance(rule.params, FanReturns):
            keys.update(
                k for k, on in (("lapsed", rule.params.lapsed), ("drifting", rule.params.drifting)) if on
            )
    return keys


async def _gather(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    rules: Sequence[Rule],
    fan_rules: FanRules,
) -> _Facts:
    """The ledger, tier, lists and smart lists of the people who entered (the only ones those rules
    read), in one query for the whole batch."""
    people = sorted(
        {person_ids[e.username] for e in events if e.method == "userEnter" and e.username and not e.is_anon}
    )
    if not people or not any(r.kind in ("fan_enters", "fan_returns") for r in rules):
        return _Facts(fan_rules, {})
    now = from_db(events[-1].at)
    found = await fans.person_facts(conn, people, fan_rules, _smart_keys(rules), now=now)
    return _Facts(fan_rules, found)


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
    found = facts.people.get(person)
    tier = found.tier if found else None
    if params.min_tier is not None:
        wanted = facts.fans.tiers.named(params.min_tier)
        if wanted is not None and tier is not None and tier.rank >= wanted.rank:
            reasons.append(f"tier {tier.name}")
    theirs = found.lists if found else {}
    on = [theirs[i] for i in params.list_ids if i in theirs]
    if on:
        reasons.append("on " + ", ".join(on))
    if reasons:
        return reasons  # the smart lists cost a query each: not asked when a tier or list matched
    for key in params.smart:
        if facts.in_smart(key, person):
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
        if wanted and facts.in_smart(key, person)
    ]
    if not states:
        return None
    found = facts.people.get(person)
    seen = await presence.previous_seen(conn, person, event.ms) or (found.last_tip_at if found else None)
    if seen is None:
        return None
    days = int((from_db(event.at) - from_db(seen)).total_seconds() // _DAY_SECONDS)
    if days < params.min_days_away:
        return None
    title = f"{_who(event.username, person, facts)} is back after {days} days"
    return title, f"A {' and '.join(states)} fan entered your room.", profile_url(event.username)


async def evaluate_snapshot(conn: Connection, snapshot_id: int, *, at: str) -> int:
    """The unfollow rules on what a followers list snapshot decided (after `follows.reconcile_snapshot`,
    in its transaction): a confirmed unfollow alerts every unfollow rule, a suspected one only those that
    include suspected ones. The trigger is the removal and its state, so a suspicion and its later
    confirmation are two alerts, and a repeated snapshot raises nothing again."""
    rules = await alert_rules.enabled_rules(conn, frozenset({"unfollow"}))
    if not rules:
        return 0
    found = await alert_rules.follower_removals(conn, snapshot_id, snapshots.snapshot_ref(snapshot_id))
    raised: list[tuple[NewAlert, str, int]] = []
    for removal in found:
        suspected = removal.state == "suspected"
        if suspected:
            title = f"{removal.username} may have unfollowed you"
            body = "Missing from one complete followers list; a second list or their profile will confirm it."
        else:
            title, body = (
                f"{removal.username} unfollowed you",
                "Confirmed by a second complete followers list.",
            )
        for rule in rules:
            if suspected and not (isinstance(rule.params, Unfollow) and rule.params.include_suspected):
                continue
            alert = NewAlert(rule.id, rule.kind, f"removal:{removal.id}:{removal.state}", title, body,
                             profile_url(removal.username), removal.person_id)  # fmt: skip
            quiet = rule.quiet is not None and rule.quiet.contains(from_db(at))
            raised.append((replace(alert, quiet=quiet), at, rule.cooldown_seconds))
    return await alerts.raise_alerts(conn, raised)
