"""Daily list runs: queue "following" and "followers" tasks for the extension to pick up.

The run itself happens in the user's browser; this only puts the work on the queue, so a browser
that is closed today simply finds the (single, deduplicated) tasks waiting tomorrow.
"""

from __future__ import annotations

from datetime import timedelta

from service.jobs.base import JobContext, JobSpec
from service.store import extension as ext_store


async def run(context: JobContext) -> str:
    async with context.db.read() as conn:
        paired = await ext_store.has_active_client(conn)
    if not paired:
        return "no extension paired; nothing queued"
    queued = await ext_store.queue_scrapes(context.db, lists=("following", "followers"), by="schedule")
    new = sum(1 for _task_id, fresh in queued if fresh)
    return f"queued {new} list run(s) for the extension ({len(queued) - new} already waiting)"


SPEC = JobSpec(
    name="extension_lists",
    title="Extension list runs",
    description="Queues a following and a followers list run for the Chrome extension.",
    default_interval=timedelta(days=1),
    run=run,
    group="Extension",
)
