"""Room › Insights: when to go live, follower retention, what moves followers and the fan economy,
each as a server-drawn SVG with its numbers in a table, as CSV and in the page's JSON twin."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from markupsafe import Markup

from service.clock import utcnow
from service.csv_safe import SafeCsvWriter
from service.errors import NotFound
from service.permissions import Permission
from service.web import page_json
from service.web.access import requires
from service.web.charts import Bar, HeatCell, bar_chart, heatmap
from service.web.json_view import respond
from service.web.keys import config_key, db_key
from service.web.room_insights import (
    RETENTION_WEEKS,
    THIN_HOURS,
    WEEKDAYS,
    Cell,
    Cohort,
    Insights,
    gather,
)

HOURS = [f"{h:02d}" for h in range(24)]


def _hours_note(hours: float) -> str:
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


def _heat(cells: list[Cell], unit: str) -> list[HeatCell]:
    found = []
    for cell in cells:
        where = f"{WEEKDAYS[cell.weekday]} {cell.hour:02d}:00"
        if cell.per_hour is None:
            found.append(HeatCell(cell.weekday, cell.hour, None, title=f"{where}: never live"))
            continue
        thin = " (fewer than 3 hours: uncertain)" if cell.thin else ""
        title = f"{where}: {cell.per_hour:.1f} {unit} per hour live over {cell.hours:.1f} h{thin}"
        found.append(
            HeatCell(
                cell.weekday, cell.hour, round(cell.per_hour, 1), _hours_note(cell.hours), cell.thin, title
            )
        )
    return found


def _retention(cohorts: list[Cohort]) -> Markup:
    cells = []
    for row, cohort in enumerate(cohorts):
        for col, cell in enumerate(cohort.cells):
            label = f"Followers of the week of {cohort.week.isoformat()} after {cell.weeks} weeks"
            gap = "; a gap in the follow history overlaps these weeks" if cell.in_gap else ""
            if cell.share is None:
                cells.append(HeatCell(row, col, None, title=f"{label}: not reached yet{gap}"))
                continue
            note = f"{cell.retained} of {cohort.started}"
            cells.append(
                HeatCell(
                    row,
                    col,
                    round(cell.share * 100, 1),
                    note,
                    cell.in_gap,
                    f"{label}: {cell.share:.0%} ({note}){gap}",
                )
            )
    return heatmap(
        cells,
        title="Share of each weekly cohort still following (%)",
        rows=[c.week.isoformat() for c in cohorts],
        cols=[f"{w} wk" for w in RETENTION_WEEKS],
        slug="retention",
        width=520,
        label_width=84,
        scale=(0.0, 100.0),
    )


def charts(found: Insights) -> dict[str, Markup]:
    maps = found.maps
    shares = found.shares
    rest = shares.total - shares.top10_tokens

    def pct(part: int) -> float:
        return round(100 * part / shares.total, 1) if shares.total else 0.0

    return {
        "tokens": heatmap(
            _heat(maps.tokens, "tokens"),
            title="Tokens per hour live",
            rows=WEEKDAYS,
            cols=HOURS,
            slug="tokens",
        ),
        "followers": heatmap(
            _heat(maps.followers, "followers"),
            title="Followers gained per hour live",
            rows=WEEKDAYS,
            cols=HOURS,
            slug="followers",
        ),
        "retention": _retention(found.cohorts),
        "start_hour": bar_chart(
            [
                Bar(
                    g.label,
                    round(g.follows_per_broadcast, 2),
                    f"{g.label}: {g.follows_per_broadcast:.1f} follows, "
                    f"{g.unfollows_per_broadcast:.1f} unfollows per broadcast ({g.broadcasts})",
                )
                for g in found.by_start_hour
            ],
            title="New followers per broadcast by start hour",
            width=480,
            height=200,
        ),
        "duration": bar_chart(
            [
                Bar(
                    g.label,
                    round(g.follows_per_broadcast, 2),
                    f"{g.label}: {g.follows_per_broadcast:.1f} follows, "
                    f"{g.unfollows_per_broadcast:.1f} unfollows per broadcast ({g.broadcasts})",
                )
                for g in found.by_duration
            ],
            title="New followers per broadcast by duration",
            width=480,
            height=200,
            css_class="s3",
        ),
        "shares": bar_chart(
            [
                Bar("top 1%", pct(shares.top1_tokens)),
                Bar("next 9%", pct(shares.top10_tokens - shares.top1_tokens)),
                Bar("other 90%", pct(rest)),
            ],
            title="Share of lifetime tokens (%)",
            width=480,
            height=180,
        ),
        "new_tippers": bar_chart(
            [Bar(w.week[5:], w.new, f"week of {w.week}: {w.new} new") for w in found.tipper_weeks],
            title="New tippers per week",
            width=480,
            height=200,
            css_class="s3",
        ),
        "returning_tippers": bar_chart(
            [
                Bar(w.week[5:], w.tippers - w.new, f"week of {w.week}: {w.tippers - w.new} returning")
                for w in found.tipper_weeks
            ],
            title="Returning tippers per week",
            width=480,
            height=200,
        ),
    }


@requires(Permission.VIEW_STATS)
async def room_insights(request: web.Request) -> web.StreamResponse:
    broadcaster = request.app[config_key].current.broadcaster
    async with request.app[db_key].read() as conn:
        found = await gather(conn, broadcaster=broadcaster, now=utcnow())
    context: dict[str, Any] = {
        "insights": found,
        "thin_hours": THIN_HOURS,
        "weekdays": WEEKDAYS,
        "retention_weeks": RETENTION_WEEKS,
        "active": "room",
    }
    if not request.path.endswith(".json"):
        context["charts"] = charts(found)
    return await respond(request, "room/insights.html", context, page_json.room_insights)


# --------------------------------------------------------------------------- CSV, one per analysis


def _go_live(found: Insights) -> Iterable[list[object]]:
    yield [
        "weekday",
        "hour_utc",
        "hours_live",
        "tokens",
        "tokens_per_hour",
        "follows",
        "follows_per_hour",
        "thin",
    ]
    for tokens, follows in zip(found.maps.tokens, found.maps.followers, strict=True):
        yield [
            WEEKDAYS[tokens.weekday],
            tokens.hour,
            round(tokens.hours, 3),
            tokens.total,
            _round(tokens.per_hour),
            follows.total,
            _round(follows.per_hour),
            int(follows.thin),
        ]


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 3)


def _retention_rows(found: Insights) -> Iterable[list[object]]:
    head: list[object] = ["cohort_week", "started"]
    for weeks in RETENTION_WEEKS:
        head += [f"retained_{weeks}w", f"share_{weeks}w", f"gap_{weeks}w"]
    yield head
    for cohort in found.cohorts:
        row: list[object] = [cohort.week.isoformat(), cohort.started]
        for cell in cohort.cells:
            row += ["" if cell.retained is None else cell.retained, _round(cell.share), int(cell.in_gap)]
        yield row


def _follows(found: Insights) -> Iterable[list[object]]:
    yield ["broadcast_id", "started_at", "hours", "start_hour_utc", "follows", "unfollows"]
    for b in found.broadcasts:
        yield [b.id, b.started_at.isoformat(), round(b.hours, 3), b.start_hour, b.follows, b.unfollows]


def _economy(found: Insights) -> Iterable[list[object]]:
    yield ["week", "tippers", "new", "returning"]
    for w in found.tipper_weeks:
        yield [w.week, w.tippers, w.new, w.tippers - w.new]


CSV_ANALYSES: dict[str, Callable[[Insights], Iterable[list[object]]]] = {
    "go-live": _go_live,
    "retention": _retention_rows,
    "follows": _follows,
    "economy": _economy,
}


@requires(Permission.VIEW_STATS)
async def room_insights_csv(request: web.Request) -> web.StreamResponse:
    analysis = request.match_info["analysis"]
    rows = CSV_ANALYSES.get(analysis)
    if rows is None:
        raise NotFound(
            f"There is no insights table called {analysis!r}; try one of {', '.join(CSV_ANALYSES)}."
        )
    broadcaster = request.app[config_key].current.broadcaster
    async with request.app[db_key].read() as conn:
        found = await gather(conn, broadcaster=broadcaster, now=utcnow())
    out = io.StringIO()
    SafeCsvWriter(out).writerows(rows(found))
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="insights-{analysis}.csv"'},
    )
