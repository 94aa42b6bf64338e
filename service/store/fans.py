"""Users › Fans: the fan ledger as a sortable, filterable, paged table, the smart lists, and the
spend tier of any page of names.

Reads only the ledger tables (person_room_stats, person_room_days, broadcast_attendance) and the
follow periods; never scans room_events. A window of N days is the N UTC days ending today
(`day >= today - (N - 1)`), summed from person_room_days.

The smart lists (their one-line explanations are on the page too, from `LISTS`):
- top: spent anything (lifetime tokens > 0), highest lifetime first.
- top30: spent anything in the last 30 days, highest 30-day total first.
- new: first seen in the room, or first tip (room or imported), within the last `new_days` days
  (measured to the second from now).
- regulars: attended (any named event in) at least k of the last n broadcasts, open or closed.
- drifting: (a) the last 30 days' tokens are below `share` × their own average per 30 days over the
  90 days before (days 31–120 back), that average being above 0; or (b) attended at least k of the
  n broadcasts before the last m (a regular then) and none of the last m (m = regular missed).
- lapsed: has a last tip (room or imported, so a lifetime total) older than `lapsed_days` days, and
  spent nothing in the last `lapsed_days` days (no tip, media or imported spending on those days).
- followers_never_tipped: follows the broadcaster now (an open follower period) and has spent
  nothing; includes followers who never entered the room (they have no ledger row).
- tippers_not_following: has spent something and does not follow the broadcaster now.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from service.clock import to_db
from service.fan_tiers import FanRules, Tier, TierRules
from service.store.db import Connection, fetch_all

PAGE_SIZE = 50
# Offset paging stops here: deeper rows are reached by narrowing the filters, or in the CSV export.
MAX_PAGE = 400

# sort key → (SQL expression over s = person_room_stats / w = the day windows, default direction).
SORTS: dict[str, tuple[str, str]] = {
    "lifetime": ("s.lifetime_tokens", "desc"),
    "d30": ("coalesce(w.d30, 0)", "desc"),
    "d7": ("coalesce(w.d7, 0)", "desc"),
    "tips": ("(s.tips + s.imported_tips)", "desc"),
    "biggest_tip": ("s.biggest_tip", "desc"),
    "visits": ("s.visits", "desc"),
    "broadcasts": ("s.broadcasts_attended", "desc"),
    "last_seen": ("s.last_seen_at", "desc"),
    "last_tip": ("s.last_tip_at", "desc"),
    "first_seen": ("s.first_seen_at", "desc"),
}
DEFAULT_SORT = "lifetime"


@dataclass(frozen=True, slots=True)
class SmartList:
    key: str
    label: str
    sort: str  # the list's natural order
    explain: str  # one line for the page; {k}, {n}… are filled from the rules


LISTS: tuple[SmartList, ...] = (
    SmartList("top", "Top fans", "lifetime",
              "Everyone who spent tokens in your room, highest lifetime total first."),
    SmartList("top30", "Top fans, 30 days", "d30",
              "Everyone who spent tokens in the last 30 days, highest first."),
    SmartList("new", "New", "first_seen",
              "First seen in your room, or first tip, within the last {new_days} days."),
    SmartList("regulars", "Regulars", "lifetime",
              "Attended at least {k} of your last {n} broadcasts (any named event counts as attending)."),
    SmartList("drifting", "Drifting", "lifetime",
              "Last 30 days below {share_pct}% of their own 30-day average over the 90 days before, or a "
              "regular of the {n} broadcasts before your last {m} who attended none of those {m}."),
    SmartList("lapsed", "Lapsed", "last_tip",
              "Tipped before, and spent nothing in the last {lapsed_days} days."),
    SmartList("followers_never_tipped", "Followers who never tipped", "lifetime",
              "Follow you now and have never spent a token in your room (also those never seen there)."),
    SmartList("tippers_not_following", "Tippers who don't follow", "lifetime",
              "Spent tokens in your room and do not follow you now."),
)  # fmt: skip
LIST_KEYS = tuple(s.key for s in LISTS)


def explain(smart: SmartList, rules: FanRules) -> str:
    lists = rules.lists
    return smart.explain.format(
        k=lists.regulars_k, n=lists.regulars_n, m=lists.regular_missed, new_days=lists.new_days,
        lapsed_days=lists.lapsed_days, share_pct=f"{lists.drifting_share * 100:g}",
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FansFilter:
    smart: str | None = None  # one of LIST_KEYS
    tier: int | None = None  # a tier rank (1 = lowest); 0 = below every tier
    search: str = ""  # a username prefix, already lower-cased
    sort: str = DEFAULT_SORT
    descending: bool = True
    # Relationship lists (Friends, VIP…): the lead adds the clause in `_where` (see the hook there).
    list_id: int | None = None


@dataclass(frozen=True, slots=True)
class FanRow:
    person_id: int
    username: str
    lifetime: int
    d7: int
    d30: int
    recent: int  # tokens in the recent rule's window (0 without a rule)
    tips: int  # room tips + imported tips
    biggest_tip: int
    visits: int
    broadcasts: int
    imported_tokens: int
    first_seen_at: str | None
    last_seen_at: str | None
    first_tip_at: str | None
    last_tip_at: str | None
    fanclub_since: str | None
    follower_since: str | None
    tier: Tier | None


@dataclass(frozen=True, slots=True)
class FansPage:
    rows: list[FanRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.page_size)))


# --- time windows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """The moments and days the rules compare against, fixed once per request."""

    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    def since_day(self, days: int) -> str:
        """The first UTC day of the `days`-day window ending today."""
        return (self.today - timedelta(days=days - 1)).isoformat()

    def since_moment(self, days: int) -> str:
        return to_db(self.now - timedelta(days=days))


# --- tiers ----------------------------------------------------------------------------------------


def tier_rank_sql(rules: TierRules, lifetime: str, recent: str) -> tuple[str, dict[str, Any]]:
    """A SQL expression for the tier rank (0 = none) of `lifetime` and `recent` (expressions over the
    caller's tables; `recent` = tokens in the recent rule's window, ignored without a rule), with its
    parameters. Equal to `rules.tier_for(lifetime, recent).rank`."""
    params: dict[str, Any] = {}
    cases = []
    for tier in reversed(rules.tiers):
        params[f"tier_t{tier.rank}"] = tier.threshold
        cases.append(f"WHEN {lifetime} >= :tier_t{tier.rank} THEN {tier.rank}")
    expr = f"(CASE {' '.join(cases)} ELSE 0 END)"
    if rules.recent is not None:
        params.update(tier_recent_tokens=rules.recent.tokens, tier_recent_rank=rules.recent.tier.rank)
        expr = f"max({expr}, CASE WHEN {recent} >= :tier_recent_tokens THEN :tier_recent_rank ELSE 0 END)"
    return expr, params


async def standings(
    conn: Connection, rules: TierRules, person_ids: Sequence[int], *, now: datetime
) -> dict[int, tuple[int, Tier | None]]:
    """person id → (lifetime tokens, tier or None) for these persons that have a ledger row (one query).
    For any page of names: Directory, Followers, Events…"""
    if not person_ids:
        return {}
    days = rules.recent.days if rules.recent is not None else 1
    recent = (
        "(SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d "
        "WHERE d.person_id = s.person_id AND d.day >= :since)"
        if rules.recent is not None
        else "0"
    )
    sql = (
        f"SELECT s.person_id, s.lifetime_tokens, {recent} "  # noqa: S608 — fixed fragments
        "FROM person_room_stats s WHERE s.person_id IN (SELECT value FROM json_each(:ids))"
    )
    params = {"ids": json.dumps(list(person_ids)), "since": Window(now).since_day(days)}
    return {
        int(person_id): (int(lifetime), rules.tier_for(int(lifetime), int(recent)))
        for person_id, lifetime, recent in await fetch_all(conn, sql, params)
    }


async def tiers_for(
    conn: Connection, rules: TierRules, person_ids: Sequence[int], *, now: datetime
) -> dict[int, Tier]:
    """The tier of each of these persons that has one (a person without a ledger row or below every
    tier is left out)."""
    found = await standings(conn, rules, person_ids, now=now)
    return {person_id: tier for person_id, (_lifetime, tier) in found.items() if tier is not None}


# --- the smart lists as SQL -----------------------------------------------------------------------

# A window of days is one range of the (day, person_id, tokens) index, which covers the query. After
# ANALYZE, SQLite's planner prefers a skip-scan of the (person_id, day) key over all persons (4–10×
# slower at 200,000 persons), so the range names its index (an SQLite hint; drop it on PostgreSQL).
DAYS = "person_room_days INDEXED BY idx_person_room_days_day"

_LAST_BROADCASTS = (
    "SELECT id FROM broadcasts ORDER BY started_at DESC, id DESC LIMIT :{limit} OFFSET :{offset}"
)
_OPEN_FOLLOWER = (
    "EXISTS (SELECT 1 FROM follow_periods f WHERE f.person_id = s.person_id "
    "AND f.direction = 'follower' AND f.ended_at IS NULL)"
)


def _regulars_sql() -> str:
    last_n = _LAST_BROADCASTS.format(limit="reg_n", offset="zero")
    return (
        f"SELECT person_id FROM broadcast_attendance WHERE broadcast_id IN ({last_n}) "  # noqa: S608
        "GROUP BY person_id HAVING count(*) >= :reg_k"
    )


def _drifting_sql() -> str:
    earlier = _LAST_BROADCASTS.format(limit="reg_n", offset="missed")
    latest = _LAST_BROADCASTS.format(limit="missed", offset="zero")
    spending = (
        f"SELECT person_id FROM {DAYS} WHERE day >= :since120 GROUP BY person_id "  # noqa: S608
        "HAVING sum(CASE WHEN day < :since30 THEN tokens ELSE 0 END) > 0 "
        "AND 3.0 * sum(CASE WHEN day >= :since30 THEN tokens ELSE 0 END) "
        "< :share * sum(CASE WHEN day < :since30 THEN tokens ELSE 0 END)"
    )
    missed = (
        f"SELECT person_id FROM broadcast_attendance WHERE broadcast_id IN ({earlier}) "  # noqa: S608
        "GROUP BY person_id HAVING count(*) >= :reg_k "
        f"EXCEPT SELECT person_id FROM broadcast_attendance WHERE broadcast_id IN ({latest})"
    )
    return f"{spending} UNION {missed}"


def _list_clause(smart: str) -> str:
    clauses = {
        "top": "s.lifetime_tokens > 0",
        "top30": f"s.person_id IN (SELECT person_id FROM {DAYS} WHERE day >= :since30)",  # noqa: S608
        "new": "(s.first_seen_at >= :new_since OR s.first_tip_at >= :new_since)",
        "regulars": f"s.person_id IN ({_regulars_sql()})",
        "drifting": f"s.person_id IN ({_drifting_sql()})",
        # A last tip implies lifetime > 0; the last_tip_at index gives the newest first.
        "lapsed": (
            "s.last_tip_at < :lapsed_since AND s.person_id NOT IN "  # noqa: S608
            f"(SELECT person_id FROM {DAYS} WHERE day >= :lapsed_day)"
        ),
        "followers_never_tipped": "coalesce(s.lifetime_tokens, 0) = 0",
        "tippers_not_following": f"s.lifetime_tokens > 0 AND NOT {_OPEN_FOLLOWER}",
    }
    return clauses[smart]


def _base_params(rules: FanRules, window: Window) -> dict[str, Any]:
    lists = rules.lists
    return {
        "since7": window.since_day(7),
        "since30": window.since_day(30),
        "since120": window.since_day(120),
        "new_since": window.since_moment(lists.new_days),
        "lapsed_since": window.since_moment(lists.lapsed_days),
        "lapsed_day": window.since_day(lists.lapsed_days),
        "reg_k": lists.regulars_k,
        "reg_n": lists.regulars_n,
        "missed": lists.regular_missed,
        "share": lists.drifting_share,
        "zero": 0,
    }


def _from(flt: FansFilter, *, counting: bool = False) -> str:
    if flt.smart == "followers_never_tipped":
        # The followers, with or without a ledger row (s.* is NULL for one never seen in the room).
        return (
            "follow_periods f JOIN persons p ON p.id = f.person_id "
            "LEFT JOIN person_room_stats s ON s.person_id = f.person_id"
        )
    if counting and not flt.search:
        return "person_room_stats s"  # a count needs no names
    return "person_room_stats s JOIN persons p ON p.id = s.person_id"


def _where(flt: FansFilter, rules: FanRules, window: Window) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params = _base_params(rules, window)
    if flt.smart == "followers_never_tipped":
        clauses.append("f.direction = 'follower' AND f.ended_at IS NULL")
    if flt.smart is not None:
        clauses.append(_list_clause(flt.smart))
    if flt.search:
        # A range on the NOCASE username index; usernames are [a-z0-9_], all below '~'.
        clauses.append("p.username >= :lo AND p.username < :hi")
        params.update(lo=flt.search, hi=flt.search + "~")
    if flt.tier is not None:
        clause, tier_params = tier_clause(rules.tiers, flt.tier, window)
        clauses.append(clause)
        params.update(tier_params)
    if flt.list_id is not None:
        clauses.append("s.person_id IN (SELECT person_id FROM fan_list_members WHERE list_id = :list_id)")
        params["list_id"] = flt.list_id
    return clauses, params


def tier_clause(rules: TierRules, rank: int, window: Window) -> tuple[str, dict[str, Any]]:
    """Persons of tier `rank` (0 = below every tier), as ranges on the lifetime index plus, with a
    recent rule, the set of persons it lifts."""
    tiers = rules.tiers
    low = tiers[rank - 1].threshold if rank >= 1 else None
    high = tiers[rank].threshold if rank < len(tiers) else None
    parts = []
    params: dict[str, Any] = {}
    if low is not None:
        parts.append("coalesce(s.lifetime_tokens, 0) >= :tier_low")
        params["tier_low"] = low
    if high is not None:
        parts.append("coalesce(s.lifetime_tokens, 0) < :tier_high")
        params["tier_high"] = high
    by_lifetime = " AND ".join(parts) or "1"
    recent = rules.recent
    if recent is None or recent.tier.rank < rank:
        return f"({by_lifetime})", params
    lifted = (
        f"s.person_id IN (SELECT person_id FROM {DAYS} WHERE day >= :tier_since "  # noqa: S608
        "GROUP BY person_id HAVING sum(tokens) >= :tier_recent)"
    )
    params.update(tier_since=window.since_day(recent.days), tier_recent=recent.tokens)
    if recent.tier.rank > rank:
        return f"({by_lifetime} AND NOT {lifted})", params
    # This is the rule's tier: its lifetime range, and whoever the rule lifts from below it.
    below = "coalesce(s.lifetime_tokens, 0) < :tier_low" if low is not None else "0"
    return f"(({by_lifetime}) OR ({below} AND {lifted}))", params


_WINDOWS = (
    "(SELECT person_id, sum(tokens) AS d30, sum(CASE WHEN day >= :since7 THEN tokens ELSE 0 END) AS d7 "  # noqa: S608
    f"FROM {DAYS} WHERE day >= :since30 GROUP BY person_id)"
)


def _order(flt: FansFilter) -> str:
    expr = SORTS[flt.sort][0]
    direction = "DESC" if flt.descending else "ASC"
    if flt.smart == "followers_never_tipped":
        if flt.sort == "lifetime":
            # Nobody on this list spent anything: the order is the tiebreak, read off the open-follow index.
            return f"f.person_id {direction}"
        if expr.startswith("s.") and not expr.endswith("_at"):
            expr = f"coalesce({expr}, 0)"
    # Unknown times go last either way (SQLite puts NULL first ascending).
    nulls = f"{expr} IS NULL, " if expr.endswith("_at") and not flt.descending else ""
    return f"{nulls}{expr} {direction}, p.id {direction}"


async def _count(conn: Connection, flt: FansFilter, rules: FanRules, window: Window) -> int:
    if flt.smart in _FOLLOW_LISTS and not flt.search and flt.tier is None and flt.list_id is None:
        return (await _follow_list_counts(conn))[flt.smart]
    clauses, params = _where(flt, rules, window)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT count(*) FROM {_from(flt, counting=True)} {where}"  # noqa: S608 — fixed fragments
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


_FOLLOW_LISTS = ("followers_never_tipped", "tippers_not_following")


async def _follow_list_counts(conn: Connection) -> dict[str, int]:
    """Both follow lists from three cheap counts (followers, tippers, tippers who follow) instead of a
    probe per follower and per tipper each."""
    followers = await _scalar(
        conn, "SELECT count(*) FROM follow_periods WHERE direction = 'follower' AND ended_at IS NULL"
    )
    tippers = await _scalar(conn, "SELECT count(*) FROM person_room_stats WHERE lifetime_tokens > 0")
    following_tippers = await _scalar(
        conn,
        f"SELECT count(*) FROM person_room_stats s WHERE s.lifetime_tokens > 0 AND {_OPEN_FOLLOWER}",  # noqa: S608
    )
    return {"followers_never_tipped": followers - following_tippers,
            "tippers_not_following": tippers - following_tippers}  # fmt: skip


async def _scalar(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> int:
    async with conn.execute(sql, params or {}) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def list_counts(conn: Connection, rules: FanRules, *, now: datetime) -> dict[str, int]:
    """How many persons each smart list holds right now."""
    window = Window(now)
    counts = {key: await _count(conn, FansFilter(smart=key), rules, window)
              for key in LIST_KEYS if key not in _FOLLOW_LISTS}  # fmt: skip
    counts.update(await _follow_list_counts(conn))
    return {key: counts[key] for key in LIST_KEYS}


async def _ids(conn: Connection, sql: str, params: dict[str, Any]) -> list[int]:
    async with conn.execute(sql, params) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def _page_ids(
    conn: Connection, flt: FansFilter, rules: FanRules, window: Window, *, limit: int, offset: int
) -> list[int]:
    clauses, params = _where(flt, rules, window)
    if flt.sort in ("d7", "d30"):
        return await _window_page_ids(conn, flt, clauses, params, limit=limit, offset=offset)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = (
        f"SELECT p.id FROM {_from(flt)} {where} "  # noqa: S608 — fixed fragments, values bound
        f"ORDER BY {_order(flt)} LIMIT :limit OFFSET :offset"
    )
    return await _ids(conn, sql, {**params, "limit": limit, "offset": offset})


async def _window_page_ids(
    conn: Connection, flt: FansFilter, clauses: list[str], params: dict[str, Any], *, limit: int, offset: int
) -> list[int]:
    """The 7- or 30-day sort as two scans, like the Directory's: those who spent in the window (a few
    thousand, sorted), then everyone else in person order; descending puts the spenders first. One
    sorted join over all 200,000 ledger rows would cost a whole-table sort per page."""
    column, direction = f"w.{flt.sort}", "DESC" if flt.descending else "ASC"
    valued = (
        f"SELECT p.id FROM {_from(flt)} JOIN {_WINDOWS} w ON w.person_id = p.id "  # noqa: S608
        f"WHERE {' AND '.join([*clauses, f'{column} > 0'])} ORDER BY {column} {direction}, p.id {direction}"
    )
    since = ":since7" if flt.sort == "d7" else ":since30"
    spent = f"SELECT person_id FROM {DAYS} WHERE day >= {since}"  # noqa: S608
    zero = (
        f"SELECT p.id FROM {_from(flt)} "  # noqa: S608
        f"WHERE {' AND '.join([*clauses, f'p.id NOT IN ({spent})'])} ORDER BY p.id {direction}"
    )
    parts = [valued, zero] if flt.descending else [zero, valued]
    found: list[int] = []
    for sql in parts:
        rows = await _ids(conn, f"{sql} LIMIT :limit OFFSET :offset",
                          {**params, "limit": limit - len(found), "offset": offset})  # fmt: skip
        found += rows
        if len(found) >= limit:
            break
        if rows or offset == 0:
            offset = 0
        else:  # this part ended before the offset: skip its rows in the next part
            async with conn.execute(f"SELECT count(*) FROM ({sql})", params) as cur:  # noqa: S608
                row = await cur.fetchone()
            offset = max(0, offset - (int(row[0]) if row else 0))
    return found


_ROWS = """
SELECT p.id, p.username, coalesce(s.lifetime_tokens, 0),
       (SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d
         WHERE d.person_id = p.id AND d.day >= :since7),
       (SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d
         WHERE d.person_id = p.id AND d.day >= :since30),
       (SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d
         WHERE d.person_id = p.id AND d.day >= :since_recent),
       coalesce(s.tips + s.imported_tips, 0), coalesce(s.biggest_tip, 0), coalesce(s.visits, 0),
       coalesce(s.broadcasts_attended, 0), coalesce(s.imported_tokens, 0),
       s.first_seen_at, s.last_seen_at, s.first_tip_at, s.last_tip_at, s.fanclub_since,
       (SELECT f.started_at FROM follow_periods f
         WHERE f.person_id = p.id AND f.direction = 'follower' AND f.ended_at IS NULL)
  FROM persons p LEFT JOIN person_room_stats s ON s.person_id = p.id
 WHERE p.id IN (SELECT value FROM json_each(:ids))
"""


async def rows_for(
    conn: Connection, person_ids: Sequence[int], rules: FanRules, *, now: datetime
) -> list[FanRow]:
    """The ledger rows of these persons, in the order given (one query)."""
    if not person_ids:
        return []
    window = Window(now)
    recent_days = rules.tiers.recent.days if rules.tiers.recent is not None else 1
    params = {"ids": json.dumps(list(person_ids)), "since7": window.since_day(7),
              "since30": window.since_day(30), "since_recent": window.since_day(recent_days)}  # fmt: skip
    found: dict[int, FanRow] = {}
    async with conn.execute(_ROWS, params) as cur:
        for r in await cur.fetchall():
            recent = int(r[5]) if rules.tiers.recent is not None else 0
            found[int(r[0])] = FanRow(
                person_id=int(r[0]), username=r[1], lifetime=int(r[2]), d7=int(r[3]), d30=int(r[4]),
                recent=recent, tips=int(r[6]), biggest_tip=int(r[7]), visits=int(r[8]),
                broadcasts=int(r[9]), imported_tokens=int(r[10]), first_seen_at=r[11], last_seen_at=r[12],
                first_tip_at=r[13], last_tip_at=r[14], fanclub_since=r[15], follower_since=r[16],
                tier=rules.tiers.tier_for(int(r[2]), recent),
            )  # fmt: skip
    return [found[i] for i in person_ids if i in found]


async def list_page(
    conn: Connection, flt: FansFilter, rules: FanRules, *, now: datetime, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> FansPage:  # fmt: skip
    """One page of the ledger under `flt` (pages past MAX_PAGE show the last allowed one), with the total."""
    if flt.sort not in SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}")
    if flt.smart is not None and flt.smart not in LIST_KEYS:
        raise ValueError(f"unknown smart list {flt.smart!r}")
    page = min(max(page, 1), MAX_PAGE)
    window = Window(now)
    ids = await _page_ids(conn, flt, rules, window, limit=page_size, offset=(page - 1) * page_size)
    rows = await rows_for(conn, ids, rules, now=now)
    total = await _count(conn, flt, rules, window)
    return FansPage(rows, total, page, page_size)


async def has_ledger(conn: Connection) -> bool:
    """Whether anyone is in the ledger yet (the Fans page explains what fills it when not)."""
    return bool(await _scalar(conn, "SELECT EXISTS (SELECT 1 FROM person_room_stats)"))


async def export_rows(
    conn: Connection, flt: FansFilter, rules: FanRules, *, now: datetime, offset: int, limit: int
) -> list[FanRow]:
    """`limit` rows from `offset` in the page's order, for the CSV export (no paging cap)."""
    window = Window(now)
    ids = await _page_ids(conn, flt, rules, window, limit=limit, offset=offset)
    return await rows_for(conn, ids, rules, now=now)


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the alert rules read about one person who entered the room."""

    person_id: int
    lifetime: int
    last_tip_at: str | None
    tier: Tier | None
    lists: dict[int, str]  # their relationship lists, id → name
    smart: frozenset[str]  # the smart lists (of those asked) they are in


async def person_facts(
    conn: Connection, person_ids: Sequence[int], rules: FanRules, keys: Collection[str], *, now: datetime
) -> dict[int, PersonFacts]:
    """Ledger, tier, relationship lists and membership of the smart lists `keys` at `now`, of each of
    these persons with a ledger row, in ONE query (the alert rules ask it once per Events batch)."""
    if not person_ids:
        return {}
    window = Window(now)
    params: dict[str, Any] = {**_base_params(rules, window), "ids": json.dumps(list(person_ids))}
    recent = "0"
    if rules.tiers.recent is not None:
        params["recent_since"] = window.since_day(rules.tiers.recent.days)
        recent = (
            "(SELECT coalesce(sum(d.tokens), 0) FROM person_room_days d "
            "WHERE d.person_id = s.person_id AND d.day >= :recent_since)"
        )
    ordered = sorted(keys)
    columns = "".join(f", CASE WHEN {_member_clause(key)} THEN 1 ELSE 0 END" for key in ordered)
    sql = (
        f"SELECT s.person_id, s.lifetime_tokens, s.last_tip_at, {recent}, "  # noqa: S608 — fixed fragments
        "(SELECT json_group_object(l.id, l.name) FROM fan_list_members m "
        f" JOIN fan_lists l ON l.id = m.list_id WHERE m.person_id = s.person_id){columns} "
        "FROM person_room_stats s WHERE s.person_id IN (SELECT value FROM json_each(:ids))"
    )
    found: dict[int, PersonFacts] = {}
    async with conn.execute(sql, params) as cur:
        for row in await cur.fetchall():
            lifetime, recent_tokens = int(row[1] or 0), int(row[3] or 0)
            lists = {int(k): v for k, v in json.loads(row[4] or "{}").items()}
            smart = frozenset(key for n, key in enumerate(ordered) if row[5 + n])
            tier = rules.tiers.tier_for(lifetime, recent_tokens)
            found[int(row[0])] = PersonFacts(int(row[0]), lifetime, row[2], tier, lists, smart)
    return found


def _member_clause(key: str) -> str:
    if key == "followers_never_tipped":
        return f"coalesce(s.lifetime_tokens, 0) = 0 AND {_OPEN_FOLLOWER}"
    return _list_clause(key)
