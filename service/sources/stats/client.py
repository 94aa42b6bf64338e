"""Client for the Chaturbate Stats API: a snapshot of our own account."""

from __future__ import annotations

import httpx

from service.sources.http import RateLimiter, RetryPolicy, request_json
from service.sources.stats.models import StatsSnapshot

SOURCE = "stats"


class StatsClient:
    """GET <base_url>?username=&token=. The token travels in the query, so every URL we show is redacted."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = http
        self._url = base_url
        # Polled every few minutes at most: a short policy, the next cycle is the real retry.
        self._retry = retry or RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=30.0)
        self._limiter = limiter

    async def get_stats(self, username: str, token: str) -> StatsSnapshot:
        """The current snapshot; 401/403 bad token, 404 unknown account (base.py exceptions)."""
        if not username or not token:
            raise ValueError("stats: username and token are required")
        snapshot: StatsSnapshot = await request_json(
            self._http,
            "GET",
            self._url,
            source=SOURCE,
            retry=self._retry,
            limiter=self._limiter,
            params={"username": username, "token": token},
            secrets=(token,),
            parse=StatsSnapshot.model_validate_json,
        )
        return snapshot
