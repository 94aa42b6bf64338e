"""Admin › System Stats: the database and image store over time, from the hourly `system_stats` job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from markupsafe import Markup

from service.clock import utcnow
from service.permissions import Permission
from service.store import system_stats
from service.store.system_stats import SizeHistory, SystemStat
from service.web.access import requires
from service.web.charts import Series, compact_number, line_chart
from service.web.keys import db_key
from service.web.render import render
from service.web.thinning import stretches, thin

WINDOWS = {"7": 7, "30": 30, "90": 90, "all": None}
DEFAULT_WINDOW = "30"
MIB = 2**20
# Recorded hourly: a silence of more than two intervals means the service was not running.
MAX_GAP = timedelta(hours=2, minutes=30)
DAY_SECONDS = 86400
# The charts keep a few points per column of their width (thinning.py): 286 columns of three units
# of the 856-unit plot, about the width of the line (2 units) drawn through them; and a low or high
# only when it reaches further than one unit of the plot's 208-unit height.
CHART_COLUMNS = 286
CHART_PLOT_HEIGHT = 208


@dataclass(frozen=True, slots=True)
class TableGrowth:
    name: str
    rows: int
    last_day: int | None  # change over the last 24 h, None without a measurement that old
    per_day: float | None  # average change per day over the window


def mib(value: float) -> str:
    """A size for the page: MiB, or KiB below a tenth of one (a day-one image store is not "0 MiB")."""
    if 0 < value < MIB / 10:
        return compact_number(max(1, round(value / 1024))) + " KiB"
    return compact_number(round(value / MIB, 1)) + " MiB"


def daily_growth(history: SizeHistory) -> tuple[list[tuple[datetime, float | None]], ...]:
    """(database, images) bytes added per UTC day, from each day's last measurement; a day without
    measurements is a gap (None)."""
    last_of_day = {int(seconds // DAY_SECONDS): i for i, seconds in enumerate(history.seconds)}
    db_points: list[tuple[datetime, float | None]] = []
    image_points: list[tuple[datetime, float | None]] = []
    if len(last_of_day) < 2:
        return db_points, image_points
    first, last = min(last_of_day), max(last_of_day)
    for day in range(first + 1, last + 1):
        today, before = last_of_day.get(day), last_of_day.get(day - 1)
        moment = datetime.fromtimestamp(
            day * DAY_SECONDS + DAY_SECONDS / 2, UTC
        )  # mid-day: the day as a whole
        if today is not None and before is not None:
            db_points.append((moment, float(history.db_bytes[today] - history.db_bytes[before])))
            image_points.append((moment, float(history.image_bytes[today] - history.image_bytes[before])))
        else:
            db_points.append((moment, None))
            image_points.append((moment, None))
    return db_points, image_points


def table_growth(latest: SystemStat, oldest: SystemStat, reference: SystemStat | None) -> list[TableGrowth]:
    """Rows per table now, their change since `reference` (the newest measurement at least 24 h
    older) and the average change per day since `oldest` (the window's first measurement)."""
    days = (latest.recorded_at - oldest.recorded_at).total_seconds() / 86400
    result = []
    for name, rows in sorted(latest.table_rows.items()):
        last_day = rows - reference.table_rows.get(name, 0) if reference else None
        per_day = (rows - oldest.table_rows.get(name, 0)) / days if days >= 1 else None
        result.append(TableGrowth(name, rows, last_day, per_day))
    return result


def _in_mib(value: float) -> str:
    return compact_number(value) + " MiB"


def _one_unit(*series: list[float]) -> float:
    """The value range one unit of a chart's height stands for, for series drawn on one axis."""
    low = min(min(values) for values in series)
    high = max(max(values) for values in series)
    return (high - low) / CHART_PLOT_HEIGHT


def _charts(history: SizeHistory, end: datetime) -> dict[str, Markup]:
    # Charted in MiB, not bytes, so the axis ticks fall on round MiB values. The time axis starts
    # at the first measurement: a new install's three days should not hide in a 30-day frame.
    start = datetime.fromtimestamp(history.seconds[0], UTC)
    ranges = stretches(
        history.seconds,
        start=history.seconds[0],
        end=end.timestamp(),
        columns=CHART_COLUMNS,
        max_gap=MAX_GAP.total_seconds(),
    )
    db_mib = [b / MIB for b in history.db_bytes]
    images_mib = [b / MIB for b in history.image_bytes]
    files = [float(n) for n in history.image_files]
    size_unit, files_unit = _one_unit(db_mib, images_mib), _one_unit(files)
    # The thinned points carry their breaks (a None at every silence): no splitting on time again.
    size = line_chart(
        [
            Series("database", thin(history.seconds, db_mib, ranges, tolerance=size_unit), "s1", False),
            Series("images", thin(history.seconds, images_mib, ranges, tolerance=size_unit), "s2", False),
        ],
        title="Size on disk",
        start=start,
        end=end,
        y_format=_in_mib,
    )
    db_growth, image_growth = (
        [(t, None if v is None else v / MIB) for t, v in points] for points in daily_growth(history)
    )
    growth = line_chart(
        [Series("database", db_growth, "s1"), Series("images", image_growth, "s2")],
        title="Growth per day",
        y_format=_in_mib,
    )
    files_chart = line_chart(
        [Series("image files", thin(history.seconds, files, ranges, tolerance=files_unit), "s2", False)],
        title="Image files",
        start=start,
        end=end,
    )
    return {"size": size, "growth": growth, "files": files_chart}


@requires(Permission.MANAGE_JOBS)
async def admin_system(request: web.Request) -> web.StreamResponse:
    window = request.query.get("days", DEFAULT_WINDOW)
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    days = WINDOWS[window]
    end = utcnow()
    start = end - timedelta(days=days) if days else None
    latest = oldest = reference = None
    history = SizeHistory([], [], [], [])
    async with request.app[db_key].read() as conn:
        newest = await system_stats.latest_stat(conn)
        if newest and (start is None or newest.recorded_at >= start):
            latest = newest
            oldest = await system_stats.first_stat(conn, since=start)
            reference = await system_stats.last_stat_until(
                conn, newest.recorded_at - timedelta(hours=24), since=start
            )
            history = await system_stats.size_history(conn, since=start)
    context = {
        "active": "admin",
        "admin_section": "system",
        "windows": list(WINDOWS),
        "window": window,
        "latest": latest,
        "tables": table_growth(latest, oldest, reference) if latest and oldest else [],
        "charts": _charts(history, end) if history.seconds else {},
        "mib": mib,
    }
    return await render(request, "admin/system.html", context)
