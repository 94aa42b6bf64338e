"""Client for the Chaturbate Affiliate online-rooms feed (GET .../affiliates/onlinerooms/)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime

import httpx

from service.sources.affiliate.models import (
    AffiliatePage,
    AffiliateRoom,
    AffiliateSweep,
    SweepTally,
    parse_page,
)
from service.sources.http import RateLimiter, RetryPolicy, request_json

logger = logging.getLogger(__name__)

SOURCE = "affiliate"
MAX_PAGE_SIZE = 500
MAX_TAGS = 5
GENDERS = frozenset({"f", "m", "t", "c"})
REGIONS = frozenset({"asia", "europe_russia", "northamerica", "southamerica", "other"})


def _values(value: str | Iterable[str], allowed: frozenset[str] | None, what: str) -> list[str]:
    # A bare string would otherwise be iterated letter by letter.
    values = [value] if isinstance(value, str) else list(value)
    if allowed is not None:
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"unknown {what}: {', '.join(unknown)}")
    return values


class AffiliateClient:
    """Pages through the feed. No auth; `wm` is our campaign slug, baked into revshare links."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        wm: str,
        client_ip: str = "request_ip",
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not wm:
            raise ValueError("affiliate: wm (campaign slug) is required")
        self._http = http
        self._url = base_url
        self._wm = wm
        # Rooms geo-blocking this IP are dropped from the feed; one fixed value keeps sweeps comparable.
        self._client_ip = client_ip
        self._retry = retry or RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=60.0)
        # The feed documents no limit; its operators advise at most one request per second.
        self._limiter = limiter if limiter is not None else RateLimiter(1.0)

    async def fetch_page(
        self,
        *,
        offset: int = 0,
        limit: int = MAX_PAGE_SIZE,
        gender: str | Iterable[str] = (),
        region: str | Iterable[str] = (),
        tag: str | Iterable[str] = (),
    ) -> AffiliatePage:
        """One page of the feed; records that fail validation are skipped and counted."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"affiliate: limit must be 1..{MAX_PAGE_SIZE}")
        if offset < 0:
            raise ValueError("affiliate: offset cannot be negative")
        tags = _values(tag, None, "tag")
        if len(tags) > MAX_TAGS:
            raise ValueError(f"affiliate: at most {MAX_TAGS} tags")
        params: list[tuple[str, str | int]] = [
            ("wm", self._wm),
            ("client_ip", self._client_ip),
            ("format", "json"),
            ("limit", limit),
            ("offset", offset),
        ]
        # Repeated keys (gender=m&gender=t) are how the feed takes several values.
        params += [("gender", g) for g in _values(gender, GENDERS, "gender")]
        params += [("region", r) for r in _values(region, REGIONS, "region")]
        params += [("tag", t) for t in tags]
        page: AffiliatePage = await request_json(
            self._http,
            "GET",
            self._url,
            source=SOURCE,
            retry=self._retry,
            limiter=self._limiter,
            params=params,
            parse=lambda raw: parse_page(raw, offset=offset),
        )
        return page

    async def sweep_pages(
        self,
        tally: SweepTally,
        *,
        gender: str | Iterable[str] = (),
        region: str | Iterable[str] = (),
        tag: str | Iterable[str] = (),
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[AffiliatePage]:
        """Page through the whole (filtered) feed, one parsed page at a time, counting into `tally`.

        Stops when a page is empty or the offset passes the reported count. The feed moves while
        we page, so a room may come twice (the caller keeps the later) or be missed. Only one page
        is held at a time: a caller that keeps what it needs of each bounds a sweep's memory.
        """
        offset = 0
        while True:
            page = await self.fetch_page(
                offset=offset, limit=page_size, gender=gender, region=region, tag=tag
            )
            tally.pages += 1
            tally.invalid += page.invalid
            tally.reported_count = page.count
            if page.records == 0:
                break
            yield page
            offset += page_size
            if offset >= page.count:
                break
        tally.finished_at = datetime.now(UTC)

    async def fetch_all(
        self,
        *,
        gender: str | Iterable[str] = (),
        region: str | Iterable[str] = (),
        tag: str | Iterable[str] = (),
        page_size: int = MAX_PAGE_SIZE,
    ) -> AffiliateSweep:
        """Sweep the whole (filtered) feed into unique rooms (first-seen order, latest data)."""
        now = datetime.now(UTC)
        tally = SweepTally(started_at=now, finished_at=now)
        rooms: dict[str, AffiliateRoom] = {}
        duplicates = 0
        async for page in self.sweep_pages(tally, gender=gender, region=region, tag=tag, page_size=page_size):
            for room in page.rooms:
                if room.username in rooms:
                    duplicates += 1
                # Re-assigning keeps the first-seen position but the fresher data.
                rooms[room.username] = room
        sweep = AffiliateSweep(
            rooms=list(rooms.values()),
            reported_count=tally.reported_count,
            pages=tally.pages,
            duplicates=duplicates,
            invalid=tally.invalid,
            started_at=tally.started_at,
            finished_at=tally.finished_at,
        )
        log_sweep(len(sweep.rooms), tally, duplicates)
        return sweep


def log_sweep(rooms: int, tally: SweepTally, duplicates: int) -> None:
    logger.info(
        "affiliate: sweep of %d rooms in %d pages (%d duplicates dropped, %d invalid skipped)",
        rooms,
        tally.pages,
        duplicates,
        tally.invalid,
    )
