"""Client for the Statbate Plus API (Bearer token; 120 requests/minute per account)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from service.sources.http import RateLimiter, RetryPolicy, check_names, request_json, validate_as
from service.sources.statbate.models import (
    Envelope,
    StatbateBatch,
    StatbateMemberInfo,
    StatbateMemberTip,
    StatbateModelInfo,
    StatbateModelRank,
)

SOURCE = "statbate"
SITES = frozenset({"chaturbate", "stripchat", "bongacams", "camsoda", "mfc"})
MAX_BATCH = 100
MAX_PER_PAGE = 200
# We always ask for UTC so that naive times in answers can be read as UTC.
TIMEZONE = "UTC"

_MEMBER = TypeAdapter(Envelope[StatbateMemberInfo])
_BATCH = TypeAdapter(Envelope[list[StatbateMemberInfo]])
_TIPS = TypeAdapter(Envelope[list[StatbateMemberTip]])
_MODEL = TypeAdapter(Envelope[StatbateModelInfo])
_RANK = TypeAdapter(Envelope[StatbateModelRank])


def format_range_bound(moment: datetime) -> str:
    """`range[n]` text: UTC `YYYY-MM-DD HH:MM:SS`. Naive input is refused as ambiguous."""
    if moment.tzinfo is None:
        raise ValueError("statbate: range bounds must be timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _range(start: datetime | None, end: datetime | None) -> dict[str, str | int]:
    if start is None and end is None:
        return {}
    if start is None or end is None:
        raise ValueError("statbate: give both range bounds or neither")
    if end < start:
        raise ValueError("statbate: range end is before its start")
    # Literal bracketed keys, as the API (Laravel) expects; httpx percent-encodes the brackets.
    return {"range[0]": format_range_bound(start), "range[1]": format_range_bound(end)}


class StatbateClient:
    """Member and model look-ups. 404 (unknown name for that role) raises SourceNotFoundError."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not token:
            raise ValueError("statbate: token is required")
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token
        self._retry = retry or RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=60.0)
        # The account bucket is 120/min; one per second leaves headroom for other callers.
        self._limiter = limiter if limiter is not None else RateLimiter(1.0)

    def _path(self, *parts: str) -> str:
        for part in parts:
            if not part:
                raise ValueError("statbate: empty path segment (site or name)")
        return self._base + "/" + "/".join(quote(p, safe="") for p in parts)

    async def _call(
        self, method: str, url: str, *, params: dict[str, str | int] | None = None, body: Any = None
    ) -> Any:
        return await request_json(
            self._http,
            method,
            url,
            source=SOURCE,
            retry=self._retry,
            limiter=self._limiter,
            params=params,
            json_body=body,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            secrets=(self._token,),
        )

    @staticmethod
    def _site(site: str) -> str:
        if site not in SITES:
            raise ValueError(f"statbate: unknown site {site!r}")
        return site

    async def members_info_batch(self, names: Sequence[str], site: str = "chaturbate") -> StatbateBatch:
        """Info for up to 100 members in one request; unknown names come back with `error` set."""
        cleaned = check_names(names, limit=MAX_BATCH, what=f"{SOURCE} members_info_batch")
        if not cleaned:
            return StatbateBatch(members=[], found=0, requested=0)
        url = self._path("members", self._site(site), "info", "batch")
        payload = await self._call("POST", url, body={"names": cleaned, "timezone": TIMEZONE})
        answer = validate_as(_BATCH, payload, source=SOURCE, what="members info batch")
        members = answer.data
        found = answer.meta.found if answer.meta.found is not None else sum(m.found for m in members)
        requested = answer.meta.requested if answer.meta.requested is not None else len(cleaned)
        return StatbateBatch(members=members, found=found, requested=requested)

    async def member_info(self, name: str, site: str = "chaturbate") -> StatbateMemberInfo:
        """One member's profile (404 → SourceNotFoundError)."""
        url = self._path("members", self._site(site), name, "info")
        payload = await self._call("GET", url, params={"timezone": TIMEZONE})
        return validate_as(_MEMBER, payload, source=SOURCE, what="member info").data

    async def member_tips(
        self,
        name: str,
        start: datetime,
        end: datetime,
        site: str = "chaturbate",
        per_page: int = MAX_PER_PAGE,
    ) -> list[StatbateMemberTip]:
        """Every tip by `name` in [start, end], following meta.pagination to the last page."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"statbate: per_page must be 1..{MAX_PER_PAGE}")
        url = self._path("members", self._site(site), name, "tips")
        params: dict[str, str | int] = {**_range(start, end), "timezone": TIMEZONE, "per_page": per_page}
        tips: list[StatbateMemberTip] = []
        page = 1
        while True:
            payload = await self._call("GET", url, params={**params, "page": page})
            answer = validate_as(_TIPS, payload, source=SOURCE, what="member tips")
            tips.extend(answer.data)
            pagination = answer.meta.pagination
            # Our own counter bounds the loop even if the server repeats a page number.
            if pagination is None or not answer.data or page >= pagination.last_page:
                return tips
            page += 1

    async def model_info(
        self,
        name: str,
        site: str = "chaturbate",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> StatbateModelInfo:
        """A model's rank, sessions and income over the range (server default when omitted)."""
        url = self._path("model", self._site(site), name, "info")
        payload = await self._call("GET", url, params={**_range(start, end), "timezone": TIMEZONE})
        return validate_as(_MODEL, payload, source=SOURCE, what="model info").data

    async def model_rank(
        self,
        name: str,
        site: str = "chaturbate",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> StatbateModelRank:
        """A model's daily rank series and its summary over the range."""
        url = self._path("model", self._site(site), name, "rank")
        payload = await self._call("GET", url, params={**_range(start, end), "timezone": TIMEZONE})
        return validate_as(_RANK, payload, source=SOURCE, what="model rank").data
