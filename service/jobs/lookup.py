"""Priority-1 lookups: find a queued person in the affiliate feed, CBHours and Statbate, then
mark the entry done or not_found with the reason, so nobody stays pending forever.

The affiliate feed has no username filter, so this job never pages it: the regular sweep notes
who it saw (lookup_queue.found_in), and this job waits for one sweep that finished after the
person was queued, or gives up on that source after GIVE_UP_AFTER.
"""

from __future__ import annotations

from datetime import timedelta

from service.clock import from_db, utcnow
from service.jobs import cbhours, statbate
from service.jobs.base import JobContext, JobSpec
from service.sources.affiliate.spec import SPEC as AFFILIATE
from service.sources.base import SourceError
from service.sources.cbhours import CBHoursClient
from service.sources.http import RateLimiter, RetryPolicy
from service.sources.statbate.spec import SPEC as STATBATE
from service.store import affiliate as affiliate_store
from service.store import lookup as lookup_store
from service.store import person_state
from service.store.lookup import QueueEntry
from service.store.tracked import Tracked

# Decide without an affiliate sweep after this long (the feed may be unconfigured or failing).
GIVE_UP_AFTER = timedelta(minutes=30)
# New lookups asked of CBHours and Statbate per run: a followers list queues hundreds of names at once,
# and the upstreams are asked at their own pace (the rest wait for the next runs, oldest first).
ASKED_PER_RUN = 50


def _persons(entries: list[QueueEntry], roles: dict[int, str]) -> list[Tracked]:
    return [Tracked(e.person_id, e.username, roles.get(e.person_id, "unknown")) for e in entries]


async def _ask_sources(
    context: JobContext, persons: list[Tracked], retry: RetryPolicy | None, limiter: RateLimiter | None
) -> list[str]:
    """Ask CBHours and (with a token) Statbate; returns notes about sources that failed."""
    notes: list[str] = []
    client = CBHoursClient(context.http, context.config.cbhours_url, retry=retry, limiter=limiter)
    checked = await cbhours.check_live(context, client, [p for p in persons if p.role != "viewer"])
    if checked.first_error is not None:
        notes.append(f"CBHours failed ({type(checked.first_error).__name__})")
    if STATBATE.missing_configuration(context.config):
        notes.append("Statbate not configured")
        return notes
    sb = statbate.client_for(context, retry=retry, limiter=limiter)
    try:
        await statbate.fetch_members(context, sb, [p for p in persons if p.role != "model"])
        for person in persons:
            if person.role != "viewer":
                await statbate.fetch_model(context, sb, person)
    except SourceError as exc:
        notes.append(f"Statbate failed ({type(exc).__name__})")
    return notes


def _verdict(entry: QueueEntry, notes: list[str], swept: bool) -> tuple[str, str]:
    if entry.found_in:
        return "done", f"found in {entry.found_in.replace(',', ', ')}"
    checked = ["not in the affiliate feed" if swept else "no affiliate sweep to look in"]
    checked += ["not tracked by CBHours", "unknown to Statbate" if not notes else "; ".join(notes)]
    return "not_found", "; ".join(checked)


async def process(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> str:
    # This job runs every few minutes whatever is configured, so it also keeps person_state in
    # step with rows other parts of the service wrote (new persons, event counts).
    async with context.db.transaction() as conn:
        reconciled = await person_state.reconcile(conn)
    async with context.db.read() as conn:
        pending = [e for e in await lookup_store.list_queue(conn, status="pending") if e.priority == 1]
        last_sweep = await affiliate_store.last_sweep_finished_at(conn)
        roles = await lookup_store.roles(conn, [e.person_id for e in pending])
    if not pending:
        return f"no pending lookups; {reconciled} person states refreshed"
    # CBHours and Statbate are asked once per lookup (attempts counts the completed asks); later
    # runs only wait for the affiliate sweep. A source that failed is asked again next run.
    fresh = [e for e in pending if e.attempts == 0][:ASKED_PER_RUN]
    not_yet = {e.person_id for e in pending if e.attempts == 0} - {e.person_id for e in fresh}
    pending = [e for e in pending if e.person_id not in not_yet]
    notes = await _ask_sources(context, _persons(fresh, roles), retry, limiter) if fresh else []
    failed = any("failed" in note for note in notes)
    feed_off = AFFILIATE.missing_configuration(context.config) is not None
    finished = {"done": 0, "not_found": 0}
    async with context.db.transaction() as conn:
        for old in pending:
            if not (failed and old.attempts == 0):
                await lookup_store.record_attempt(conn, old.person_id)
            entry = await lookup_store.get_entry(conn, old.person_id)
            if entry is None or entry.status != "pending":
                continue  # removed or re-queued meanwhile
            swept = last_sweep is not None and last_sweep >= entry.queued_at
            waited = utcnow() - from_db(entry.queued_at) >= GIVE_UP_AFTER
            asked = entry.attempts > 0
            if not (entry.found_in or (asked and (swept or feed_off)) or waited):
                continue  # wait for the next affiliate sweep (or a source that failed)
            status, reason = _verdict(entry, notes, swept)
            await lookup_store.finish(conn, entry.person_id, status, reason)
            finished[status] += 1
    waiting = len(pending) - finished["done"] - finished["not_found"]
    return (
        f"{len(pending)} pending: {finished['done']} found, {finished['not_found']} not found, "
        f"{waiting} waiting; {reconciled} person states refreshed"
    )


async def run(context: JobContext) -> str:
    return await process(context)


SPEC = JobSpec(
    name="lookup",
    title="Lookup queue (priority 1)",
    description="Looks up persons queued once from the Directory in the affiliate feed, CBHours and "
    "Statbate, then marks each done or not found with the reason.",
    default_interval=timedelta(minutes=5),
    run=run,
)
