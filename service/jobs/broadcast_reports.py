"""Broadcast summaries and the weekly digest: (re)generate the reports the Events batches marked stale
and raise the weekly digest alert once its week is over.

The Events stream calls `regenerate_due` right after each batch that ended a broadcast (or changed
one already ended), for those broadcasts only, so a summary is ready moments after a broadcast ends;
this job catches up on anything left (a stream restarted between the two, the backlog of broadcasts
that ended before the upgrade) and raises the weekly digest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from service.clock import to_db, utcnow
from service.fan_tiers import DEFAULT_RULES, DEFAULTS, FanRules
from service.ingest import broadcast_report, weekly_digest
from service.jobs.alert_watch import in_quiet_hours
from service.jobs.base import JobContext, JobSpec
from service.sources.spec import SourceConfig
from service.store import alert_rules, alerts, broadcast_reports
from service.store.alerts import NewAlert
from service.store.db import Connection, Database

log = logging.getLogger(__name__)
ROUND = 100
MAX_ROUNDS = 100  # a run does at most 10,000; the next run goes on


def fan_rules(config: SourceConfig) -> FanRules:
    """The Fans settings (tiers, lapsed days) of this configuration; the defaults if they are invalid."""
    try:
        return FanRules.parse({key: getattr(config, key) for key in DEFAULTS if hasattr(config, key)})
    except ValueError:
        return DEFAULT_RULES


async def regenerate_due(
    db: Database, rules: FanRules, *, limit: int = 100, among: Iterable[int] | None = None
) -> tuple[int, int]:
    """(reports generated, alerts raised) for the closed broadcasts whose report is stale (only those
    `among` these, when given); each in its own short transaction, so the Events stream is never held
    up for long."""
    async with db.read() as conn:
        due = await broadcast_reports.due(conn, limit=limit, among=among)
    raised = 0
    for broadcast_id in due:
        async with db.transaction() as conn:
            now = utcnow()
            done = await broadcast_report.regenerate(conn, broadcast_id, rules, now=now)
            if done is not None and done.announce:
                raised += await _raise(conn, done.alert, now)
    return len(due), raised


async def _raise(conn: Connection, alert: Callable[..., NewAlert], now: datetime) -> int:
    """Raise an alert once for each enabled summary_ready rule (quiet in its quiet hours), as
    jobs/alert_watch.py does for its kinds; how many were raised now."""
    raised = 0
    for rule in await alert_rules.enabled_rules(conn, frozenset({"summary_ready"})):
        made = alert(rule.id, quiet=in_quiet_hours(rule, now))
        raised += await alerts.raise_alert(conn, made, at=to_db(now)) is not None
    return raised


async def announce_digest(conn: Connection, *, now: datetime) -> int:
    """Raise the digest of the last whole ISO week (Monday to Monday, UTC) for each enabled
    summary_ready rule that has not had it yet (call inside a transaction); how many were raised."""
    until, week = weekly_digest.last_whole_week(now)
    pending = [
        rule for rule in await alert_rules.enabled_rules(conn, frozenset({"summary_ready"}))
        if not await broadcast_reports.alert_exists(conn, rule.id, f"digest:{week}")
    ]  # fmt: skip
    if not pending:
        return 0
    digest = await weekly_digest.build(conn, until=until)
    raised = 0
    for rule in pending:
        made = weekly_digest.alert(digest, week, rule.id, quiet=in_quiet_hours(rule, now))
        raised += await alerts.raise_alert(conn, made, at=to_db(now)) is not None
    return raised


async def run(context: JobContext) -> str:
    rules = fan_rules(context.config)
    generated = raised = 0
    for _ in range(MAX_ROUNDS):
        done, alerted = await regenerate_due(context.db, rules, limit=ROUND)
        generated, raised = generated + done, raised + alerted
        if done < ROUND:
            break
    async with context.db.transaction() as conn:
        digest = await announce_digest(conn, now=utcnow())
    week = "; weekly digest raised" if digest else ""
    return f"generated {generated} broadcast summaries, {raised} alerts{week}"


SPEC = JobSpec(
    name="broadcast_reports",
    title="Broadcast summaries",
    description="Writes the summary of each ended broadcast (again when late events change it) and "
    "raises the weekly digest alert once a week.",
    default_interval=timedelta(minutes=30),
    run=run,
)
