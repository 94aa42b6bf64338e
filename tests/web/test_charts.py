"""The server-side SVG chart: gaps stay gaps, text is escaped, axes are readable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from service.web.charts import (
    HeatCell,
    Series,
    compact_number,
    downsample,
    heatmap,
    line_chart,
    nice_step,
    segments,
    time_ticks,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _hours(*values: float | None) -> list[tuple[datetime, float | None]]:
    return [(T0 + timedelta(hours=i), v) for i, v in enumerate(values)]


def _svg(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def test_none_breaks_the_line() -> None:
    """A missing value splits the series in two runs; nothing is interpolated across it."""
    runs = segments(_hours(1, 2, None, 4, 5))
    assert [[v for _, v in run] for run in runs] == [[1.0, 2.0], [4.0, 5.0]]


def test_silence_longer_than_max_gap_breaks_the_line() -> None:
    """Points three hours apart with a two-hour limit are drawn as separate runs."""
    points = [(T0, 1.0), (T0 + timedelta(hours=1), 2.0), (T0 + timedelta(hours=4), 3.0)]
    assert len(segments(points, max_gap=timedelta(hours=2))) == 2
    assert len(segments(points)) == 1


def test_chart_draws_one_polyline_per_run_and_a_dot_for_a_lone_value() -> None:
    """Two runs of two points and a lone value: two polylines and one circle."""
    soup = _svg(line_chart([Series("followers", _hours(1, 2, None, 4, 5, None, 7))], title="Followers"))
    group = soup.select_one("g.series[data-series=followers]")
    assert group is not None
    assert len(group.select("polyline")) == 2
    assert len(group.select("circle")) == 1
    assert soup.select_one("svg")["role"] == "img"  # type: ignore[index]
    assert soup.select_one("svg title").text == "Followers"  # type: ignore[union-attr]


def test_empty_chart_says_so() -> None:
    """No points at all: the chart says there is no data instead of drawing axes around nothing."""
    soup = _svg(line_chart([Series("rank", _hours(None, None))], title="Rank"))
    assert soup.select_one("text.empty").text == "No data for this period"  # type: ignore[union-attr]
    assert soup.select("polyline") == []


def test_points_outside_the_window_are_left_out() -> None:
    """A 2-hour window over 5 hours of data draws only the points inside it."""
    chart = line_chart([Series("x", _hours(1, 2, 3, 4, 5))], title="x",
                       start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=5))  # fmt: skip
    coords = _svg(chart).select_one("polyline")["points"].split()  # type: ignore[index,union-attr]
    assert len(coords) == 2


def test_labels_are_escaped() -> None:
    """Series names and titles cannot inject markup."""
    chart = line_chart([Series("<script>x</script>", _hours(1, 2))], title='"><b>t</b>')
    assert "<script>" not in chart and "<b>" not in chart
    assert "&lt;script&gt;" in chart


def test_axis_helpers() -> None:
    """Ticks use 1/2/5 steps, time ticks fall inside the range, numbers stay short."""
    assert nice_step(100) == 50 and nice_step(7) == 2
    ticks = time_ticks(T0, T0 + timedelta(days=7))
    assert 3 <= len(ticks) <= 8 and all(T0 <= t <= T0 + timedelta(days=7) for t in ticks)
    assert (
        compact_number(1234) == "1.2k" and compact_number(2_500_000) == "2.5M" and compact_number(12) == "12"
    )


def test_downsample_keeps_one_value_per_bucket_and_the_breaks() -> None:
    """A day of minute values thinned to 24 buckets: 24 values, and a silence stays a None."""
    points: list[tuple[datetime, float | None]] = [(T0 + timedelta(minutes=i), float(i)) for i in range(1440)]
    points.insert(700, (T0 + timedelta(minutes=699, seconds=30), None))
    thinned = downsample(points, T0, T0 + timedelta(days=1), buckets=24)
    values = [v for _, v in thinned if v is not None]
    assert len(values) == 24 and values[-1] == 1439.0
    assert [v for _, v in thinned].count(None) == 0  # a break followed by values in its bucket is absorbed
    points.append((T0 + timedelta(days=1, seconds=-1), None))
    assert downsample(points, T0, T0 + timedelta(days=1), buckets=24)[-1][1] is None


def test_series_with_own_breaks_ignore_time_gaps() -> None:
    """A session's first and latest counts hours apart are one line when the series splits by None."""
    points = [(T0, 10.0), (T0 + timedelta(hours=5), 20.0), (T0 + timedelta(hours=5), None),
              (T0 + timedelta(days=2), 30.0), (T0 + timedelta(days=2, hours=1), 31.0)]  # fmt: skip
    chart = line_chart([Series("a", points, split_on_time=False)], title="a", max_gap=timedelta(hours=1))
    assert len(_svg(chart).select("polyline")) == 2
    chart = line_chart([Series("a", points)], title="a", max_gap=timedelta(hours=1))
    assert len(_svg(chart).select("circle")) == 2 and len(_svg(chart).select("polyline")) == 1


def _y_labels(svg: str) -> list[str]:
    return [label.get_text() for label in BeautifulSoup(svg, "html.parser").select("text.ylabel")]


@pytest.mark.parametrize("value", [358_700.0, 7.0, 0.0, 1_234_567.0, 0.25])
def test_a_flat_or_single_point_series_has_distinct_axis_labels(value: float) -> None:
    """One value (or a flat line) must not repeat one label ("358.7k") down the whole axis."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for points in ([(start, value)], [(start, value), (start + timedelta(hours=5), value)]):
        labels = _y_labels(str(line_chart([Series("followers", points)], title="t")))
        assert len(labels) >= 2
        assert len(set(labels)) == len(labels), labels


def test_labels_stay_distinct_when_the_range_is_narrow_for_the_format() -> None:
    """365,100 → 365,200 is a range the compact format ("365.1k") cannot tell apart tick by tick."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    points = [
        (start, 365_100.0),
        (start + timedelta(hours=1), 365_140.0),
        (start + timedelta(hours=2), 365_200.0),
    ]
    labels = _y_labels(str(line_chart([Series("followers", points)], title="t")))
    assert len(labels) >= 2
    assert len(set(labels)) == len(labels), labels


def test_the_chart_fills_its_container() -> None:
    """The SVG scales to the card (CSS sets the width); no fixed width attribute caps it."""
    svg = BeautifulSoup(
        str(line_chart([Series("x", [(datetime(2026, 1, 1, tzinfo=UTC), 1.0)])], title="t")), "html.parser"
    ).svg
    assert svg is not None
    assert svg.get("width") in (None, "100%")
    assert svg.get("viewbox")  # html.parser lower-cases attribute names


def test_heatmap_colours_by_value_and_marks_thin_and_empty_cells() -> None:
    """Lowest value → heat0, highest → heat5; a thin cell is hatched; a None cell is an empty box."""
    cells = [HeatCell(0, 0, 10.0, "4 h"), HeatCell(0, 1, 70.0, "5 h"), HeatCell(1, 0, 40.0, "1 h", thin=True),
             HeatCell(1, 1, None, title="never")]  # fmt: skip
    svg = BeautifulSoup(
        str(heatmap(cells, title="t", rows=["a", "b"], cols=["x", "y"], slug="s")), "html.parser"
    )
    classes = {(g["data-row"], g["data-col"]): g["class"] for g in svg.select("g.cell")}
    assert classes[("0", "0")] == ["cell", "heat0"]
    assert classes[("0", "1")] == ["cell", "heat5"]
    assert classes[("1", "0")] == ["cell", "heat3", "thin"]
    assert len(svg.select("rect.hatched")) == 1 and svg.select_one("pattern#hatch-s") is not None
    assert svg.select_one("rect.heat-empty title").get_text() == "never"  # type: ignore[union-attr]


def test_heatmap_on_a_fixed_scale() -> None:
    """Shares on 0–100: 50 is the middle step and 99 the top one, whatever else is shown."""
    cells = [HeatCell(0, 0, 50.0), HeatCell(0, 1, 99.0)]
    markup = heatmap(cells, title="t", rows=["a"], cols=["x", "y"], slug="s", scale=(0.0, 100.0))
    svg = BeautifulSoup(str(markup), "html.parser")
    assert [g["class"] for g in svg.select("g.cell")] == [["cell", "heat3"], ["cell", "heat5"]]
