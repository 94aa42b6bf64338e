"""Housekeeping: drop expired sessions and setup links, refresh planner statistics."""

from __future__ import annotations

from datetime import timedelta

from service.jobs.base import JobContext, JobSpec
from service.store import maintenance


async def run(context: JobContext) -> str:
    purged = await maintenance.purge_expired(context.db)
    await maintenance.optimize(context.db)
    return (
        f"removed {purged['sessions']} expired sessions and {purged['setup_links']} setup links; "
        "database optimised"
    )


SPEC = JobSpec(
    name="maintenance",
    title="Database maintenance",
    description="Removes expired login sessions and setup links, refreshes query statistics "
    "and checkpoints the write-ahead log.",
    default_interval=timedelta(hours=6),
    run=run,
)
