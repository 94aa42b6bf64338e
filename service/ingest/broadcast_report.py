"""The written summary of a closed broadcast, from stored data only: deterministic, no AI.

`build` reads the facts (store/broadcast_facts.py) and writes the sentences (ingest/report_text.py
parts); `regenerate` stores the report with a fingerprint of its facts and says whether its "summary
ready" alert is due (the first report of a broadcast that ended after the upgrade); the job layer
raises it for each enabled alert rule of that kind (jobs/broadcast_reports.py).
Rules where the issue leaves room:
- tokens are compared with the ten broadcasts before (as the broadcasts list does) and with the last
  ten started on the same weekday, in UTC (the panel has no time zone of its own);
- the best hour is the UTC clock hour with the most tokens (tips and media);
- fans are the people the ledger counts as attending (never an anonymous tip's sender); new = first
  seen in the room during the broadcast; lapsed-returning = seen before, but with no attendance and
  no spending in the `lapsed days` (Settings › Fans) before the broadcast started;
- unfollows: Events API unfollows are confirmed; followers a complete list snapshot found missing
  during the broadcast are listed as suspected or confirmed, as the snapshot rules left them;
- unusual: a biggest tip above every tip of the 90 days before; more followers lost than gained.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service.clock import from_db, to_db
from service.fan_tiers import FanRules
from service.ingest import report_text as rt
from service.ingest.report_text import Sentence
from service.store import broadcast_facts, broadcast_reports, broadcasts, fans
from service.store.alerts import NewAlert
from service.store.broadcast_facts import FollowChange
from service.store.db import Connection

UNUSUAL_TIP_DAYS = 90
TOP_TIPPERS = 3
FOLLOW_TITLES = {"gained": "New followers", "unfollowed": "Unfollowed", "fanclub": "Fan-club joins"}
WEEKDAYS = ("Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays")


@dataclass(frozen=True, slots=True)
class Report:
    facts: dict[str, Any]
    sentences: list[Sentence]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.facts, sort_keys=True).encode()).hexdigest()[:32]


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


async def _facts(
    conn: Connection, broadcast_id: int, rules: FanRules, now: datetime
) -> dict[str, Any] | None:
    b = await broadcasts.get_broadcast(conn, broadcast_id)
    if b is None or b.ended_at is None:
        return None
    start, end = to_db(b.started_at), to_db(b.ended_at)
    lapsed_since = b.started_at - timedelta(days=rules.lists.lapsed_days)
    weekday = await broadcast_facts.weekday_average(conn, start)
    tippers = await broadcast_facts.tippers(conn, broadcast_id, limit=TOP_TIPPERS + 1)
    tiers = await fans.tiers_for(conn, rules.tiers, [t.person_id for t in tippers if t.person_id], now=now)
    people = await broadcast_facts.attendees(
        conn, broadcast_id, start=start, lapsed_since=to_db(lapsed_since),
        lapsed_since_day=to_db(lapsed_since)[:10], start_day=start[:10],
    )  # fmt: skip
    changes = await broadcast_facts.follow_events(conn, broadcast_id)
    removals = await broadcast_facts.follower_removals(conn, since=start, until=end)
    biggest_before, compared = await broadcast_facts.biggest_tip_before(
        conn, since=to_db(b.started_at - timedelta(days=UNUSUAL_TIP_DAYS)), until=start
    )
    biggest = await broadcast_facts.biggest_tip(conn, broadcast_id)
    hour = await broadcast_facts.best_hour(conn, broadcast_id)
    return {
        "broadcast_id": b.id, "started_at": start, "ended_at": end,
        "duration_seconds": int(b.figures["duration_seconds"] or 0), "tokens": int(b.figures["tokens"] or 0),
        "average_10": b.averages["tokens"],
        "weekday": {"name": WEEKDAYS[int(b.started_at.strftime("%w"))], "average": weekday.value,
                    "broadcasts": weekday.count},
        "best_hour": {"at": hour[0], "tokens": hour[1]} if hour else None,
        "top_tippers": [{"username": t.username, "tokens": t.tokens, "tips": t.tips,
                         "tier": tiers[t.person_id].name if t.person_id in tiers else None,
                         "tier_rank": tiers[t.person_id].rank if t.person_id in tiers else None}
                        for t in tippers if t.username][:TOP_TIPPERS],
        "anonymous_tokens": sum(t.tokens for t in tippers if t.username is None),
        "fans": {"new": sum(p.new for p in people), "returning": sum(not p.new for p in people),
                 "lapsed_days": rules.lists.lapsed_days, "lapsed": [p.username for p in people if p.lapsed],
                 "new_spenders": [p.username for p in people if p.new and p.tokens > 0]},
        "follows": _follows(changes, removals),
        "viewers": None if b.figures["peak_viewers"] is None else
                   {"peak": b.figures["peak_viewers"], "average": b.figures["avg_viewers"]},
        "biggest_tip": None if biggest is None or compared == 0 or biggest[1] <= biggest_before else
                       {"tokens": biggest[1], "username": biggest[0], "days": UNUSUAL_TIP_DAYS},
    }  # fmt: skip


def _follows(changes: list[FollowChange], removals: list[FollowChange]) -> dict[str, list[str]]:
    unfollowed = [c.username for c in changes if c.kind == "unfollow"]
    by_events = {name.casefold() for name in unfollowed}
    listed = [r for r in removals if r.username.casefold() not in by_events]
    return {
        "gained": [c.username for c in changes if c.kind == "follow"],
        "unfollowed": unfollowed + [r.username for r in listed if r.kind == "confirmed"],
        "suspected": [r.username for r in listed if r.kind == "suspected"],
        "fanclub": [c.username for c in changes if c.kind == "fanclubJoin"],
    }


def _tokens_sentence(f: dict[str, Any]) -> Sentence:
    s: Sentence = [
        f"A {_duration(f['duration_seconds'])} broadcast from ", rt.time(f["started_at"]), " to ",
        rt.time(f["ended_at"]), " brought ", rt.num(f["tokens"]), " tokens",
    ]  # fmt: skip
    comparisons: list[Sentence] = []
    if f["average_10"] is not None:
        comparisons.append(rt.against(f["tokens"], f["average_10"], ["the previous broadcasts"]))
    weekday = f["weekday"]
    if weekday["broadcasts"]:
        comparisons.append(rt.against(f["tokens"], weekday["average"], [f"{weekday['name']} (UTC)"]))
    if not comparisons:
        return [*s, ", the first broadcast there is to compare with."]
    s.append(": ")
    for index, comparison in enumerate(comparisons):
        s += ([" and "] if index else []) + comparison
    return [*s, "."]


def _people_sentences(f: dict[str, Any]) -> list[Sentence]:
    out: list[Sentence] = []
    if f["best_hour"]:
        out.append(["The best hour began at ", rt.time(f["best_hour"]["at"]), " with ",
                    rt.num(f["best_hour"]["tokens"]), " tokens."])  # fmt: skip
    tops: list[Sentence] = [
        [rt.user(t["username"], t["tier"], t["tier_rank"]), " ", rt.num(t["tokens"])]
        for t in f["top_tippers"]
    ]
    if tops or f["anonymous_tokens"]:
        s: Sentence = ["Top tippers: "] if tops else []
        for index, top in enumerate(tops):
            s += [", ", *top] if index else top
        if f["anonymous_tokens"]:
            s += ["; " if tops else "", "anonymous tips: ", rt.num(f["anonymous_tokens"]), " tokens"]
        out.append([*s, "."])
    fans = f["fans"]
    if fans["new"] or fans["returning"]:
        s = [*rt.counted(fans["new"] + fans["returning"], "fan"), " came: ", rt.num(fans["new"]), " new, ",
             rt.num(fans["returning"]), " returning"]  # fmt: skip
        if fans["lapsed"]:
            away = f" back after more than {fans['lapsed_days']} days: "
            s += [
                ", of whom ",
                rt.num(len(fans["lapsed"])),
                away,
                *rt.names([rt.user(n) for n in fans["lapsed"]]),
            ]
        out.append([*s, "."])
    return out


def _follow_sentences(f: dict[str, Any]) -> list[Sentence]:
    follows, out = f["follows"], list[Sentence]()
    for key, title in (
        ("gained", "New followers"),
        ("unfollowed", "Unfollowed"),
        ("fanclub", "Fan-club joins"),
    ):
        if follows[key]:
            out.append(
                [
                    f"{title} (",
                    rt.num(len(follows[key])),
                    "): ",
                    *rt.names([rt.user(n) for n in follows[key]]),
                    ".",
                ]
            )
    if follows["suspected"]:
        out.append(["Suspected unfollows (missing from a complete followers list, not confirmed yet): ",
                    *rt.names([rt.user(n) for n in follows["suspected"]]), "."])  # fmt: skip
    if f["viewers"]:
        out.append(
            [
                "Viewers: peak ",
                rt.num(f["viewers"]["peak"]),
                ", average ",
                rt.num(float(f["viewers"]["average"])),
                ".",
            ]
        )
    return out


def _unusual(f: dict[str, Any]) -> list[Sentence]:
    out: list[Sentence] = []
    tip = f["biggest_tip"]
    if tip:
        sender: Sentence = [rt.user(tip["username"])] if tip["username"] else ["an anonymous tipper"]
        out.append(["Unusual: the biggest tip in ", rt.num(tip["days"]), " days, ", rt.num(tip["tokens"]),
                    " tokens from ", *sender, "."])  # fmt: skip
    follows = f["follows"]
    lost, gained = len(follows["unfollowed"]) + len(follows["suspected"]), len(follows["gained"])
    if lost > gained:
        drop: Sentence = [
            "Unusual: a follower drop, ",
            rt.num(lost),
            " lost (or suspected) against ",
            rt.num(gained),
        ]
        out.append([*drop, " gained."])
    return out


def sentences(facts: dict[str, Any]) -> list[Sentence]:
    return [_tokens_sentence(facts), *_people_sentences(facts), *_follow_sentences(facts), *_unusual(facts)]


async def build(conn: Connection, broadcast_id: int, rules: FanRules, *, now: datetime) -> Report | None:
    """The report of a closed broadcast (None while it is open, or when there is no such broadcast)."""
    facts = await _facts(conn, broadcast_id, rules, now)
    return None if facts is None else Report(facts, sentences(facts))


@dataclass(frozen=True, slots=True)
class Regenerated:
    report: Report
    announce: bool  # first written for a broadcast that ended after the upgrade: its alert is due

    def alert(self, rule_id: int, *, quiet: bool = False) -> NewAlert:
        """The "summary ready" alert of this report for one rule."""
        broadcast_id = self.report.facts["broadcast_id"]
        started = from_db(self.report.facts["started_at"]).strftime("%Y-%m-%d %H:%M UTC")
        return NewAlert(
            rule_id=rule_id, kind="summary_ready", trigger_key=f"summary:{broadcast_id}",
            title=f"Broadcast summary ready: {started}", body=rt.text(self.report.sentences, limit=2),
            url=f"/room/broadcasts/{broadcast_id}", quiet=quiet,
        )  # fmt: skip


async def regenerate(
    conn: Connection, broadcast_id: int, rules: FanRules, *, now: datetime
) -> Regenerated | None:
    """Store the broadcast's report (call inside a transaction); None while the broadcast is open."""
    report = await build(conn, broadcast_id, rules, now=now)
    if report is None:
        return None
    saved = await broadcast_reports.save(
        conn, broadcast_id, fingerprint=report.fingerprint, facts=report.facts,
        sentences=report.sentences, at=to_db(now),
    )  # fmt: skip
    return Regenerated(report, announce=saved.first and saved.announce)
