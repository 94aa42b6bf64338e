"""Daily list runs: queue "following" and "followers" tasks for the extension to pick up.

The run itself happens in the user's browser; this only puts the work on the queue, so a browser
that is closed today simply finds the (single, deduplicated) tasks waiting tomorrow.
"""

from __future__ import annotations

from datetime import timedelta

from service.jobs.base import JobContext, JobSpec
from service.store import extension as ext_store


async def run(context: JobContext) -> str:
    async with context.db.transaction() as conn:
        if not any(client.revoked_at is None for client in await ext_store.list_clients(conn)):
            return "no extension paired; nothing queued"
        queued = [await ext_store.queue_task(conn, kind, None, requested_by="schedule")
                  for kind in ("following", "followers")]  # fmt: skip
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
