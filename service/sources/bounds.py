"""Plausible ranges for the integers upstreams send, shared by every upstream model.

An age of 999, followers of -5 or 10**30 say nothing true, and past 2**63 a value cannot even be
stored (SQLite raises OverflowError, which used to drop a whole 5,000-room sweep). So every
integer from an upstream goes through one of the types below:

- a *nullable* field out of range becomes None and is counted (`tally()`), so the rest of the
  record is kept;
- a field the record cannot do without rejects only that record, which the caller skips and
  counts as invalid like any other broken record.

The job runner opens a `tally()` around each run and puts the count in the run's summary and the
log; validation anywhere inside the run (parsers run in the job's own task) adds to it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

logger = logging.getLogger(__name__)

# SQLite's INTEGER is a signed 64-bit value.
INT64_MAX = 2**63 - 1
# No follower, viewer, token or session count on these sites comes near a billion.
MAX_COUNT = 10**9
# Chaturbate broadcasters are adults; nobody broadcasting is a hundred.
MIN_AGE, MAX_AGE = 18, 99


class OutOfRangeTally:
    """Values made None because they were out of range, counted per field name."""

    def __init__(self) -> None:
        self.fields: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.fields.values())

    def add(self, other: OutOfRangeTally) -> None:
        self.fields.update(other.fields)

    def describe(self) -> str:
        """'3 out-of-range values nulled (age 2, num_followers 1)', or '' when there were none."""
        if not self.total:
            return ""
        detail = ", ".join(f"{name} {count}" for name, count in sorted(self.fields.items()))
        return f"{self.total} out-of-range value{'s' if self.total != 1 else ''} nulled ({detail})"


_CURRENT: ContextVar[OutOfRangeTally | None] = ContextVar("out_of_range_tally", default=None)


@contextmanager
def tally() -> Iterator[OutOfRangeTally]:
    """Count the values nulled inside the block.

    On a normal exit the counts also go to the enclosing tally; when the block raises they are
    dropped, because a parse that failed (and is retried record by record, or skipped) stored
    nothing.
    """
    current = OutOfRangeTally()
    outer = _CURRENT.get()
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)
    if outer is not None:
        outer.add(current)


def _note(field: str, value: int, low: int, high: int) -> None:
    current = _CURRENT.get()
    if current is None:
        # Outside a job run nobody sums them up: say so at once.
        logger.warning("upstream value %s=%d outside %d..%d: stored as unknown", field, value, low, high)
    else:
        current.fields[field] += 1


def _nulling(low: int, high: int) -> Callable[[int | None, ValidationInfo], int | None]:
    def check(value: int | None, info: ValidationInfo) -> int | None:
        if value is None or low <= value <= high:
            return value
        _note(info.field_name or "?", value, low, high)
        return None

    return check


def _rejecting(low: int, high: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not low <= value <= high:
            # The value itself stays out of the message: it may be 30 digits long.
            raise ValueError(f"outside the plausible range {low}..{high}")
        return value

    return check


Count = Annotated[int | None, AfterValidator(_nulling(0, MAX_COUNT))]
Age = Annotated[int | None, AfterValidator(_nulling(MIN_AGE, MAX_AGE))]
Rank = Annotated[int | None, AfterValidator(_nulling(1, MAX_COUNT))]
# A signed change of a count or rank (e.g. Statbate's rank_change).
Delta = Annotated[int | None, AfterValidator(_nulling(-MAX_COUNT, MAX_COUNT))]
# Upstream ids (Statbate's did/rid overflow int32) and raw enum codes: anything SQLite can hold.
Id64 = Annotated[int | None, AfterValidator(_nulling(0, INT64_MAX))]
Int64 = Annotated[int | None, AfterValidator(_nulling(-INT64_MAX - 1, INT64_MAX))]

RequiredCount = Annotated[int, AfterValidator(_rejecting(0, MAX_COUNT))]
