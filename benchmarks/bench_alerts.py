"""Alert rules: what evaluating 20 rules costs the Events ingest, side by side in the same run.

bench_events' 5,000-event script (400 viewers: tips, chat, entries, leaves, follows, unfollows,
fan-club joins) goes through the real consumer with 20 enabled rules of the kinds the ingest path
evaluates (entries by tier, list and smart list; returns; big tips at several amounts; follows, fan-club
joins, unfollows; some with quiet hours, some without a cooldown) and with the evaluation replaced by
nothing: the baseline. Presence is kept in both. The two take turns, RUNS times each, each in a fresh
database; the figure is the median rate of each and the share of the rate the rules cost. Target
≤ 10%. On a shared machine the two medians move with the neighbours' load, so the time spent inside
the evaluation, as a share of the same run's ingest time, is printed too: the steadier figure.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks.bench_events import INGEST_EVENTS, bench_ingest
from service.alert_rules import (
    BigTip,
    FanEnters,
    FanReturns,
    NoParams,
    Params,
    QuietHours,
    Unfollow,
)
from service.clock import now_db
from service.ingest import events_batch
from service.store import alert_rules, fan_lists
from service.store.alert_rules import RuleInput
from service.store.db import Database, open_database

RUNS = 7
COST_TARGET = 0.10
NIGHT = QuietHours(23 * 60, 7 * 60, "Europe/Berlin")


def _rule_set(lists: dict[str, int], *, heavy: bool) -> list[tuple[str, Params, int, QuietHours | None]]:
    """20 rules of the kinds the ingest path evaluates. The usual set is what a broadcaster would set:
    fans by tier (Gold and up), by list and smart list, returns, tips of 450 tokens and more (the
    script's tips are 1–500), follows, fan-club joins and unfollows. The heavy set alerts on most tips
    and every entry of anyone who tipped (from Bronze, from 50 tokens, no cooldowns): its cost is
    mostly the writing of the alerts."""
    tips = (50, 100, 150, 200) if heavy else (450, 499, 1000, 5000)
    tiers = ("Bronze", "Silver") if heavy else ("Gold", "Diamond")
    cooldown = 0 if heavy else 600
    return [
        ("fan_enters", FanEnters(min_tier=tiers[0]), cooldown, None),
        ("fan_enters", FanEnters(min_tier=tiers[1]), cooldown, NIGHT),
        ("fan_enters", FanEnters(list_ids=(lists["vip"],)), cooldown, None),
        ("fan_enters", FanEnters(list_ids=(lists["friends"],)), cooldown, NIGHT),
        ("fan_enters", FanEnters(list_ids=(lists["watchlist"], lists["banned"])), cooldown, None),
        ("fan_enters", FanEnters(smart=("regulars",)), cooldown, None),
        ("fan_enters", FanEnters(smart=("top30",) if heavy else ("drifting",)), cooldown, NIGHT),
        ("fan_returns", FanReturns(lapsed=True), 3600, None),
        ("fan_returns", FanReturns(lapsed=True, drifting=True, min_days_away=3), 3600, None),
        ("big_tip", BigTip(min_tokens=tips[0]), cooldown, None),
        ("big_tip", BigTip(min_tokens=tips[1]), 0, None),
        ("big_tip", BigTip(min_tokens=tips[2]), 0, NIGHT),
        ("big_tip", BigTip(min_tokens=tips[3]), 0, None),
        ("new_follower", NoParams(), 0, None),
        ("new_follower", NoParams(), cooldown, NIGHT),
        ("fanclub_join", NoParams(), 0, None),
        ("fanclub_join", NoParams(), cooldown, NIGHT),
        ("unfollow", Unfollow(), 0, None),
        ("unfollow", Unfollow(include_suspected=True), cooldown, None),
        ("fan_enters", FanEnters(min_tier=tiers[0], smart=("lapsed",)), 300, None),
    ]


def _rules(*, heavy: bool) -> Callable[[Database], Awaitable[None]]:
    async def prepare(db: Database) -> None:
        async with db.transaction() as conn:
            lists = {lst.builtin: lst.id for lst in await fan_lists.list_lists(conn) if lst.builtin}
            for n, (kind, params, cooldown, quiet) in enumerate(_rule_set(lists, heavy=heavy)):
                rule = RuleInput(kind, f"rule {n}", params, cooldown, quiet)  # type: ignore[arg-type]
                await alert_rules.insert_rule(conn, rule, at=now_db(), created_by=None)

    return prepare


async def _zero(*_args: object, **_kwargs: object) -> int:
    return 0


@dataclass
class _Run:
    rate: float
    raised: int
    share: float  # of the ingest's time spent inside the evaluation (0 without it)


def _run(tmp: Path, name: str, *, alerts: bool, heavy: bool) -> _Run:
    run_dir = tmp / name
    run_dir.mkdir()
    shipped = events_batch.alerting
    spent: list[float] = []

    async def timed(*args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        try:
            return await shipped.evaluate(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    events_batch.alerting = SimpleNamespace(evaluate=timed if alerts else _zero)  # type: ignore[assignment]
    try:
        rate = asyncio.run(bench_ingest(run_dir, INGEST_EVENTS, prepare=_rules(heavy=heavy))).rate
    finally:
        events_batch.alerting = shipped
    raised = asyncio.run(_count(next(run_dir.glob("ingest-*.sqlite3"))))
    return _Run(rate, raised, sum(spent) * rate / INGEST_EVENTS)


async def _count(path: Path) -> int:
    async with open_database(path, readers=1) as db, db.read() as conn:
        rows = await conn.execute_fetchall("SELECT count(*) FROM alerts")
        return int(next(iter(rows))[0])


def _measure(tmp: Path, *, heavy: bool) -> float:
    runs: list[_Run] = []
    without: list[float] = []
    label = "heavy" if heavy else "usual"
    for n in range(RUNS):
        runs.append(_run(tmp, f"{label}-with-{n}", alerts=True, heavy=heavy))
        without.append(_run(tmp, f"{label}-without-{n}", alerts=False, heavy=heavy).rate)
    rate, baseline = statistics.median(r.rate for r in runs), statistics.median(without)
    cost = 1 - rate / baseline
    share = statistics.median(r.share for r in runs)
    print(f"   {label} rules: ingest of {INGEST_EVENTS:,} events with 20 alert rules: {rate:,.0f} events/s "
          f"({runs[-1].raised:,} alerts raised); without the evaluation (baseline, same run): "
          f"{baseline:,.0f} events/s; cost {cost:.1%}; time inside the evaluation {share:.1%} of the "
          "ingest's")  # fmt: skip
    return cost


def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="mhc-bench-alerts-") as tmp:
        usual = _measure(Path(tmp), heavy=False)
        _measure(Path(tmp), heavy=True)
    print(f"   target: the usual rules cost ≤ {COST_TARGET:.0%} (the heavy set is shown for its writes)")
    return usual <= COST_TARGET


if __name__ == "__main__":
    main()
