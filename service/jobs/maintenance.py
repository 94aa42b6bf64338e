"""Housekeeping: drop expired sessions, setup links and old job runs; refresh planner statistics."""

from __future__ import annotations

from datetime import timedelta

from service.jobs.base import JobContext, JobSpec
from service.store import maintenance

# Run history kept for Admin › Jobs: a month, and never fewer than the newest runs each job's page
# lists. The alert watch runs every two minutes, so without pruning job_runs grows ~22,000 rows a month.
RUN_HISTORY = timedelta(days=30)
RUNS_KEPT_PER_JOB = 100


async def run(context: JobContext) -> str:
    purged = await maintenance.purge_expired(context.db)
    runs = await maintenance.prune_job_runs(
        context.db, older_than=RUN_HISTORY, keep_per_job=RUNS_KEPT_PER_JOB
    )
    await maintenance.optimize(context.db)
    return (
        f"removed {purged['sessions']} expired sessions, {purged['setup_links']} setup links and "
        f"{runs} old job runs; database optimised"
    )


SPEC = JobSpec(
    name="maintenance",
    title="Database maintenance",
    description="Removes expired login sessions and setup links and job runs older than 30 days "
    "(keeping each job's newest 100 and any failing streak), refreshes query statistics and "
    "checkpoints the write-ahead log.",
    default_interval=timedelta(hours=6),
    run=run,
)
