"""Server-side SVG line charts: no script, no CDN, so they render offline and under our CSP.

A missing value (None) or a silence longer than `max_gap` breaks the line: a chart must show
where nothing was collected, not draw a straight line across it as if values were known.
Colours come from CSS classes (`.chart .s1` …) because the CSP forbids inline `style`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

Point = tuple[datetime, float | None]

# Tick spacings the time axis may use, smallest first.
_TIME_STEPS = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
    timedelta(days=14),
    timedelta(days=30),
    timedelta(days=90),
    timedelta(days=365),
)
_MAX_TICKS = 6
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 64, 40, 12, 40


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[Point]
    css_class: str = "s1"
    # False for series whose points carry their own breaks (None after each broadcast session):
    # two points far apart are then still one stretch, e.g. a session's first and latest count.
    split_on_time: bool = True


def compact_number(value: float) -> str:
    """1234 → '1.2k', 2500000 → '2.5M': axis labels must stay short."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def segments(points: Sequence[Point], max_gap: timedelta | None = None) -> list[list[tuple[datetime, float]]]:
    """Split points into unbroken runs: at every None and wherever the gap exceeds `max_gap`."""
    runs: list[list[tuple[datetime, float]]] = []
    current: list[tuple[datetime, float]] = []
    for moment, value in sorted(points, key=lambda p: p[0]):
        too_far = max_gap is not None and current and moment - current[-1][0] > max_gap
        if value is None or too_far:
            if current:
                runs.append(current)
            current = []
        if value is not None:
            current.append((moment, float(value)))
    if current:
        runs.append(current)
    return runs


def nice_step(span: float, ticks: int = 4) -> float:
    """A 1/2/5 × 10^n step that cuts `span` into about `ticks` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def value_ticks(low: float, high: float, step: float | None = None) -> list[float]:
    step = step or nice_step(high - low)
    first = math.floor(low / step) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def _coarser(step: float) -> float:
    """The next 1/2/5 × 10^n step above `step`."""
    magnitude = 10 ** math.floor(math.log10(step))
    factor = step / magnitude
    for nxt in (2, 5, 10):
        if factor < nxt - 1e-9:
            return float(nxt * magnitude)
    return float(20 * magnitude)


def value_axis(low: float, high: float, y_format: Callable[[float], str]) -> tuple[float, float, float]:
    """(bottom, top, step) of a value axis over [low, high] whose tick labels are all different.

    A flat series (one point, or one value throughout) gets room around its value in proportion
    to its size, and a step too fine for the label format ("365.1k" for both 365,120 and
    365,140) is made coarser until every label says something of its own.
    """
    if low == high:
        pad = max(1.0, abs(low) * 0.05)
        low, high = (max(0.0, low - pad) if low >= 0 else low - pad), high + pad
    step = nice_step(high - low)
    while True:
        bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
        labels = [y_format(tick) for tick in value_ticks(bottom, top, step)]
        if len(set(labels)) == len(labels) or step >= abs(bottom) + abs(top):
            return bottom, top, step
        step = _coarser(step)


def time_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Ticks on round local-time boundaries (the axis is read in the user's time zone)."""
    span = end - start
    step = next((s for s in _TIME_STEPS if span / s <= _MAX_TICKS), _TIME_STEPS[-1])
    offset = start.astimezone().utcoffset() or timedelta(0)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    shifted = (start + offset - epoch) / step
    tick = epoch + step * math.ceil(shifted) - offset
    ticks = []
    while tick <= end:
        ticks.append(tick)
        tick += step
    return ticks


def _tick_label(moment: datetime, step: timedelta, span: timedelta) -> str:
    """Labels as precise as the tick spacing needs: hours within a day, dates across days."""
    local = moment.astimezone()
    if step < timedelta(days=1):
        return local.strftime("%H:%M" if span <= timedelta(days=1) else "%m-%d %H:%M")
    if step < timedelta(days=30):
        return local.strftime("%m-%d")
    return local.strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps data to pixels inside the plot area."""

    start: datetime
    end: datetime
    low: float
    high: float
    step: float  # between value ticks
    width: int
    height: int

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        inner = self.width - _PAD_LEFT - _PAD_RIGHT
        return _PAD_LEFT + inner * (moment - self.start).total_seconds() / span

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        inner = self.height - _PAD_TOP - _PAD_BOTTOM
        return _PAD_TOP + inner * (1 - (value - self.low) / span)


def _frame(
    runs: Sequence[Sequence[tuple[datetime, float]]],
    start: datetime | None,
    end: datetime | None,
    *,
    size: tuple[int, int],
    y_format: Callable[[float], str],
) -> _Frame:
    moments = [m for run in runs for m, _ in run]
    values = [v for run in runs for _, v in run]
    first = start or min(moments)
    last = end or max(moments)
    if last <= first:
        first, last = first - timedelta(hours=1), last + timedelta(hours=1)
    # The plot spans whole tick steps, so the top and bottom lines are labelled values.
    low, high, step = value_axis(min(values), max(values), y_format)
    return _Frame(first, last, low, high, step, *size)


def _axes(frame: _Frame, y_format: Callable[[float], str]) -> list[str]:
    parts = []
    right = frame.width - _PAD_RIGHT
    for tick in value_ticks(frame.low, frame.high, frame.step):
        y = frame.y(tick)
        parts.append(f'<line class="gridline" x1="{_PAD_LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="ylabel" x="{_PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(y_format(tick))}</text>"
        )
    bottom = frame.height - _PAD_BOTTOM
    span = frame.end - frame.start
    moments = time_ticks(frame.start, frame.end)
    step = moments[1] - moments[0] if len(moments) > 1 else span
    for moment in moments:
        x = frame.x(moment)
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}"/>')
        parts.append(
            f'<text class="xlabel" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">'
            f"{escape(_tick_label(moment, step, span))}</text>"
        )
    parts.append(f'<line class="axis" x1="{_PAD_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    return parts


def _lines(frame: _Frame, series: Series, runs: Sequence[Sequence[tuple[datetime, float]]]) -> list[str]:
    parts = [f'<g class="series {escape(series.css_class)}" data-series="{escape(series.label)}">']
    for run in runs:
        if len(run) == 1:  # a lone value between gaps is still a fact worth showing
            moment, value = run[0]
            parts.append(f'<circle cx="{frame.x(moment):.1f}" cy="{frame.y(value):.1f}" r="4"/>')
        else:
            coords = " ".join(f"{frame.x(m):.1f},{frame.y(v):.1f}" for m, v in run)
            parts.append(f'<polyline points="{coords}"/>')
    parts.append("</g>")
    return parts


def _legend(series: Sequence[Series], height: int) -> list[str]:
    parts = []
    x = _PAD_LEFT
    for item in series:
        parts.append(
            f'<g class="legend {escape(item.css_class)}"><rect x="{x}" y="{height - 12}" width="10" '
            f'height="10"/><text x="{x + 14}" y="{height - 3}">{escape(item.label)}</text></g>'
        )
        x += 24 + 7 * len(item.label)
    return parts


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    start: datetime | None = None,
    end: datetime | None = None,
    max_gap: timedelta | None = None,
    width: int = 960,
    height: int = 260,
    y_format: Callable[[float], str] = compact_number,
) -> Markup:
    """An inline <svg> line chart of one or more time series over [start, end]."""

    def inside(point: Point) -> bool:
        return (start is None or point[0] >= start) and (end is None or point[0] <= end)

    runs = {
        item.label: segments([p for p in item.points if inside(p)], max_gap if item.split_on_time else None)
        for item in series
    }
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
    if not any(runs.values()):
        # A short strip, not a full-height blank: the page should not scroll past nothing.
        short = 60
        empty = (
            f'<text class="empty" x="{width / 2:.0f}" y="{short / 2 + 5:.0f}" text-anchor="middle">'
            "No data for this period</text>"
        )
        head = head.replace(f'viewBox="0 0 {width} {height}"', f'viewBox="0 0 {width} {short}"')
        return Markup(head + empty + "</svg>")  # noqa: S704 — every interpolated text is escaped
    frame = _frame(
        [r for item_runs in runs.values() for r in item_runs],
        start,
        end,
        size=(width, height),
        y_format=y_format,
    )
    parts = [head, *_axes(frame, y_format)]
    for item in series:
        parts.extend(_lines(frame, item, runs[item.label]))
    parts.extend(_legend(series, height))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every interpolated text is escaped


def downsample(points: Sequence[Point], start: datetime, end: datetime, buckets: int = 360) -> list[Point]:
    """At most one value per bucket (its last), so a 60-day series of 3-minute segments stays a
    small SVG. A bucket that ends in a None keeps that break after its value: gaps survive."""
    if len(points) <= buckets:
        return list(points)
    width = (end - start) / buckets
    # bucket → (its last value, the time of a None that came after that value)
    kept: dict[int, tuple[Point | None, datetime | None]] = {}
    for point in points:
        index = int((point[0] - start) / width) if width else 0
        value, _ = kept.get(index, (None, None))
        kept[index] = (value, point[0]) if point[1] is None else (point, None)
    thinned: list[Point] = []
    for index in sorted(kept):
        value, broken_at = kept[index]
        if value is not None:
            thinned.append(value)
        if broken_at is not None:
            thinned.append((broken_at, None))
    return thinned


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under the bar (shown for every n-th bar when there are many)
    value: float
    title: str = ""  # the bar's tooltip; its label and value when empty


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 960,
    height: int = 200,
    css_class: str = "s1",
    y_format: Callable[[float], str] = compact_number,
) -> Markup:
    """An inline <svg> bar chart of labelled values (e.g. tokens per week); zero bars stay visible as
    gaps on a shared axis, so a quiet week reads as quiet, not as missing."""
    head = (
        f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    if not bars:
        return Markup(head + "</svg>")  # noqa: S704 — every interpolated text is escaped
    low, high, step = value_axis(0.0, max(1.0, *(bar.value for bar in bars)), y_format)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # the frame's time axis is unused: bars are placed by slot
    frame = _Frame(epoch, epoch, low, high, step, width, height)
    parts = [head]
    right = width - _PAD_RIGHT
    for tick in value_ticks(frame.low, frame.high, frame.step):
        y = frame.y(tick)
        parts.append(f'<line class="gridline" x1="{_PAD_LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="ylabel" x="{_PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(y_format(tick))}</text>"
        )
    slot = (right - _PAD_LEFT) / len(bars)
    every = max(1, math.ceil(len(bars) / 12))
    bottom = frame.y(0.0)
    parts.append(f'<g class="series {escape(css_class)}">')
    for n, bar in enumerate(bars):
        x, top = _PAD_LEFT + n * slot, frame.y(bar.value)
        tip = bar.title or f"{bar.label}: {y_format(bar.value)}"
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{max(bottom - top, 0):.1f}"><title>{escape(tip)}</title></rect>'
        )
        if n % every == 0:
            parts.append(
                f'<text class="xlabel" x="{x + slot / 2:.1f}" y="{bottom + 18:.1f}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    parts.append("</g>")
    parts.append(f'<line class="axis" x1="{_PAD_LEFT}" y1="{bottom:.1f}" x2="{right}" y2="{bottom:.1f}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every interpolated text is escaped


# --------------------------------------------------------------------------- heatmap (Room › Insights)

_HEAT_LEVELS = 6  # CSS classes heat0 (lowest) … heat5 (highest)
_HEAT_LEFT, _HEAT_TOP, _HEAT_CELL_H = 44, 22, 38


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One cell of a heatmap: its value (None: nothing behind it), a short note drawn under the value
    (e.g. the hours it rests on) and whether it is thin (drawn faded and hatched: uncertain)."""

    row: int
    col: int
    value: float | None
    note: str = ""
    thin: bool = False
    title: str = ""


def heatmap(
    cells: Sequence[HeatCell],
    *,
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    slug: str,
    width: int = 960,
    label_width: int = _HEAT_LEFT,
    scale: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = compact_number,
) -> Markup:
    """An inline <svg> grid (rows × cols) coloured by value in six steps from the lowest to the highest
    value shown (or over a fixed `scale`, e.g. 0–100 for shares); empty cells stay blank, thin ones are
    faded and hatched so they read as uncertain. `slug` names the hatch pattern, unique per chart on a
    page."""
    height = _HEAT_TOP + _HEAT_CELL_H * len(rows) + 8
    left = label_width
    cell_w = (width - left - 8) / max(1, len(cols))
    pattern = f"hatch-{escape(slug)}"
    parts = [
        f'<svg class="chart heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line class="hatch" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>'
    ]
    for n, label in enumerate(cols):
        parts.append(
            f'<text class="xlabel" x="{left + (n + 0.5) * cell_w:.1f}" y="{_HEAT_TOP - 8}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for n, label in enumerate(rows):
        parts.append(
            f'<text class="ylabel" x="{left - 6}" y="{_HEAT_TOP + (n + 0.5) * _HEAT_CELL_H + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    values = [c.value for c in cells if c.value is not None]
    low, high = scale or ((min(values), max(values)) if values else (0.0, 0.0))
    for cell in cells:
        x, y = left + cell.col * cell_w, _HEAT_TOP + cell.row * _HEAT_CELL_H
        box = f'x="{x + 1:.1f}" y="{y + 1:.1f}" width="{cell_w - 2:.1f}" height="{_HEAT_CELL_H - 2}"'
        if cell.value is None:
            parts.append(f'<rect class="heat-empty" {box}><title>{escape(cell.title)}</title></rect>')
            continue
        level = (
            0 if high == low else min(_HEAT_LEVELS - 1, int((cell.value - low) / (high - low) * _HEAT_LEVELS))
        )
        kind = f"heat{level}" + (" thin" if cell.thin else "")
        parts.append(
            f'<g class="cell {kind}" data-row="{cell.row}" data-col="{cell.col}">'
            f"<rect {box}/><title>{escape(cell.title)}</title>"
        )
        if cell.thin:
            parts.append(f'<rect class="hatched" {box} fill="url(#{pattern})"/>')
        parts.append(
            f'<text class="value" x="{x + cell_w / 2:.1f}" y="{y + 16:.1f}" text-anchor="middle">'
            f"{escape(y_format(cell.value))}</text>"
            f'<text class="note" x="{x + cell_w / 2:.1f}" y="{y + 30:.1f}" text-anchor="middle">'
            f"{escape(cell.note)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every interpolated text is escaped
