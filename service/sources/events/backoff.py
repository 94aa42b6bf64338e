"""How long to wait before retrying the same Events URL: capped exponential backoff with full jitter.

Pure: no sleeping and no clock of its own. The random source (and, for Retry-After dates, the current
time) is injected so tests can pin the numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field


def _default_random() -> float:
    # Jitter only spreads retries out; it protects nothing, so a non-cryptographic source is right.
    return random.random()  # noqa: S311


@dataclass
class Backoff:
    """Delay policy for one retry loop: call `next_delay()` after each failure, `reset()` after a success.

    The n-th consecutive failure waits a uniform random time in [0, min(cap, base * factor**n)]
    ("full jitter"), so many clients that failed together do not retry together. A Retry-After from
    the server is a floor, but never beyond `cap`: a server asking for an hour must not stall the
    stream for longer than we agreed to wait.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: bool = True
    rand: Callable[[], float] = _default_random
    _ceiling: float = field(init=False, repr=False)
    _failures: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if not (0 < self.base <= self.cap) or self.factor < 1:
            raise ValueError("Backoff needs 0 < base <= cap and factor >= 1")
        self._ceiling = self.base

    @property
    def failures(self) -> int:
        """Consecutive failures since the last reset (for status display)."""
        return self._failures

    def next_delay(self, retry_after: float | None = None) -> float:
        """Seconds to wait before the next attempt; advances the policy by one failure."""
        ceiling = self._ceiling
        # Grow multiplicatively and clamp at once, so thousands of failures never overflow a float.
        self._ceiling = min(self.cap, self._ceiling * self.factor)
        self._failures += 1
        delay = ceiling * self._unit() if self.jitter else ceiling
        if retry_after is not None and math.isfinite(retry_after):
            delay = max(delay, retry_after)
        return min(max(delay, 0.0), self.cap)

    def reset(self) -> None:
        """Forget past failures: the next failure starts again from `base`."""
        self._ceiling = self.base
        self._failures = 0

    def _unit(self) -> float:
        value = self.rand()
        # A custom source outside [0, 1] must not produce negative or over-cap waits.
        return min(max(value, 0.0), 1.0)
