"""CBHours: live checks of tracked persons (≤ 50 names per request) and a daily activity backfill."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from service.clock import now_db, to_db, utcnow
from service.jobs.base import JobContext, JobResult, JobSpec
from service.sources.base import SourceError
from service.sources.cbhours import CBHoursClient
from service.sources.cbhours.client import MAX_LIVE_NAMES, MAX_SPAN_DAYS, CBHoursNotTrackedError
from service.sources.cbhours.models import ActivitySegment, CBHoursLiveRoom
from service.sources.cbhours.spec import SPEC as CBHOURS
from service.sources.http import RateLimiter, RetryPolicy
from service.store import cbhours as cbhours_store
from service.store import lookup as lookup_store
from service.store import person_state
from service.store.persons import ensure_persons
from service.store.tracked import Tracked, cbhours_candidates, mark_role

log = logging.getLogger(__name__)

# Error 300 (not in CBHours' trophy database) changes only when the model acts; a week is enough.
UNTRACKED_FOR = timedelta(days=7)
# Persons backfilled per daily run: at 1 request/s this bounds a run to a few minutes.
ACTIVITY_PERSONS_PER_RUN = 200


def live_row(person_id: int, room: CBHoursLiveRoom) -> cbhours_store.LiveRow:
    return cbhours_store.LiveRow(
        person_id=person_id,
        online=int(room.online),
        gender=room.gender,
        rank=room.rank,
        grank=room.grank,
        viewers=room.viewers,
        followers=room.followers,
        current_show=room.current_show,
        room_subject=room.room_subject,
        tags=json.dumps([t.lower() for t in room.tags]) if room.online else None,
        is_new=None if room.is_new is None else int(room.is_new),
    )


@dataclass(frozen=True, slots=True)
class LiveChecked:
    """What one check_live pass learnt: names answered, names CBHours does not track, names that failed."""

    answered: int
    untracked: int
    failed: int
    first_error: SourceError | None


async def ask_live(client: CBHoursClient, names: list[str]) -> tuple[dict[str, CBHoursLiveRoom], list[str]]:
    """get_live for up to 50 names: (rooms by lower-case name, names CBHours does not track).

    CBHours may refuse a whole batch with error 300 when its names are not in its trophy database
    (how it treats a mixed batch is undocumented), so a refused batch is halved and each half asked
    again until every untracked name stands alone: the tracked names in it are still checked. At
    most 2n-1 requests for n names, and an untracked name is then not asked for UNTRACKED_FOR.
    """
    try:
        live = await client.get_live(names)
    except CBHoursNotTrackedError:
        if len(names) == 1:
            return {}, names
        middle = len(names) // 2
        rooms, untracked = await ask_live(client, names[:middle])
        more_rooms, more_untracked = await ask_live(client, names[middle:])
        return rooms | more_rooms, untracked + more_untracked
    return live.rooms, live.missing


async def _store_live(
    context: JobContext, ids: dict[str, int], rooms: dict[str, CBHoursLiveRoom], untracked: list[str]
) -> tuple[int, int]:
    checked_at = now_db()
    rows = [live_row(ids[name], room) for name, room in rooms.items() if name in ids]
    missing = [ids[name.lower()] for name in untracked if name.lower() in ids]
    async with context.db.transaction() as conn:
        # CBHours only follows broadcasters.
        await mark_role(conn, [r.person_id for r in rows], "model", overwrite=True)
        await cbhours_store.record_live(conn, rows, checked_at=checked_at)
        await lookup_store.note_found(conn, [r.person_id for r in rows], "cbhours")
        await cbhours_store.flag_untracked(
            conn, missing, until=to_db(utcnow() + UNTRACKED_FOR), reason="not tracked by CBHours (get_live)"
        )
        await person_state.refresh_stale_live(conn)
    return len(rows), len(missing)


async def check_live(context: JobContext, client: CBHoursClient, persons: list[Tracked]) -> LiveChecked:
    """get_live for these persons in batches of 50. A batch that fails (after the client's
    retries) is counted and the next batch still asked: one bad batch never costs the others."""
    ids = {p.username: p.person_id for p in persons}
    names = list(ids)
    answered = untracked = failed = 0
    first_error: SourceError | None = None
    for start in range(0, len(names), MAX_LIVE_NAMES):
        batch = names[start : start + MAX_LIVE_NAMES]
        try:
            rooms, missing = await ask_live(client, batch)
        except SourceError as exc:
            log.warning("cbhours: get_live for %d names failed: %s", len(batch), exc)
            failed += len(batch)
            first_error = first_error or exc
            continue
        stored, flagged = await _store_live(context, ids, rooms, missing)
        answered += stored
        untracked += flagged
    return LiveChecked(answered, untracked, failed, first_error)


async def candidates(context: JobContext) -> list[Tracked]:
    """Tracked persons to ask about; the broadcaster is always one, so make sure they exist."""
    broadcaster = context.config.broadcaster
    if broadcaster:
        async with context.db.transaction() as conn:
            await ensure_persons(conn, [broadcaster])
    async with context.db.read() as conn:
        return await cbhours_candidates(conn, broadcaster, now_db())


async def live(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> JobResult:
    persons = await candidates(context)
    if not persons:
        return JobResult("no tracked persons to check")
    client = CBHoursClient(context.http, context.config.cbhours_url, retry=retry, limiter=limiter)
    checked = await check_live(context, client, persons)
    if checked.first_error is not None and checked.failed == len(persons):
        raise checked.first_error
    return JobResult(
        f"checked {len(persons)} tracked persons: {checked.answered} answered, "
        f"{checked.untracked} not tracked by CBHours",
        total=len(persons),
        failed=checked.failed,
        first_error=str(checked.first_error) if checked.first_error else None,
    )


def segment_row(segment: ActivitySegment) -> cbhours_store.SegmentRow:
    return cbhours_store.SegmentRow(
        segment_at=to_db(segment.timestamp),
        show=segment.show,
        rank=segment.rank,
        grank=segment.grank,
        followers=segment.followers,
        viewers=segment.viewers,
        gender=segment.gender,
    )


async def _backfill_one(context: JobContext, client: CBHoursClient, person: Tracked, today: date) -> int:
    """Fetch from the day already stored (it may have been partial) to today, 60 days a call."""
    async with context.db.read() as conn:
        through = await cbhours_store.activity_through(conn, person.person_id)
    start = date.fromisoformat(through) if through else today - timedelta(days=MAX_SPAN_DAYS - 1)
    added = 0
    while start <= today:
        end = min(start + timedelta(days=MAX_SPAN_DAYS - 1), today)
        # tzo=0: CBHours then answers in UTC, the only zone we store.
        activity = await client.get_activity(person.username, start, end, tzo=0)
        async with context.db.transaction() as conn:
            added += await cbhours_store.record_activity(
                conn, person.person_id, [segment_row(s) for s in activity.segments], through=end.isoformat()
            )
        start = end + timedelta(days=1)
    return added


async def activity(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> JobResult:
    persons = (await candidates(context))[:ACTIVITY_PERSONS_PER_RUN]
    if not persons:
        return JobResult("no tracked persons to backfill")
    client = CBHoursClient(context.http, context.config.cbhours_url, retry=retry, limiter=limiter)
    today = utcnow().date()
    added = untracked = 0
    failures: list[SourceError] = []
    for person in persons:
        try:
            added += await _backfill_one(context, client, person, today)
        except CBHoursNotTrackedError:
            untracked += 1
            async with context.db.transaction() as conn:
                until = to_db(utcnow() + UNTRACKED_FOR)
                await cbhours_store.flag_untracked(
                    conn, [person.person_id], until=until, reason="Error Code 300"
                )
        except SourceError as exc:
            log.warning("cbhours: activity of %s failed: %s", person.username, exc)
            failures.append(exc)
    if failures and len(failures) == len(persons) - untracked:
        raise failures[0]
    return JobResult(
        f"{added} new 3-minute segments for {len(persons)} persons; {untracked} not tracked by CBHours, "
        f"{len(failures)} failed",
        total=len(persons),
        failed=len(failures),
        first_error=str(failures[0]) if failures else None,
    )


async def run_live(context: JobContext) -> JobResult:
    return await live(context)


async def run_activity(context: JobContext) -> JobResult:
    return await activity(context)


LIVE_SPEC = JobSpec(
    name="cbhours_live",
    title="CBHours live check",
    description="Asks CBHours (50 names per request, 1 request/s) for live status, rank and followers of "
    "tracked persons: priority 2, followed, followers and the broadcaster.",
    default_interval=timedelta(minutes=10),
    run=run_live,
    upstream=CBHOURS,
)
ACTIVITY_SPEC = JobSpec(
    name="cbhours_activity",
    title="CBHours activity backfill",
    description="Fetches tracked persons' broadcast activity in 3-minute segments (UTC, up to 60 days "
    "per request) for the Profile charts.",
    default_interval=timedelta(days=1),
    run=run_activity,
    upstream=CBHOURS,
)
