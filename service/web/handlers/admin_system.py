"""Admin › System Stats: the database and image store over time, from the hourly `system_stats` job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiohttp import web
from markupsafe import Markup

from service.clock import utcnow
from service.permissions import Permission
from service.store import system_stats
from service.store.system_stats import SystemStat
from service.web.access import requires
from service.web.charts import Series, compact_number, line_chart
from service.web.keys import db_key
from service.web.render import render

WINDOWS = {"7": 7, "30": 30, "90": 90, "all": None}
DEFAULT_WINDOW = "30"
MIB = 2**20
# Recorded hourly: a silence of more than two intervals means the service was not running.
MAX_GAP = timedelta(hours=2, minutes=30)


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


def daily_last(stats: list[SystemStat]) -> dict[date, SystemStat]:
    """The last measurement of each UTC day."""
    days: dict[date, SystemStat] = {}
    for stat in stats:
        days[stat.recorded_at.date()] = stat
    return days


def daily_growth(stats: list[SystemStat]) -> tuple[list[tuple[datetime, float | None]], ...]:
    """(database, images) bytes added per day; a day without measurements is a gap (None)."""
    days = daily_last(stats)
    db_points: list[tuple[datetime, float | None]] = []
    image_points: list[tuple[datetime, float | None]] = []
    if len(days) < 2:
        return db_points, image_points
    first, last = min(days), max(days)
    day = first + timedelta(days=1)
    while day <= last:
        today, before = days.get(day), days.get(day - timedelta(days=1))
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)  # mid-day: the day as a whole
        if today and before:
            db_points.append((moment, float(today.total_db_bytes - before.total_db_bytes)))
            image_points.append((moment, float(today.image_bytes - before.image_bytes)))
        else:
            db_points.append((moment, None))
            image_points.append((moment, None))
        day += timedelta(days=1)
    return db_points, image_points


def table_growth(stats: list[SystemStat]) -> list[TableGrowth]:
    latest, oldest = stats[-1], stats[0]
    day_ago = latest.recorded_at - timedelta(hours=24)
    reference = next((s for s in reversed(stats) if s.recorded_at <= day_ago), None)
    days = (latest.recorded_at - oldest.recorded_at).total_seconds() / 86400
    result = []
    for name, rows in sorted(latest.table_rows.items()):
        last_day = rows - reference.table_rows.get(name, 0) if reference else None
        per_day = (rows - oldest.table_rows.get(name, 0)) / days if days >= 1 else None
        result.append(TableGrowth(name, rows, last_day, per_day))
    return result


def _in_mib(value: float) -> str:
    return compact_number(value) + " MiB"


def _charts(stats: list[SystemStat], end: datetime) -> dict[str, Markup]:
    # Charted in MiB, not bytes, so the axis ticks fall on round MiB values. The time axis starts
    # at the first measurement: a new install's three days should not hide in a 30-day frame.
    start = stats[0].recorded_at
    size = line_chart(
        [
            Series("database", [(s.recorded_at, s.total_db_bytes / MIB) for s in stats], "s1"),
            Series("images", [(s.recorded_at, s.image_bytes / MIB) for s in stats], "s2"),
        ],
        title="Size on disk",
        start=start,
        end=end,
        max_gap=MAX_GAP,
        y_format=_in_mib,
    )
    db_growth, image_growth = (
        [(t, None if v is None else v / MIB) for t, v in points] for points in daily_growth(stats)
    )
    growth = line_chart(
        [Series("database", db_growth, "s1"), Series("images", image_growth, "s2")],
        title="Growth per day",
        y_format=_in_mib,
    )
    files = line_chart(
        [Series("image files", [(s.recorded_at, float(s.image_files)) for s in stats], "s2")],
        title="Image files",
        start=start,
        end=end,
        max_gap=MAX_GAP,
    )
    return {"size": size, "growth": growth, "files": files}


@requires(Permission.MANAGE_JOBS)
async def admin_system(request: web.Request) -> web.StreamResponse:
    window = request.query.get("days", DEFAULT_WINDOW)
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    days = WINDOWS[window]
    end = utcnow()
    start = end - timedelta(days=days) if days else None
    async with request.app[db_key].read() as conn:
        stats = await system_stats.list_stats(conn, since=start)
    context = {
        "active": "admin",
        "admin_section": "system",
        "windows": list(WINDOWS),
        "window": window,
        "latest": stats[-1] if stats else None,
        "tables": table_growth(stats) if stats else [],
        "charts": _charts(stats, end) if stats else {},
        "mib": mib,
    }
    return await render(request, "admin/system.html", context)
