"""Broadcast summaries and the weekly digest: (re)generate the reports the Events batches marked stale
and raise the weekly digest alert once its week is over.

The Events stream calls `regenerate_due` right after each batch that ended a broadcast (or changed
one already ended), for those broadcasts only, so a summary is ready moments after a broadcast ends;
this job catches up on anything left (a stream restarted between the two, the backlog of broadcasts
that ended before the upgrade) and raises the weekly digest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from service.clock import utcnow
from service.fan_tiers import DEFAULT_RULES, DEFAULTS, FanRules
from service.ingest import broadcast_report, weekly_digest
from service.jobs.base import JobContext, JobSpec
from service.sources.spec import SourceConfig
from service.store import broadcast_reports
from service.store.db import Database

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
            if await broadcast_report.regenerate(conn, broadcast_id, rules, now=utcnow()) is not None:
                raised += 1
    return len(due), raised


async def run(context: JobContext) -> str:
    rules = fan_rules(context.config)
    generated = raised = 0
    for _ in range(MAX_ROUNDS):
        done, alerted = await regenerate_due(context.db, rules, limit=ROUND)
        generated, raised = generated + done, raised + alerted
        if done < ROUND:
            break
    async with context.db.transaction() as conn:
        digest = await weekly_digest.announce(conn, now=utcnow())
    week = "; weekly digest raised" if digest is not None else ""
    return f"generated {generated} broadcast summaries, {raised} alerts{week}"


SPEC = JobSpec(
    name="broadcast_reports",
    title="Broadcast summaries",
    description="Writes the summary of each ended broadcast (again when late events change it) and "
    "raises the weekly digest alert once a week.",
    default_interval=timedelta(minutes=30),
    run=run,
)
