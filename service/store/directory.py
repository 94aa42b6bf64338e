"""The Directory's queries over `person_state`: filter, sort, page, fast at 100,000 persons.

Every sort runs as two index-ordered scans: the persons that have a value for the sort column,
then those that don't. SQLite orders NULL first ascending, which would put a page of persons
without a rank above rank 1; `ORDER BY col IS NULL` would fix that but forbid the index, and
then every first page would sort the whole table. Two range scans keep each page on the index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from service.fan_tiers import TierRules
from service.store import fans
from service.store.db import Connection

PAGE_SIZE = 50
ROLES = ("model", "viewer")

# sort key → (column, default direction). Each column has its own index on person_state whose
# entries end with the rowid, so `column, person_id` is read straight off it; role's index is
# (role, username), so role sorts break ties by name.
SORTS: dict[str, tuple[str, str]] = {
    "username": ("username", "asc"),
    "age": ("age", "asc"),
    "role": ("role", "asc"),
    "priority": ("priority", "desc"),
    "followers": ("followers", "desc"),
    "rank": ("rank", "asc"),
    "events": ("events_count", "desc"),
    "snapshots": ("snapshot_count", "desc"),
    "last_seen": ("last_seen_at", "desc"),
}
DEFAULT_SORT = "last_seen"

COLUMNS = (
    "person_id, username, role, display_name, display_name_source, display_name_at, age, age_source, "
    "age_at, gender, gender_source, gender_at, is_live, live_source, live_at, current_show, followers, "
    "followers_source, followers_at, rank, rank_source, rank_at, tags, tags_source, tags_at, "
    "image_sha256, image_url, last_seen_at, priority, lookup_status, snapshot_count, events_count"
)


@dataclass(frozen=True, slots=True)
class DirectoryFilter:
    role: str | None = None  # None = all, else one of ROLES
    search: str = ""  # a username prefix, already lower-cased
    tags: tuple[str, ...] = ()  # any of these tags matches
    sort: str = DEFAULT_SORT
    descending: bool = True
    # A spend tier (rank, 1 = lowest) under these rules, as of this moment (the recent rule's window).
    tier: int | None = None
    tier_rules: TierRules | None = None
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonState:
    """A person_state row: each current value with the source and time it came from."""

    person_id: int
    username: str
    role: str
    display_name: str | None
    display_name_source: str | None
    display_name_at: str | None
    age: int | None
    age_source: str | None
    age_at: str | None
    gender: str | None
    gender_source: str | None
    gender_at: str | None
    is_live: bool | None
    live_source: str | None
    live_at: str | None
    current_show: str | None
    followers: int | None
    followers_source: str | None
    followers_at: str | None
    rank: int | None
    rank_source: str | None
    rank_at: str | None
    tags: tuple[str, ...]
    tags_source: str | None
    tags_at: str | None
    image_sha256: str | None
    image_url: str | None
    last_seen_at: str | None
    priority: int | None
    lookup_status: str | None
    snapshot_count: int
    events_count: int


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    rows: list[PersonState]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def parse_tags(raw: str | None) -> tuple[str, ...]:
    """person_state.tags is JSON text written by the sources; anything else shows as no tags."""
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(t) for t in value if isinstance(t, str) and t) if isinstance(value, list) else ()


def state_from_values(values: dict[str, Any]) -> PersonState:
    """A PersonState from a row's person_state columns (JSON tags and 0/1 flags decoded)."""
    values = {name: values[name] for name in PersonState.__dataclass_fields__}
    values["tags"] = parse_tags(values["tags"])
    values["is_live"] = None if values["is_live"] is None else bool(values["is_live"])
    return PersonState(**values)


def _row(row: aiosqlite.Row) -> PersonState:
    return state_from_values(dict(row))


def _where(flt: DirectoryFilter) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.role:
        clauses.append("role = :role")
        params["role"] = flt.role
    if flt.search:
        # A range on the NOCASE username index; usernames are [a-z0-9_], all below '~'.
        clauses.append("username >= :lo AND username < :hi")
        params.update(lo=flt.search, hi=flt.search + "~")
    if flt.tags:
        clauses.append(
            "person_id IN (SELECT person_id FROM person_tags "
            "WHERE tag IN (SELECT value FROM json_each(:tags)))"
        )
        params["tags"] = json.dumps(list(flt.tags))
    if flt.tier and flt.tier_rules is not None and flt.now is not None:
        clause, tier_params = fans.tier_clause(flt.tier_rules, flt.tier, fans.Window(flt.now))
        # person_room_stats' lifetime index finds the tier's fans; person_state then pages them as usual
        ledger = f"SELECT s.person_id FROM person_room_stats s WHERE {clause}"  # noqa: S608 - fixed fragments
        clauses.append(f"person_id IN ({ledger})")
        params.update(tier_params)
    return clauses, params


async def _scan(
    conn: Connection,
    flt: DirectoryFilter,
    *,
    nulls: bool,
    limit: int,
    offset: int = 0,
    after: ExportCursor | None = None,
) -> list[PersonState]:
    """Rows of the valued part (sorted) or the NULL part (person order), paged by OFFSET or, for the
    export, after a keyset cursor of the same part."""
    column, _default = SORTS[flt.sort]
    clauses, params = _where(flt)
    clauses.append(f"{column} IS {'' if nulls else 'NOT '}NULL")
    direction = "DESC" if flt.descending else "ASC"
    tiebreak = "username" if column == "role" else "person_id"
    if after is not None and nulls:
        clauses.append("person_id > :after_id")
        params["after_id"] = after.person_id
    elif after is not None:
        clauses.append(f"({column}, {tiebreak}) {'<' if flt.descending else '>'} (:after_value, :after_tie)")
        params.update(after_value=after.value, after_tie=after.tiebreak)
    # Rows without a value come in person order: the column's index holds them by rowid already.
    order = "person_id" if nulls else f"{column} {direction}, {tiebreak} {direction}"
    sql = (
        f"SELECT {COLUMNS} FROM person_state WHERE {' AND '.join(clauses)} "  # noqa: S608 — fixed names
        f"ORDER BY {order} LIMIT :limit OFFSET :offset"
    )
    async with conn.execute(sql, {**params, "limit": limit, "offset": offset}) as cur:
        return [_row(r) for r in await cur.fetchall()]


async def _count(conn: Connection, flt: DirectoryFilter, extra: str | None = None) -> int:
    clauses, params = _where(flt)
    if extra:
        clauses.append(extra)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    async with conn.execute(f"SELECT count(*) FROM person_state {where}", params) as cur:  # noqa: S608
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def list_page(
    conn: Connection, flt: DirectoryFilter, *, page: int = 1, page_size: int = PAGE_SIZE
) -> DirectoryPage:
    """One page of persons matching `flt`, valued rows first, then those without a value."""
    if flt.sort not in SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}")
    offset = (max(page, 1) - 1) * page_size
    rows = await _scan(conn, flt, nulls=False, limit=page_size, offset=offset)
    total = await _count(conn, flt)
    if len(rows) < page_size:
        column = SORTS[flt.sort][0]
        valued = (
            len(rows) + offset if rows or offset == 0 else await _count(conn, flt, f"{column} IS NOT NULL")
        )
        rows += await _scan(
            conn, flt, nulls=True, limit=page_size - len(rows), offset=max(0, offset - valued)
        )
    return DirectoryPage(rows, total, max(page, 1), page_size)


@dataclass(frozen=True, slots=True)
class ExportCursor:
    """Where the next export page starts: after this row, in the valued or the NULL part."""

    nulls: bool
    value: Any = None  # the last valued row's sort column
    tiebreak: Any = None  # and its tiebreak (username for the role sort, else person_id)
    person_id: int = 0


async def export_page(
    conn: Connection, flt: DirectoryFilter, after: ExportCursor | None, *, limit: int
) -> tuple[list[PersonState], ExportCursor | None]:
    """The next `limit` rows in list_page's order after `after`, and the cursor for the rest
    (None when this page ends the export).

    Keyset, not OFFSET: the caller releases its connection between pages, and a row that moves
    meanwhile must not shift every later page; each page is also one index range, however deep.
    """
    if flt.sort not in SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}")
    column = SORTS[flt.sort][0]
    tiebreak = "username" if column == "role" else "person_id"
    rows: list[PersonState] = []
    if after is None or not after.nulls:
        rows = await _scan(conn, flt, nulls=False, limit=limit, after=after)
        if len(rows) == limit:
            last = rows[-1]
            return rows, ExportCursor(False, getattr(last, column), getattr(last, tiebreak), last.person_id)
        after = None
    rows += await _scan(conn, flt, nulls=True, limit=limit - len(rows), after=after)
    if len(rows) < limit:
        return rows, None
    return rows, ExportCursor(True, person_id=rows[-1].person_id)


async def find_person_id(conn: Connection, username: str) -> int | None:
    async with conn.execute(
        "SELECT person_id FROM person_state WHERE username = :name", {"name": username}
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else None


_GET_STATE = f"SELECT {COLUMNS} FROM person_state WHERE person_id = :id"  # noqa: S608 — fixed text


async def get_state(conn: Connection, person_id: int) -> PersonState | None:
    async with conn.execute(_GET_STATE, {"id": person_id}) as cur:
        row = await cur.fetchone()
    return _row(row) if row else None


def empty_state(person_id: int, username: str, role: str) -> PersonState:
    """What a person no source has reported on yet looks like: every value unknown."""
    values: dict[str, Any] = dict.fromkeys(PersonState.__dataclass_fields__)
    values.update(
        person_id=person_id, username=username, role=role, tags=(), snapshot_count=0, events_count=0
    )
    return PersonState(**values)
