"""Client for CBHours (rank and online tracker). No auth, but 1 request/second or a block."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from service.sources import bounds
from service.sources.base import SourceNotFoundError, SourceResponseError
from service.sources.cbhours.models import (
    ActivityBody,
    CBHoursActivity,
    CBHoursLive,
    CBHoursLiveRoom,
    LiveBody,
    Month,
)
from service.sources.http import (
    RateLimiter,
    RetryPolicy,
    check_names,
    request_json,
    validate_as,
    validation_summary,
)

logger = logging.getLogger(__name__)

SOURCE = "cbhours"
MAX_LIVE_NAMES = 50
MAX_SPAN_DAYS = 60
NOT_TRACKED_MARK = "Error Code:300"

_LIVE = TypeAdapter(LiveBody)
_LIVE_ROOM = TypeAdapter(CBHoursLiveRoom)
_ACTIVITY = TypeAdapter(ActivityBody)
_MONTHS = TypeAdapter(list[Month])


class CBHoursNotTrackedError(SourceNotFoundError):
    """CBHours error 300: the model is not in its trophy database (icon in bio + studio search)."""


def _raise_if_error(body: Any, what: str) -> None:
    # Failure is `"status": "error"` in an otherwise 200 answer; success has `"status": true`
    # (or no status at all), so a plain truthiness test would take the error for success.
    if isinstance(body, dict) and body.get("status") == "error":
        message = str(body.get("message", ""))[:200]
        if NOT_TRACKED_MARK in message:
            raise CBHoursNotTrackedError(f"{SOURCE}: {what}: not tracked by CBHours ({message})")
        raise SourceResponseError(f"{SOURCE}: {what}: {message or 'unspecified error'}")


class CBHoursClient:
    """get_live / get_activity / get_months, paced by a shared limiter (default 1 req/s)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        domain: str = "cbhours",
    ) -> None:
        self._http = http
        self._url = base_url
        self._retry = retry or RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=60.0)
        # Documented limit: 1 request/second; bursting earns a temporary block.
        self._limiter = limiter if limiter is not None else RateLimiter(1.0)
        self._domain = domain

    async def _get(self, params: dict[str, str | int], what: str) -> Any:
        try:
            body = await request_json(
                self._http,
                "GET",
                self._url,
                source=SOURCE,
                retry=self._retry,
                limiter=self._limiter,
                params=params,
            )
        except SourceResponseError as exc:
            # The HTTP code of error 300 is undocumented: if it comes with a 4xx, keep its meaning.
            if NOT_TRACKED_MARK in str(exc) and not isinstance(exc, CBHoursNotTrackedError):
                raise CBHoursNotTrackedError(
                    f"{SOURCE}: {what}: not tracked by CBHours", status=exc.status
                ) from exc
            raise
        _raise_if_error(body, what)
        return body

    async def get_live(self, usernames: Sequence[str]) -> CBHoursLive:
        """Live status of up to 50 names in one call; untracked names come back in `missing`."""
        names = check_names(usernames, limit=MAX_LIVE_NAMES, what=f"{SOURCE} get_live")
        if not names:
            return CBHoursLive(server_up=True, rooms={}, missing=[], invalid=0)
        body = await self._get({"action": "get_live", "usernames": ",".join(names)}, "get_live")
        live = validate_as(_LIVE, body, source=SOURCE, what="get_live")
        rooms: dict[str, CBHoursLiveRoom] = {}
        invalid = 0
        for name, entry in live.data.items():
            try:
                with bounds.tally():  # a skipped entry's nulled values are not counted
                    room = _LIVE_ROOM.validate_python({**entry, "username": name})
            except ValidationError as exc:
                invalid += 1
                logger.warning("cbhours: skipped get_live entry %r: %s", name, validation_summary(exc))
                continue
            rooms[name.lower()] = room
        missing = [n for n in names if n.lower() not in rooms]
        return CBHoursLive(
            server_up=(live.server_status or "up").lower() == "up",
            rooms=rooms,
            missing=missing,
            invalid=invalid,
        )

    async def get_activity(
        self,
        username: str,
        start_date: date,
        end_date: date,
        tzo: int = 0,
        include_details: bool = True,
    ) -> CBHoursActivity:
        """Sessions between two dates (inclusive, at most 60 days). tzo: minutes east of GMT."""
        if not username:
            raise ValueError("cbhours: username is required")
        if end_date < start_date:
            raise ValueError("cbhours: end_date is before start_date")
        if (end_date - start_date).days + 1 > MAX_SPAN_DAYS:
            raise ValueError(f"cbhours: at most {MAX_SPAN_DAYS} days per get_activity call")
        if not -720 <= tzo <= 840:
            raise ValueError("cbhours: tzo is minutes from GMT, -720..840 (west negative)")
        params: dict[str, str | int] = {
            "action": "get_activity",
            "domain": self._domain,
            "username": username,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "tzo": tzo,
            "include_details": "true" if include_details else "false",
        }
        body = await self._get(params, f"get_activity {username}")
        activity = validate_as(_ACTIVITY, body, source=SOURCE, what="get_activity", context={"tzo": tzo})
        if activity.status is not True:
            raise SourceResponseError(f"{SOURCE}: get_activity {username}: status is not true")
        segments = sorted((s for day in activity.details.values() for s in day), key=lambda s: s.timestamp)
        return CBHoursActivity(
            username=activity.model,
            start_date=start_date,
            end_date=end_date,
            tzo=tzo,
            total_minutes=activity.total_time.hours * 60 + activity.total_time.minutes,
            days_online=sorted(activity.activity),
            segments=segments,
        )

    async def get_months(self, username: str) -> list[str]:
        """Months ("YYYY-MM", as sent: newest first) with recorded activity."""
        if not username:
            raise ValueError("cbhours: username is required")
        params: dict[str, str | int] = {"action": "get_months", "domain": self._domain, "username": username}
        body = await self._get(params, f"get_months {username}")
        return validate_as(_MONTHS, body, source=SOURCE, what="get_months")
