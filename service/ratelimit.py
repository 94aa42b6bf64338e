"""Sign-in throttling per account, in memory (a restart forgives, which is fine).

Every client of a loopback service is 127.0.0.1, so the client address identifies nobody and a
per-client limit would let any local process lock everyone out. The account is the key: a few
attempts are free, then each further attempt has to wait a lock that doubles per failure, up to a
cap. Brute force stays infeasible (one guess per cap, once the cap is reached) while failures under
other names never touch the owner's account.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Beyond this many tracked names, forgotten ones are dropped, so cycling names cannot grow memory.
MAX_TRACKED = 10_000


@dataclass(slots=True)
class _Account:
    attempts: int
    last_at: float


class LoginThrottle:
    def __init__(
        self,
        *,
        free_attempts: int,
        first_lock_seconds: float,
        max_lock_seconds: float,
        forget_after_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = free_attempts
        self._first_lock = first_lock_seconds
        self._max_lock = max_lock_seconds
        self._forget_after = forget_after_seconds
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def _current(self, key: str) -> _Account | None:
        account = self._accounts.get(key)
        if account is not None and self._clock() - account.last_at >= self._forget_after:
            del self._accounts[key]
            return None
        return account

    def _lock_seconds(self, attempts: int) -> float:
        if attempts < self._free:
            return 0.0
        # Doubling from the first lock; the exponent is capped so the number stays small.
        return min(self._first_lock * 2.0 ** min(attempts - self._free, 62), self._max_lock)

    def retry_after(self, key: str) -> int:
        """Whole seconds until this account may try again; 0 when it may try now."""
        account = self._current(key)
        if account is None:
            return 0
        remaining = account.last_at + self._lock_seconds(account.attempts) - self._clock()
        return max(0, math.ceil(remaining))

    def record_attempt(self, key: str) -> None:
        """Count an attempt before the password is checked, so parallel guesses cannot slip past the
        count while one of them waits for the database; a successful sign-in clears it."""
        account = self._current(key)
        if account is None:
            self._forget_stale()
            self._accounts[key] = _Account(attempts=1, last_at=self._clock())
        else:
            account.attempts += 1
            account.last_at = self._clock()

    def clear(self, key: str) -> None:
        self._accounts.pop(key, None)

    def tracked(self) -> int:
        return len(self._accounts)

    def _forget_stale(self) -> None:
        if len(self._accounts) < MAX_TRACKED:
            return
        now = self._clock()
        for key in [k for k, a in self._accounts.items() if now - a.last_at >= self._forget_after]:
            del self._accounts[key]
        if len(self._accounts) >= MAX_TRACKED:
            # Still full of recent names: drop those with the fewest attempts, oldest first (the flood
            # itself), never one that is locked, so a flood cannot wipe a targeted account's count.
            cheap = sorted(
                (k for k, a in self._accounts.items() if a.attempts < self._free),
                key=lambda k: (self._accounts[k].attempts, self._accounts[k].last_at),
            )
            # Down to 90% at once, so a flood of new names sorts once per thousand, not once each.
            for key in cheap[: len(self._accounts) - MAX_TRACKED * 9 // 10]:
                del self._accounts[key]
