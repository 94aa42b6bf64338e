"""Room › Insights: the four analyses, computed from the grouped rows service/store/insights.py reads.

Pure functions (no I/O), so the arithmetic is tested on numbers known in advance:

- When to go live: each broadcast's time on air is split across the clock hours it covers and summed
  into weekday × hour cells; a cell's tokens and follows are those of the room's events (during a
  broadcast) in those clock hours. The own room's CBHours activity adds hours the Events stream never
  saw (clock hours without any stored broadcast) to the followers map, with CBHours' follower change.
  A cell resting on fewer than THIN_HOURS hours is marked thin.
- Follower retention: cohorts by the ISO week (Monday, UTC) a follower period started, over the last
  COHORT_WEEKS_SHOWN weeks; the share of a cohort whose period had not ended 1, 4 and 12 weeks after
  its own start. Only a confirmed unfollow
  ends a period, so a suspected one still counts as following. A cell is blank until every member
  reached that age, and marked when its weeks fall in a gap of the history.
- Gaps: stretches longer than GAP_DAYS without a complete followers list (the lists are what confirm
  unfollows that the Events stream did not report).
- Fan economy: shares of lifetime tokens, and new vs returning spenders per ISO week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise

from service.clock import from_db
from service.store import insights, persons
from service.store.db import Connection
from service.store.insights import (
    BroadcastSpan,
    CbhoursHour,
    HourEvents,
    StartDay,
    TipperWeek,
    TokenShares,
    UnfollowCluster,
)

THIN_HOURS = 3.0
GAP_DAYS = 7
RETENTION_WEEKS = (1, 4, 12)
COHORT_WEEKS_SHOWN = 26
TIPPER_WEEKS_SHOWN = 26
CBHOURS_SEGMENT_HOURS = 3 / 60
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DURATION_BUCKETS = (
    (0, 1, "under 1 h"),
    (1, 2, "1–2 h"),
    (2, 3, "2–3 h"),
    (3, 4, "3–4 h"),
    (4, 10**6, "4 h or more"),
)


# --------------------------------------------------------------------------- when to go live


@dataclass(slots=True)
class Cell:
    weekday: int  # 0 = Monday
    hour: int
    hours: float = 0.0  # time live behind the cell
    total: int = 0  # tokens, or followers gained

    @property
    def per_hour(self) -> float | None:
        return self.total / self.hours if self.hours > 0 else None

    @property
    def thin(self) -> bool:
        return self.hours < THIN_HOURS


@dataclass(frozen=True, slots=True)
class Heatmaps:
    tokens: list[Cell]  # 7 × 24, Monday 00h first
    followers: list[Cell]
    broadcast_hours: float
    cbhours_hours: float  # hours only CBHours saw, in the followers map


def _grid() -> list[Cell]:
    return [Cell(day, hour) for day in range(7) for hour in range(24)]


def live_by_clock_hour(spans: Iterable[BroadcastSpan], now: datetime) -> dict[int, float]:
    """Hours on air per UTC clock hour (epoch hours), each broadcast split across the hours it covers.
    An open broadcast counts until `now`."""
    hours: dict[int, float] = defaultdict(float)
    for span in spans:
        start = from_db(span.started_at).timestamp()
        end = from_db(span.ended_at).timestamp() if span.ended_at else now.timestamp()
        moment = start
        while moment < end:
            hour = int(moment // 3600)
            step_end = min(end, (hour + 1) * 3600.0)
            hours[hour] += (step_end - moment) / 3600
            moment = step_end
    return hours


def _cell_index(epoch_hour: int, zone: tzinfo) -> int:
    local = datetime.fromtimestamp(epoch_hour * 3600, tz=zone)
    return local.weekday() * 24 + local.hour


def heatmaps(
    spans: Sequence[BroadcastSpan],
    events: Sequence[HourEvents],
    cbhours: Sequence[CbhoursHour],
    *,
    now: datetime,
    zone: tzinfo = UTC,
) -> Heatmaps:
    live = live_by_clock_hour(spans, now)
    tokens, followers = _grid(), _grid()
    for epoch_hour, hours in live.items():
        index = _cell_index(epoch_hour, zone)
        tokens[index].hours += hours
        followers[index].hours += hours
    for hour_events in events:
        index = _cell_index(hour_events.hour, zone)
        tokens[index].total += hour_events.tokens
        followers[index].total += hour_events.follows
    extra = 0.0
    for row in cbhours:
        epoch_hour = int(datetime.fromisoformat(row.hour + ":00:00+00:00").timestamp() // 3600)
        if epoch_hour in live:  # the Events stream saw this hour: its broadcasts count, not CBHours
            continue
        index = _cell_index(epoch_hour, zone)
        followers[index].hours += row.segments * CBHOURS_SEGMENT_HOURS
        followers[index].total += row.followers_gained
        extra += row.segments * CBHOURS_SEGMENT_HOURS
    return Heatmaps(tokens, followers, sum(live.values()), extra)


# --------------------------------------------------------------------------- follower retention


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime
    reason: str

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class RetentionCell:
    weeks: int
    retained: int | None  # None: not every member has reached this age yet
    share: float | None  # 0..1
    in_gap: bool


@dataclass(frozen=True, slots=True)
class Cohort:
    week: date  # Monday (UTC)
    started: int
    cells: list[RetentionCell] = field(default_factory=list)


def history_gaps(lists: Sequence[str], first_start: str | None, now: datetime) -> list[Gap]:
    """Stretches longer than GAP_DAYS, since the first follower period, without a complete followers
    list: before the first list, between two lists, and from the last list until now."""
    if first_start is None:
        return []
    limit = timedelta(days=GAP_DAYS)
    begin = from_db(first_start)
    times = [from_db(t) for t in lists]
    if not times:
        return [Gap(begin, now, "no complete followers list was ever read")] if now - begin > limit else []
    gaps = []
    if times[0] - begin > limit:
        gaps.append(Gap(begin, times[0], "before the first complete followers list"))
    gaps.extend(Gap(a, b, "no complete followers list") for a, b in pairwise(times) if b - a > limit)
    if now - times[-1] > limit:
        gaps.append(Gap(times[-1], now, "no complete followers list since"))
    return gaps


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cohorts(days: Sequence[StartDay], gaps: Sequence[Gap], now: datetime) -> list[Cohort]:
    """The cohorts of `days` (the last COHORT_WEEKS_SHOWN weeks), newest first."""
    grouped: dict[date, list[int]] = {}
    for row in days:
        week = _monday(date.fromisoformat(row.day))
        sums = grouped.setdefault(week, [0, 0, 0, 0])
        for n, value in enumerate((row.started, row.ended_1w, row.ended_4w, row.ended_12w)):
            sums[n] += value
    found = []
    for week in sorted(grouped, reverse=True):
        started, *ended = grouped[week]
        week_start = datetime(week.year, week.month, week.day, tzinfo=UTC)
        cells = []
        for weeks, lost in zip(RETENTION_WEEKS, ended, strict=True):
            # Members are measured at their own start + weeks: from the cohort's Monday + weeks
            # (the earliest) to its Sunday's end + weeks (the latest).
            first, last = week_start + timedelta(weeks=weeks), week_start + timedelta(weeks=weeks, days=7)
            in_gap = any(g.start < last and g.end > first for g in gaps)
            if last > now:
                cells.append(RetentionCell(weeks, None, None, in_gap))
            else:
                kept = started - lost
                cells.append(RetentionCell(weeks, kept, kept / started if started else None, in_gap))
        found.append(Cohort(week, started, cells))
    return found


# --------------------------------------------------------------------------- what moves followers


@dataclass(frozen=True, slots=True)
class BroadcastFollows:
    id: int
    started_at: datetime
    hours: float
    start_hour: int  # in the page's zone
    follows: int
    unfollows: int


@dataclass(frozen=True, slots=True)
class FollowGroup:
    label: str
    broadcasts: int
    hours: float
    follows: int
    unfollows: int

    @property
    def follows_per_broadcast(self) -> float:
        return self.follows / self.broadcasts if self.broadcasts else 0.0

    @property
    def unfollows_per_broadcast(self) -> float:
        return self.unfollows / self.broadcasts if self.broadcasts else 0.0

    @property
    def net_per_hour(self) -> float | None:
        return (self.follows - self.unfollows) / self.hours if self.hours else None


def broadcast_follows(spans: Sequence[BroadcastSpan], zone: tzinfo = UTC) -> list[BroadcastFollows]:
    """Closed broadcasts with the follows and unfollows the Events stream saw during each."""
    rows = []
    for span in spans:
        if span.ended_at is None:
            continue
        start, end = from_db(span.started_at), from_db(span.ended_at)
        rows.append(
            BroadcastFollows(
                span.id,
                start,
                (end - start).total_seconds() / 3600,
                start.astimezone(zone).hour,
                span.new_followers,
                span.unfollows,
            )
        )
    return rows


def _group(label: str, rows: Sequence[BroadcastFollows]) -> FollowGroup:
    return FollowGroup(
        label,
        len(rows),
        sum(r.hours for r in rows),
        sum(r.follows for r in rows),
        sum(r.unfollows for r in rows),
    )


def by_start_hour(rows: Sequence[BroadcastFollows]) -> list[FollowGroup]:
    """One group per start hour that has broadcasts."""
    hours = sorted({r.start_hour for r in rows})
    return [_group(f"{h:02d}h", [r for r in rows if r.start_hour == h]) for h in hours]


def by_duration(rows: Sequence[BroadcastFollows]) -> list[FollowGroup]:
    return [
        _group(label, [r for r in rows if low <= r.hours < high]) for low, high, label in DURATION_BUCKETS
    ]


# --------------------------------------------------------------------------- fan economy


def first_cohort_week(today: date) -> str:
    """The Monday of the oldest cohort shown: COHORT_WEEKS_SHOWN weeks up to this one."""
    return (_monday(today) - timedelta(weeks=COHORT_WEEKS_SHOWN - 1)).isoformat()


def tipper_weeks(found: Sequence[TipperWeek], today: date) -> list[TipperWeek]:
    """The last TIPPER_WEEKS_SHOWN ISO weeks up to this one, oldest first; a quiet week is a zero."""
    by_week = {row.week: row for row in found}
    first = _monday(today) - timedelta(weeks=TIPPER_WEEKS_SHOWN - 1)
    weeks = [(first + timedelta(weeks=n)).isoformat() for n in range(TIPPER_WEEKS_SHOWN)]
    return [by_week.get(week, TipperWeek(week, 0, 0)) for week in weeks]


def first_tipper_week(today: date) -> str:
    return (_monday(today) - timedelta(weeks=TIPPER_WEEKS_SHOWN - 1)).isoformat()


# --------------------------------------------------------------------------- the page's data


@dataclass(frozen=True, slots=True)
class Insights:
    now: datetime
    zone_name: str
    maps: Heatmaps
    cohorts: list[Cohort]
    gaps: list[Gap]
    broadcasts: list[BroadcastFollows]
    by_start_hour: list[FollowGroup]
    by_duration: list[FollowGroup]
    clusters: list[UnfollowCluster]
    shares: TokenShares
    tipper_weeks: list[TipperWeek]


async def gather(conn: Connection, *, broadcaster: str, now: datetime) -> Insights:
    """Every analysis of the page, read on one connection (one consistent view of the data)."""
    spans = await insights.list_broadcast_spans(conn)
    events = await insights.hourly_room_events(conn)
    own_id = await persons.get_person_id(conn, broadcaster) if broadcaster else None
    cbhours = await insights.cbhours_hours(conn, own_id) if own_id is not None else []
    gaps = history_gaps(
        await insights.complete_follower_lists(conn), await insights.first_follower_start(conn), now
    )
    starts = await insights.follower_start_days(conn, since=first_cohort_week(now.date()))
    found = cohorts(starts, gaps, now)
    rows = broadcast_follows(spans)
    today = now.date()
    weeks = await insights.tippers_by_week(conn, since=first_tipper_week(today), weeks=TIPPER_WEEKS_SHOWN)
    return Insights(
        now=now,
        zone_name="UTC",
        maps=heatmaps(spans, events, cbhours, now=now),
        cohorts=found,
        gaps=gaps,
        broadcasts=rows,
        by_start_hour=by_start_hour(rows),
        by_duration=by_duration(rows),
        clusters=await insights.unfollow_clusters(conn),
        shares=await insights.token_shares(conn),
        tipper_weeks=tipper_weeks(weeks, today),
    )
