"""Counting failed attempts in a sliding window, in memory (a restart forgives, which is fine)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    def __init__(self, *, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        cutoff = self._clock() - self._window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def blocked(self, key: str, limit: int) -> bool:
        return len(self._recent(key)) >= limit

    def record_failure(self, key: str) -> None:
        self._recent(key).append(self._clock())
        # Forget idle keys so an attacker cycling usernames cannot grow memory forever.
        if len(self._failures) > 10_000:
            for stale in [k for k, v in self._failures.items() if not v]:
                del self._failures[stale]

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
