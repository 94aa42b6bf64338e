"""The weekly digest: the last 7 days against the weekly average of the 4 weeks before, in sentences.

Broadcasts count in the window they started in; followers gained and lost are the room's Events API
follows and unfollows in the window plus removals a list snapshot confirmed (dated when the follower
went missing); new fans are people first seen in the room in the window. The Room page shows the
digest of the 7 days up to now; the weekly alert (trigger "digest:<ISO week>") the last whole ISO
week, Monday to Monday in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.clock import to_db
from service.ingest import report_text as rt
from service.ingest.report_text import Sentence
from service.store import broadcast_facts
from service.store.alerts import NewAlert
from service.store.broadcast_facts import WindowTotals
from service.store.db import Connection

WEEK = timedelta(days=7)
WEEKS_BEFORE = 4


@dataclass(frozen=True, slots=True)
class Digest:
    facts: dict[str, Any]
    sentences: list[Sentence]


async def _totals(conn: Connection, since: datetime, until: datetime) -> WindowTotals:
    return await broadcast_facts.window_totals(
        conn, since=to_db(since), until=to_db(until),
        since_ms=int(since.timestamp() * 1000), until_ms=int(until.timestamp() * 1000),
    )  # fmt: skip


def _figures(t: WindowTotals, weeks: int) -> dict[str, float]:
    hours = t.seconds / 3600
    return {
        "broadcasts": t.broadcasts / weeks, "hours": round(hours / weeks, 2), "tokens": t.tokens / weeks,
        "tokens_per_hour": round(t.tokens / hours, 1) if hours else 0.0, "new_fans": t.new_fans / weeks,
        "followers_gained": t.followers_gained / weeks, "followers_lost": t.followers_lost / weeks,
    }  # fmt: skip


async def build(conn: Connection, *, until: datetime) -> Digest:
    since = until - WEEK
    now = _figures(await _totals(conn, since, until), 1)
    before = _figures(await _totals(conn, since - WEEKS_BEFORE * WEEK, since), WEEKS_BEFORE)
    best = await broadcast_facts.best_broadcast(conn, since=to_db(since), until=to_db(until))
    best_facts = (
        None if best is None else {"id": best.id, "started_at": best.started_at, "tokens": best.tokens}
    )
    facts = {"since": to_db(since), "until": to_db(until), "last_7_days": now,
             "weekly_average_before": before, "best": best_facts}  # fmt: skip
    return Digest(facts, digest_sentences(facts))


def _vs(value: float, average: float) -> Sentence:
    return [" (", rt.num(round(average, 1)), " a week before)"] if average or value else []


def digest_sentences(f: dict[str, Any]) -> list[Sentence]:
    now, before = f["last_7_days"], f["weekly_average_before"]
    first: Sentence = ["From ", rt.time(f["since"]), " to ", rt.time(f["until"]), ": ",
                       *rt.counted(now["hours"], "hour"),
                       " live in ", *rt.counted(int(now["broadcasts"]), "broadcast"),
                       *_vs(now["hours"], before["hours"]), ", ",
                       rt.num(int(now["tokens"])), " tokens"]  # fmt: skip
    comparison = rt.against(now["tokens"], before["tokens"] or None, ["the 4 weeks before"])
    out: list[Sentence] = [[*first, *([": ", *comparison] if comparison else []), "."]]
    out.append(["Tokens an hour live: ", rt.num(now["tokens_per_hour"]), " (",
                rt.num(before["tokens_per_hour"]), " before)."])  # fmt: skip
    out.append(["New fans: ", rt.num(int(now["new_fans"])), *_vs(now["new_fans"], before["new_fans"]),
                ". Followers gained: ", rt.num(int(now["followers_gained"])),
                *_vs(now["followers_gained"], before["followers_gained"]),
                "; lost: ", rt.num(int(now["followers_lost"])),
                *_vs(now["followers_lost"], before["followers_lost"]), "."])  # fmt: skip
    if f["best"]:
        best = f["best"]
        moment = {"time": best["started_at"], "link": f"/room/broadcasts/{best['id']}"}
        out.append(["Best broadcast: ", moment, " with ", rt.num(best["tokens"]), " tokens."])
    return out


def last_whole_week(now: datetime) -> tuple[datetime, str]:
    """(the Monday 00:00 UTC that ends the last whole ISO week, that week's name "2026-W05")."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    year, week, _ = (monday - WEEK).isocalendar()
    return monday, f"{year}-W{week:02d}"


def alert(digest: Digest, week: str, rule_id: int, *, quiet: bool = False) -> NewAlert:
    """The digest's alert for one rule, once per ISO week ("digest:2026-W05")."""
    return NewAlert(
        rule_id=rule_id, kind="summary_ready", trigger_key=f"digest:{week}", title=f"Weekly digest {week}",
        body=rt.text(digest.sentences), url="/room", quiet=quiet,
    )  # fmt: skip
