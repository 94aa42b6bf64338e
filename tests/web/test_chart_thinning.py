"""Thinning a dense series for a chart: the drawn line keeps its ends, spikes and silences."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bs4 import BeautifulSoup

from service.web.charts import Series, line_chart
from service.web.thinning import stretches, thin

T0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
HOUR = 3600.0


def _values(points: list[tuple[datetime, float | None]]) -> list[float | None]:
    return [v for _, v in points]


def test_each_column_keeps_first_lowest_highest_and_last_in_time_order() -> None:
    """Six values in one column: the first, the dip, the spike and the last, nothing else."""
    seconds = [T0 + i * HOUR for i in range(6)]
    values = [5.0, 4.0, 1.0, 9.0, 7.0, 6.0]
    ranges = stretches(seconds, start=T0, end=T0 + 6 * HOUR, columns=1, max_gap=2 * HOUR)
    assert _values(thin(seconds, values, ranges)) == [5.0, 1.0, 9.0, 6.0]
    # A dip and a spike the chart could not show (within one unit of the ends) are left out.
    assert _values(thin(seconds, values, ranges, tolerance=5.0)) == [5.0, 6.0]
    assert _values(thin(seconds, values, ranges, tolerance=3.5)) == [5.0, 1.0, 6.0]


def test_columns_split_the_window_evenly() -> None:
    """Ten hours over five columns: two values each, all of them kept."""
    seconds = [T0 + i * HOUR for i in range(10)]
    ranges = stretches(seconds, start=T0, end=T0 + 10 * HOUR, columns=5, max_gap=2 * HOUR)
    assert [(first, end) for first, end, _ in ranges] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert _values(thin(seconds, [float(i) for i in range(10)], ranges)) == [float(i) for i in range(10)]


def test_a_silence_stays_a_break_even_inside_a_column() -> None:
    """A three-hour silence with a 2.5-hour limit: a None between the values before and after it."""
    seconds = [T0, T0 + HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]
    ranges = stretches(seconds, start=T0, end=T0 + 5 * HOUR, columns=1, max_gap=2.5 * HOUR)
    points = thin(seconds, [1.0, 2.0, 3.0, 4.0], ranges)
    assert _values(points) == [1.0, 2.0, None, 3.0, 4.0]
    times = [moment for moment, _ in points]
    assert times == sorted(times)  # the break lies inside the silence


def _drawn(points: list[tuple[datetime, float | None]]) -> BeautifulSoup:
    end = datetime.fromtimestamp(T0 + 365 * 24 * HOUR, UTC)
    start = datetime.fromtimestamp(T0, UTC)
    chart = line_chart([Series("db", points, split_on_time=False)], title="t", start=start, end=end)
    return BeautifulSoup(str(chart), "html.parser")


def test_a_thinned_year_draws_the_same_runs_axis_and_extremes() -> None:
    """A year of hourly values with silences and one spike: the thinned chart has the same lines and
    lone dots, the same axis, and still reaches the spike, from a small part of the points."""
    rng = random.Random(7)
    seconds, values = [], []
    level = 100.0
    for hour in range(365 * 24):
        if 4000 <= hour < 4168 or (hour % 24 == 3 and rng.random() < 0.3):
            continue  # a week away and some nights off
        level += rng.uniform(0, 0.2)
        seconds.append(T0 + hour * HOUR)
        values.append(level + (400.0 if hour == 6000 else rng.uniform(0, 1)))
    ranges = stretches(seconds, start=T0, end=T0 + 365 * 24 * HOUR, columns=286, max_gap=2.5 * HOUR)
    thinned = thin(seconds, values, ranges, tolerance=1.0)
    full: list[tuple[datetime, float | None]] = []
    for n, (moment, value) in enumerate(zip(seconds, values, strict=True)):
        if n and moment - seconds[n - 1] > 2.5 * HOUR:
            full.append((datetime.fromtimestamp(moment - 1, UTC), None))
        full.append((datetime.fromtimestamp(moment, UTC), value))
    a, b = _drawn(full), _drawn(thinned)
    assert len(thinned) < len(full) / 4
    assert len(a.select("polyline")) == len(b.select("polyline"))
    assert len(a.select("circle")) == len(b.select("circle"))
    assert [t.text for t in a.select("text.ylabel")] == [t.text for t in b.select("text.ylabel")]
    assert max(v for v in _values(thinned) if v is not None) == max(values)  # the spike
