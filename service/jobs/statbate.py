"""Statbate: member info (100-name batches) and model info for tracked persons; tips on demand."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from service.clock import from_db, now_db, to_db, utcnow
from service.jobs.base import JobContext, JobResult, JobSpec
from service.sources.base import SourceAuthError, SourceError, SourceNotFoundError
from service.sources.http import RateLimiter, RetryPolicy
from service.sources.statbate import StatbateClient
from service.sources.statbate.client import MAX_BATCH
from service.sources.statbate.models import StatbateMemberInfo, StatbateModelInfo
from service.sources.statbate.spec import SPEC as STATBATE
from service.store import lookup as lookup_store
from service.store import person_state
from service.store import statbate as statbate_store
from service.store.tracked import Tracked, mark_role, tracked_persons

log = logging.getLogger(__name__)

# Model info is one request per name; this bounds a run (at 1 request/s) to a few minutes.
MODELS_PER_RUN = 300
# Tips asked for on demand reach this far back the first time.
TIPS_HISTORY = timedelta(days=365)


def client_for(
    context: JobContext, *, retry: RetryPolicy | None, limiter: RateLimiter | None
) -> StatbateClient:
    config = context.config
    return StatbateClient(
        context.http, config.statbate_url, config.statbate_token, retry=retry, limiter=limiter
    )


def _when(value: datetime | None) -> str | None:
    return to_db(value) if value is not None else None


def member_row(person_id: int, info: StatbateMemberInfo) -> statbate_store.MemberRow:
    return statbate_store.MemberRow(
        person_id=person_id,
        did=info.did,
        first_message_date=_when(info.first_message_date),
        first_tip_date=_when(info.first_tip_date),
        last_tip_date=_when(info.last_tip_date),
        last_tip_amount=info.last_tip_amount,
        models_messaged_2weeks=info.models_messaged_2weeks,
        models_tipped_2weeks=info.models_tipped_2weeks,
        all_time_tokens=info.all_time_tokens,
        raw=info.model_dump_json(),
    )


def model_row(person_id: int, info: StatbateModelInfo) -> statbate_store.ModelRow:
    sessions, income = info.sessions, info.income
    return statbate_store.ModelRow(
        person_id=person_id,
        rid=info.rid,
        gender=info.gender,
        rank=info.rank,
        sessions_count=sessions.count if sessions else None,
        sessions_total_duration=sessions.total_duration if sessions else None,
        sessions_average_duration=sessions.average_duration if sessions else None,
        income_tokens=income.tokens if income else None,
        income_usd=income.usd if income else None,
        tags=json.dumps([t.name for t in info.tags]),
        raw=info.model_dump_json(),
    )


async def fetch_members(context: JobContext, client: StatbateClient, persons: Sequence[Tracked]) -> set[int]:
    """Member info in 100-name batches; returns the ids Statbate knew."""
    ids = {p.username: p.person_id for p in persons}
    names = list(ids)
    known: set[int] = set()
    for start in range(0, len(names), MAX_BATCH):
        batch = await client.members_info_batch(names[start : start + MAX_BATCH])
        found = [
            member_row(ids[m.name.lower()], m) for m in batch.members if m.found and m.name.lower() in ids
        ]
        found_ids = {row.person_id for row in found}
        missing = [ids[n] for n in names[start : start + MAX_BATCH] if ids[n] not in found_ids]
        async with context.db.transaction() as conn:
            await statbate_store.record_members(conn, found, missing, fetched_at=now_db())
            await lookup_store.note_found(conn, sorted(found_ids), "statbate")
            await mark_role(conn, sorted(found_ids), "viewer", overwrite=False)
            await person_state.refresh(conn, found_ids)
        known |= found_ids
    return known


async def fetch_model(context: JobContext, client: StatbateClient, person: Tracked) -> bool:
    """Model info for one person; False when Statbate has no such model (404)."""
    try:
        info = await client.model_info(person.username)
    except SourceNotFoundError:
        async with context.db.transaction() as conn:
            await statbate_store.record_model(conn, person.person_id, None, fetched_at=now_db())
        return False
    async with context.db.transaction() as conn:
        await statbate_store.record_model(
            conn, person.person_id, model_row(person.person_id, info), fetched_at=now_db()
        )
        await lookup_store.note_found(conn, [person.person_id], "statbate")
        await mark_role(conn, [person.person_id], "model", overwrite=True)
        await person_state.refresh(conn, [person.person_id])
    return True


async def fetch_requested_tips(context: JobContext, client: StatbateClient) -> tuple[int, int]:
    """Tips of members whose Profile asked for them, from the newest stored tip on.

    Returns (new tips, tips skipped): a tip whose room id or amount was out of range (None) cannot
    be stored or keyed, so it alone is left out.
    """
    async with context.db.read() as conn:
        requests = await statbate_store.tips_requests(conn)
    added = skipped = 0
    now = utcnow()
    for request in requests:
        start = from_db(request.latest_tip_at) if request.latest_tip_at else now - TIPS_HISTORY
        try:
            tips = await client.member_tips(request.username, start, now)
        except SourceNotFoundError:
            tips = []
        rows = [
            statbate_store.TipRow(tipped_at=to_db(t.time), model=t.model, rid=rid, tokens=tokens, usd=t.usd)
            for t in tips
            if (rid := t.rid) is not None and (tokens := t.tokens) is not None
        ]
        if len(rows) < len(tips):
            log.warning(
                "statbate: %d tips of %s skipped: out of range", len(tips) - len(rows), request.username
            )
        skipped += len(tips) - len(rows)
        async with context.db.transaction() as conn:
            added += await statbate_store.record_tips(conn, request.person_id, rows, fetched_at=now_db())
    return added, skipped


async def refresh(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> JobResult:
    client = client_for(context, retry=retry, limiter=limiter)
    async with context.db.read() as conn:
        persons = await tracked_persons(conn, context.config.broadcaster)
    models = [p for p in persons if p.role == "model"][:MODELS_PER_RUN]
    members = [p for p in persons if p.role != "model"]
    known_members = await fetch_members(context, client, members)
    known_models = failed = 0
    first_error: SourceError | None = None
    for person in models:
        try:
            known_models += await fetch_model(context, client, person)
        except SourceAuthError:
            raise  # a bad token fails every call: stop and show it
        except SourceError as exc:
            failed += 1
            first_error = first_error or exc
            log.warning("statbate: model info of %s failed: %s", person.username, exc)
    if first_error is not None and failed == len(members) + len(models):
        raise first_error
    tips, skipped_tips = await fetch_requested_tips(context, client)
    skipped = f" ({skipped_tips} skipped: out of range)" if skipped_tips else ""
    return JobResult(
        f"{len(known_members)}/{len(members)} members and {known_models}/{len(models)} models known to "
        f"Statbate ({failed} failed); {tips} new tips{skipped}",
        total=len(members) + len(models),
        failed=failed,
        first_error=str(first_error) if first_error else None,
    )


async def run(context: JobContext) -> JobResult:
    return await refresh(context)


SPEC = JobSpec(
    name="statbate",
    title="Statbate member and model info",
    description="Fetches Statbate figures for tracked persons: members in 100-name batches, models one "
    "by one (1 request/s), and the tips history of members whose Profile asked for it.",
    default_interval=timedelta(hours=6),
    run=run,
    upstream=STATBATE,
)
