"""Affiliate feed sweep: every online room once per run, stored as per-session snapshots."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from service.clock import to_db
from service.jobs.base import JobContext, JobSpec
from service.sources.affiliate import AffiliateClient
from service.sources.affiliate.client import GENDERS, MAX_TAGS, REGIONS, log_sweep
from service.sources.affiliate.models import AffiliatePage, AffiliateRoom, SweepTally
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


def _itself(value: str, _: str) -> str:
    return value


def sighting(
    room: AffiliateRoom, seen_s: int, shared: dict[str, str] | None = None
) -> affiliate_store.RoomSighting | None:
    """The row to store for one room seen at `seen_s` (epoch seconds), None for an unusable name.

    With `shared`, values rooms repeat (gender, show, place, languages, tag lists) are kept once.
    """
    name = room.username.strip().lower()
    if not USERNAME.match(name):
        return None
    one = shared.setdefault if shared is not None else _itself
    languages, tags = json.dumps(room.spoken_languages), json.dumps([tag.lower() for tag in room.tags])
    return affiliate_store.RoomSighting(
        name,
        seen_s - max(room.seconds_online, 0),
        room.seconds_online,
        room.display_name,
        one(room.gender, room.gender),
        room.age,
        room.birthday.isoformat() if room.birthday else None,
        one(room.location, room.location),
        one(room.country, room.country),
        one(languages, languages),
        one(room.current_show, room.current_show),
        room.room_subject,
        one(tags, tags),
        int(room.is_new),
        int(room.is_hd),
        room.num_users,
        room.num_followers,
        room.image_url,
    )


def sightings(
    rooms: Sequence[AffiliateRoom], seen: datetime
) -> tuple[list[affiliate_store.RoomSighting], int]:
    """Rows to store (one per normalised username, the later kept) and how many rooms had unusable names."""
    seen_s = int(seen.timestamp())
    rows: dict[str, affiliate_store.RoomSighting] = {}
    bad = 0
    for room in rooms:
        row = sighting(room, seen_s)
        if row is None:
            bad += 1
        else:
            rows[row.username] = row
    return list(rows.values()), bad


@dataclass
class _Collected:
    """A sweep's rows as its pages arrive: the parsed rooms of a page are dropped once mapped, so a
    sweep holds one page of rooms plus the compact rows (issue 14: the service's memory)."""

    rows: dict[str, affiliate_store.RoomSighting] = field(default_factory=dict)
    duplicates: int = 0
    bad_names: int = 0
    shared: dict[str, str] = field(default_factory=dict)

    def add(self, page: AffiliatePage) -> None:
        # Start times are relative (seen_s = 0) until the sweep's end is known: see rows_seen_at().
        for room in page.rooms:
            row = sighting(room, 0, self.shared)
            if row is None:
                self.bad_names += 1
                continue
            if row.username in self.rows:
                self.duplicates += 1
            self.rows[row.username] = row

    def rows_seen_at(self, seen: datetime) -> list[affiliate_store.RoomSighting]:
        """The rows with their session starts; each relative row is dropped as its final one is made."""
        seen_s = int(seen.timestamp())
        rows = self.rows
        for name, row in rows.items():
            rows[name] = row._replace(start_s=seen_s + row.start_s)
        self.shared.clear()
        return list(rows.values())


async def sweep(
    context: JobContext, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> str:
    """Fetch the whole (filtered) feed once, page by page, and store it; returns the run summary."""
    config = context.config
    filters = feed_filters(config)
    client = AffiliateClient(
        context.http, config.affiliate_url, config.affiliate_wm, retry=retry, limiter=limiter
    )
    now = datetime.now(UTC)
    tally = SweepTally(started_at=now, finished_at=now)
    collected = _Collected()
    # Collection is paused per page only: across the awaits, cyclic garbage (the HTTP client's)
    # would pile up for the whole sweep.
    async for page in client.sweep_pages(
        tally, gender=filters["gender"], region=filters["region"], tag=filters["tag"]
    ):
        with cycle_collection_paused():
            collected.add(page)
    log_sweep(len(collected.rows), tally, collected.duplicates)
    # Seen "now" = when the sweep ended: the derived session start is off by at most the
    # sweep's duration (~40 s for 20,000 rooms), far inside the session-matching tolerance.
    with cycle_collection_paused():
        rows = collected.rows_seen_at(tally.finished_at)
    collected.rows.clear()
    invalid = tally.invalid + collected.bad_names
    seen_at = to_db(tally.finished_at)
    async with context.db.transaction() as conn:
        stored = await affiliate_store.store_sweep(
            conn, rows, seen_at=seen_at, broadcaster=config.broadcaster
        )
        await affiliate_store.record_sweep(
            conn,
            started_at=to_db(tally.started_at),
            finished_at=seen_at,
            reported_count=tally.reported_count,
            rooms=len(rows),
            pages=tally.pages,
            duplicates=collected.duplicates,
            invalid=invalid,
            filters=json.dumps({k: v for k, v in filters.items() if v}, sort_keys=True),
        )
    return (
        f"{stored.rooms} rooms in {tally.pages} pages: {stored.new_sessions} new sessions, "
        f"{stored.updated_sessions} updated, {stored.new_persons} new persons, "
        f"{stored.history_rows} follower counts kept; {collected.duplicates} duplicates dropped, "
        f"{invalid} invalid skipped"
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
