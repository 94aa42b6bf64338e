"""Affiliate feed sweep: every online room once per run, stored as per-session snapshots."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from service.clock import to_db
from service.jobs.base import JobContext, JobSpec
from service.sources.affiliate import AffiliateClient
from service.sources.affiliate.client import GENDERS, MAX_TAGS, REGIONS
from service.sources.affiliate.models import AffiliateRoom
from service.sources.affiliate.spec import SPEC as AFFILIATE
from service.sources.http import RateLimiter, RetryPolicy
from service.sources.spec import SourceConfig
from service.store import affiliate as affiliate_store
from service.usernames import USERNAME

log = logging.getLogger(__name__)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a sweep builds its ~20,000 room objects.

    They form no reference cycles, yet each allocation burst triggers collections that walk
    every live room again: about a third of the sweep's CPU (benchmarks/bench_affiliate_sweep.py).
    Cycles made elsewhere meanwhile are collected once it resumes. Restores the previous state,
    so an overlapping caller never turns collection back on early by mistake.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _split(value: str) -> list[str]:
    return [item for item in value.split(",") if item]


def feed_filters(config: SourceConfig) -> dict[str, list[str]]:
    """The gender/region/tag filters from Settings, checked before the first request."""
    filters = {
        "gender": _split(config.affiliate_gender),
        "region": _split(config.affiliate_region),
        "tag": _split(config.affiliate_tags),
    }
    bad = [g for g in filters["gender"] if g not in GENDERS] + [
        r for r in filters["region"] if r not in REGIONS
    ]
    if bad:
        raise ValueError(f"affiliate filters: unknown value(s) {', '.join(bad)} (see Admin › Settings)")
    if len(filters["tag"]) > MAX_TAGS:
        raise ValueError(f"affiliate filters: at most {MAX_TAGS} tags")
    return filters


def sightings(
    rooms: Sequence[AffiliateRoom], seen: datetime
) -> tuple[list[affiliate_store.RoomSighting], int]:
    """Rows to store (one per normalised username) and how many rooms had unusable names.

    Runs for 20,000 rooms per sweep, hence the plain loop and positional tuples.
    """
    seen_s = int(seen.timestamp())
    dumps = json.dumps
    rows: dict[str, affiliate_store.RoomSighting] = {}
    bad = 0
    for room in rooms:
        name = room.username.strip().lower()
        if not USERNAME.match(name):
            bad += 1
            continue
        rows[name] = affiliate_store.RoomSighting(
            name,
            seen_s - max(room.seconds_online, 0),
            room.seconds_online,
            room.display_name,
            room.gender,
            room.age,
            room.birthday.isoformat() if room.birthday else None,
            room.location,
            room.country,
            dumps(room.spoken_languages),
            room.current_show,
            room.room_subject,
            dumps([tag.lower() for tag in room.tags]),
            int(room.is_new),
            int(room.is_hd),
            room.num_users,
            room.num_followers,
            room.image_url,
        )
    return list(rows.values()), bad


async def sweep(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> str:
    """Fetch the whole (filtered) feed once and store it; returns the run summary."""
    config = context.config
    filters = feed_filters(config)
    client = AffiliateClient(
        context.http, config.affiliate_url, config.affiliate_wm, retry=retry, limiter=limiter
    )
    with cycle_collection_paused():
        result = await client.fetch_all(
            gender=filters["gender"], region=filters["region"], tag=filters["tag"]
        )
        # Seen "now" = when the sweep ended: the derived session start is off by at most the
        # sweep's duration (~40 s for 20,000 rooms), far inside the session-matching tolerance.
        rows, bad_names = sightings(result.rooms, result.finished_at)
    seen_at = to_db(result.finished_at)
    async with context.db.transaction() as conn:
        stored = await affiliate_store.store_sweep(
            conn, rows, seen_at=seen_at, broadcaster=config.broadcaster
        )
        await affiliate_store.record_sweep(
            conn,
            started_at=to_db(result.started_at),
            finished_at=seen_at,
            reported_count=result.reported_count,
            rooms=len(rows),
            pages=result.pages,
            duplicates=result.duplicates,
            invalid=result.invalid + bad_names,
            filters=json.dumps({k: v for k, v in filters.items() if v}, sort_keys=True),
        )
    return (
        f"{stored.rooms} rooms in {result.pages} pages: {stored.new_sessions} new sessions, "
        f"{stored.updated_sessions} updated, {stored.new_persons} new persons, "
        f"{stored.history_rows} follower counts kept; {result.duplicates} duplicates dropped, "
        f"{result.invalid + bad_names} invalid skipped"
    )


async def run(context: JobContext) -> str:
    return await sweep(context)


SPEC = JobSpec(
    name="affiliate",
    title="Affiliate feed sweep",
    description="Pages through the whole online-rooms feed (500 per page, ≤ 1 request/s), stores one "
    "snapshot per person per broadcast session, and keeps follower counts of tracked persons.",
    default_interval=timedelta(minutes=5),
    run=run,
    upstream=AFFILIATE,
)
