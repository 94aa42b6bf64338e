"""Thinning a dense time series to what a line chart of a given width can show.

A year of hourly measurements is ~8,760 points; a chart 960 units wide cannot draw more than a few
per column, and formatting every point costs the page most of its time. `thin` keeps, in each
column and of each unbroken stretch of measurements, the first and the last value, and the lowest
and highest when they reach further than `tolerance` beyond those two (the M4 rule of Jugel et
al., VLDB 2014, less what the chart could not show): the line drawn from those is the line drawn
from all of them at that width, spikes included. Silences stay silences: where consecutive
measurements are further apart than `max_gap`, a None breaks the line, as `charts.segments` would
have done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from service.web.charts import Point


def stretches(
    seconds: Sequence[float], *, start: float, end: float, columns: int, max_gap: float
) -> list[tuple[int, int, bool]]:
    """[(first, end, broken)] index ranges of the measurements (Unix times, ascending) that share one
    of `columns` equal columns of [start, end] and an unbroken stretch; `broken` when a silence
    longer than `max_gap` seconds comes before the range."""
    ranges: list[tuple[int, int, bool]] = []
    if not seconds:
        return ranges
    width = (end - start) / columns if end > start else 1.0
    first, column = 0, int((seconds[0] - start) // width)
    broken = False
    for index in range(1, len(seconds)):
        silence = seconds[index] - seconds[index - 1] > max_gap
        here = int((seconds[index] - start) // width)
        if silence or here != column:
            ranges.append((first, index, broken))
            first, column, broken = index, here, silence
    ranges.append((first, len(seconds), broken))
    return ranges


def thin(
    seconds: Sequence[float],
    values: Sequence[float],
    ranges: Sequence[tuple[int, int, bool]],
    *,
    tolerance: float = 0.0,
) -> list[Point]:
    """The chart points of `values` (measured at `seconds`, Unix time, ascending) over the ranges
    `stretches` found: at most four per range, in time order, with a None at every silence."""
    points: list[Point] = []
    pick = values.__getitem__
    for first, end, broken in ranges:
        if broken:
            # Halfway through the silence: after the last value before it, before the first after it.
            points.append((_moment((seconds[first - 1] + seconds[first]) / 2), None))
        last = end - 1
        if end - first <= 2:
            kept: Sequence[int] = range(first, end)
        else:
            span = range(first, end)
            low, high = min(span, key=pick), max(span, key=pick)
            ends = (values[first], values[last])
            kept = sorted(
                {first, last}
                | ({low} if values[low] < min(ends) - tolerance else set())
                | ({high} if values[high] > max(ends) + tolerance else set())
            )
        points.extend((_moment(seconds[i]), values[i]) for i in kept)
    return points


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
