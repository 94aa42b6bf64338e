"""The Profile page: one person's current state (with each value's source), history charts,
broadcast sessions, Statbate figures, follow dates and the raw latest record of every source."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup

from service.clock import from_db, to_db, utcnow
from service.errors import NotFound
from service.permissions import Permission
from service.settings import source_spec
from service.store import directory, fan_ledger, fans, persons, profile_history, scrapes
from service.store import profile as profile_store
from service.store import statbate as statbate_store
from service.usernames import normalise_username
from service.web import page_json, people, relations, sessions
from service.web.access import requires
from service.web.charts import Bar, Series, bar_chart, line_chart
from service.web.handler_support import can_enqueue, scrape_availability
from service.web.json_view import respond, wants_json
from service.web.keys import config_key, db_key, runner_key, scheduler_key
from service.web.query_params import route_username
from service.web.render import render

WINDOWS = {"7": 7, "30": 30, "60": 60, "all": None}
DEFAULT_WINDOW = "30"
# Sources report every 3 to 5 minutes while a room is online; a longer silence is a gap.
BASE_GAP = timedelta(minutes=30)
BUCKETS = 360
AFFILIATE, CBHOURS, STATS = source_spec("affiliate"), source_spec("cbhours"), source_spec("stats")
SOURCE_SERIES = ((CBHOURS, "s1"), (AFFILIATE, "s2"), (STATS, "s3"))
FAN_WEEKS = 26  # the fan card's tokens-per-week chart
# Affiliate points are per broadcast session with a None after each: no time-based splitting.
SPLIT_BY_SESSION = {AFFILIATE.on_charts}


@requires(Permission.VIEW_USERS)
async def profile(request: web.Request) -> web.StreamResponse:
    """/profile: a search box; a valid name goes straight to its page."""
    raw = request.query.get("u", "").strip()
    error = None
    if raw:
        try:
            name = normalise_username(raw)
        except ValueError:
            error = f"“{raw}” cannot be a username: usernames are letters, digits and _ only."
        else:
            raise web.HTTPSeeOther(f"/profile/{quote(name)}")
    return await render(request, "profile/search.html", {"active": "profile", "raw": raw, "error": error})


def _points(rows: list[profile_history.HistoryPoint]) -> list[tuple[datetime, float | None]]:
    return [(from_db(t), None if v is None else float(v)) for t, v in rows]


async def _history(
    conn: Any, person: profile_store.Person, start: datetime | None
) -> dict[str, dict[str, list[profile_history.HistoryPoint]]]:
    """Every stored point the charts are drawn from, for the JSON twin: followers per source, and the
    two CBHours ranks."""
    since = to_db(start) if start else None

    async def every(series: profile_history.HistorySeries) -> list[profile_history.HistoryPoint]:
        return await profile_history.points(conn, series, person_id=person.id, username=person.username,
                                            since=since)  # fmt: skip

    followers, ranks = profile_history.FOLLOWER_SERIES, profile_history.RANK_SERIES
    return {
        "followers": {source: await every(series) for source, series in followers.items()},
        "ranks": {name: await every(series) for name, series in ranks.items()},
    }


async def _thinned(
    conn: Any, person: profile_store.Person, start: datetime | None, end: datetime, *, first_sql: str,
    series: list[profile_history.HistorySeries],
) -> tuple[datetime, list[list[tuple[datetime, float | None]]]]:  # fmt: skip
    """A chart's start (the window's, or its first point's for all time) and its series, each thinned
    by SQLite to the BUCKETS points the chart can draw."""
    first = start
    if first is None:
        found = await profile_history.first_point_at(conn, first_sql, person.id, person.username)
        first = from_db(found) if found else end - timedelta(days=1)
    first = min(first, end - timedelta(minutes=1))
    thinned = await profile_history.thinned(
        conn, series, person_id=person.id, username=person.username, since=to_db(start) if start else None,
        buckets=profile_history.Buckets(first, end, BUCKETS),
    )  # fmt: skip
    return first, [_points(points) for points in thinned]


def _chart(first: datetime, end: datetime, named: list[tuple[str, str, list[Any]]], title: str) -> Markup:
    """One chart of several series (label, css class, points); silences stay gaps."""
    gap = max(BASE_GAP, 2 * (end - first) / BUCKETS)
    series = [
        Series(label, pts, css, split_on_time=label not in SPLIT_BY_SESSION) for label, css, pts in named
    ]
    return line_chart(series, title=title, start=first, end=end, max_gap=gap)


async def _charts(conn: Any, person: profile_store.Person, start: datetime | None) -> dict[str, Markup]:
    sources = [
        (spec.on_charts, css, profile_history.FOLLOWER_SERIES[spec.key]) for spec, css in SOURCE_SERIES
    ]
    end = utcnow()
    first, followers = await _thinned(
        conn, person, start, end, first_sql=profile_history.FOLLOWERS_FIRST,
        series=[series for _l, _c, series in sources],
    )  # fmt: skip
    ranks = [profile_history.RANK_SERIES["rank"], profile_history.RANK_SERIES["grank"]]
    rank_first, (rank, grank) = await _thinned(
        conn, person, start, end, first_sql=profile_history.RANKS_FIRST, series=ranks
    )
    # Two rank charts: the global rank is ten times the gender rank and would flatten it on one axis.
    return {
        "followers": _chart(first, end, [(label, css, points) for (label, css, _s), points
                                         in zip(sources, followers, strict=True)], "Followers"),
        "rank": _chart(rank_first, end, [("Rank (gender)", "s1", rank)], "CBHours rank"),
        "grank": _chart(rank_first, end, [("Global rank", "s2", grank)], "CBHours global rank"),
    }  # fmt: skip


def _unpacked(value: Any) -> Any:
    """JSON text columns (raw, tags, bio…) shown as the structures they hold."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _records(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each source's latest record as stored, its JSON text columns as the structures they hold."""
    return {label: {k: _unpacked(v) for k, v in record.items()} for label, record in records.items()}


def _weeks_chart(weeks: list[tuple[Any, int]]) -> Markup:
    bars = [Bar(monday.strftime("%m-%d"), tokens, f"week of {monday:%Y-%m-%d}: {tokens:,} tokens")
            for monday, tokens in weeks]  # fmt: skip
    return bar_chart(bars, title="Tokens per week (room and imported history)", height=160)


async def _unknown(request: web.Request, username: str) -> web.Response:
    if wants_json(request):
        raise NotFound(f"{username or 'That name'} is not known yet.")
    context = {"active": "profile", "username": username, "can_enqueue": can_enqueue(request)}
    return await render(request, "profile/unknown.html", context, status=404)


@requires(Permission.MANAGE_PRIORITIES)
async def profile_statbate_tips(request: web.Request) -> web.StreamResponse:
    """Ask Statbate for this member's tips history now (the statbate job fetches it)."""
    username = route_username(request)
    async with request.app[db_key].transaction() as conn:
        pid = await persons.get_person_id(conn, username)
        if pid is None:
            raise NotFound(f"{username} is not known yet.")
        await statbate_store.request_tips(conn, pid)
    missing = request.app[runner_key].specs["statbate"].missing_configuration(request.app[config_key].current)
    if missing:
        message = f"Tips requested; they are fetched once Statbate is configured ({missing})."
    else:
        request.app[scheduler_key].run_now("statbate")
        message = "Tips requested from Statbate; they appear here when the Statbate job finishes."
    await sessions.flash(request, message)
    raise web.HTTPSeeOther(request.app.router["profile_person"].url_for(username=username))


@requires(Permission.VIEW_USERS)
async def profile_person(request: web.Request) -> web.StreamResponse:
    try:
        username = normalise_username(request.match_info["username"])
    except ValueError:
        return await _unknown(request, "")
    window = request.query.get("days", DEFAULT_WINDOW)
    window = window if window in WINDOWS else DEFAULT_WINDOW
    days = WINDOWS[window]
    start = utcnow() - timedelta(days=days) if days else None
    async with request.app[db_key].read() as conn:
        person = await profile_store.get_person(conn, username)
        if person is None:
            return await _unknown(request, username)
        pid = person.id
        state = await directory.get_state(conn, pid)
        # The JSON twin carries every stored point; the page draws charts thinned in SQL.
        json_only = wants_json(request)
        history = await _history(conn, person, start) if json_only else None
        today = utcnow().date()
        fan = await fan_ledger.fan_figures(conn, pid, today)
        weeks = await fan_ledger.weekly_spending(conn, pid, today, FAN_WEEKS) if fan else []
        rules = request.app[config_key].fans.tiers
        fan_tier = (await fans.tiers_for(conn, rules, [pid], now=utcnow())).get(pid) if fan else None
        context: dict[str, Any] = {
            "person": person,
            "has_state": state is not None,
            "state": state or directory.empty_state(pid, person.username, person.role),
            "follow": await profile_store.get_follow_dates(conn, pid),
            "sessions": await profile_store.list_sessions(conn, pid),
            "session_count": await profile_store.count_sessions(conn, pid),
            "statbate": await profile_store.statbate(conn, pid),
            "scraped": await scrapes.latest_scrape(conn, pid),
            "records": _records(await profile_store.latest_records(conn, pid, username)),
            "history": history,
            "charts": None if json_only else await _charts(conn, person, start),
            "scrape": await scrape_availability(request, conn),
            "fan": fan,
            "fan_tier": fan_tier,
            "fan_weeks": weeks,
            "fan_chart": _weeks_chart(weeks) if fan and not json_only else None,
            **await relations.profile_context(request, conn, pid),
        }
    context.update(people.HELPERS)
    context.update({"active": "profile", "windows": list(WINDOWS), "window": window,
                    "can_enqueue": can_enqueue(request), "here": request.path_qs})  # fmt: skip
    context["can_request_tips"] = context["can_enqueue"]  # the same permission: manage_priorities
    return await respond(request, "profile/person.html", context, page_json.profile)
