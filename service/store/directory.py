"""The Directory's queries over `person_state`: filter, sort, page, fast at 100,000 persons.

Every sort runs as two index-ordered scans: the persons that have a value for the sort column,
then those that don't. SQLite orders NULL first ascending, which would put a page of persons
without a rank above rank 1; `ORDER BY col IS NULL` would fix that but forbid the index, and
then every first page would sort the whole table. Two range scans keep each page on the index.

At 1,000,000 persons the planner's own choice is not good enough, so the scans name their index
(`INDEXED BY`, an SQLite hint: drop it on PostgreSQL). Without statistics SQLite prefers the role
index for the Models/Viewers toggles and then sorts 450,000 rows; with a tag it looks up and sorts
every person with the tag. A role or no filter walks the sort column's index (for viewers, the
viewer-only index where one exists) and stops after a page; a tag that many persons have walks the
same index and keeps the persons with the tag (a primary-key probe each), along the model-only
indexes when every tagged person is a model (person_tags knows each one's role); a rare tag, a name
search or a tier is small enough to sort whole, as the planner does. Totals come from the per-role
counts the triggers keep (person_role_counts) or from person_tags alone, not from person_state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import aiosqlite

from service.fan_tiers import TierRules
from service.store import fans
from service.store.db import Connection, fetch_all, fetch_one

PAGE_SIZE = 50
ROLES = ("model", "viewer")
_ALL_ROLES = ("model", "viewer", "unknown")  # persons.role's CHECK

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

# Each sort column's index; the viewer-only partial indexes (schema.sql) for the columns viewers
# rarely have, where walking the full index would pass every model first.
_INDEXES = {
    "username": "idx_person_state_username",
    "age": "idx_person_state_age",
    "role": "idx_person_state_role",
    "priority": "idx_person_state_priority",
    "followers": "idx_person_state_followers",
    "rank": "idx_person_state_rank",
    "events_count": "idx_person_state_events",
    "snapshot_count": "idx_person_state_snapshots",
    "last_seen_at": "idx_person_state_last_seen",
}
_VIEWER_INDEXES = {
    "age": "idx_person_state_viewer_age",
    "followers": "idx_person_state_viewer_followers",
    "rank": "idx_person_state_viewer_rank",
    "snapshot_count": "idx_person_state_viewer_snapshots",
}
# The model-only ones for the columns where viewers come first in one direction.
_MODEL_INDEXES = {
    "events_count": "idx_person_state_model_events",
    "snapshot_count": "idx_person_state_model_snapshots",
    "followers": "idx_person_state_model_followers",
}
# Sorts whose walk for one role reads an index that holds the role (no row read per entry).
_ROLE_ORDERED = frozenset({*_MODEL_INDEXES, "username", "role"})
# A tag that at most this many persons have is sorted whole (~1 µs a person); above it, walking the
# sort index finds a page after about 50 × persons / matches entries, cheaper from here on at 1M.
SORT_TAG_MATCHES_UP_TO = 3000
# A walk for a tag gives up after this many times the entries it should need: when the sort column
# goes with the tag (tagged persons are models; Events descending lists viewers first) the matches
# sit far down the index, and sorting them whole is the cheaper way after all.
WALK_SLACK = 8
WALK_MIN_ENTRIES = 1000

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


@dataclass(slots=True)
class PersonState:
    """A person_state row: each current value with the source and time it came from.

    Not frozen, though nothing changes one: pages build 50 at a time, and a frozen dataclass's
    __init__ (object.__setattr__ for each of 32 fields) costs 2 µs a row against 0.2 µs."""

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
    # JSON strings are exactly str; a list comprehension is quicker than a generator (50 rows a page).
    return tuple([t for t in value if type(t) is str and t]) if type(value) is list else ()


def state_from_values(values: dict[str, Any]) -> PersonState:
    """A PersonState from a row's person_state columns (JSON tags and 0/1 flags decoded)."""
    values = {name: values[name] for name in PersonState.__dataclass_fields__}
    values["tags"] = parse_tags(values["tags"])
    values["is_live"] = None if values["is_live"] is None else bool(values["is_live"])
    return PersonState(**values)


_TAGS_AT = COLUMNS.split(", ").index("tags")
_LIVE_AT = COLUMNS.split(", ").index("is_live")


def _row(row: aiosqlite.Row) -> PersonState:
    """A row selected as COLUMNS (PersonState's fields in order), decoded without a dict per row."""
    values = list(row)
    values[_TAGS_AT] = parse_tags(values[_TAGS_AT])
    live = values[_LIVE_AT]
    values[_LIVE_AT] = None if live is None else bool(live)
    return PersonState(*values)


def _where(flt: DirectoryFilter, *, probe_tags: bool = False) -> tuple[list[str], dict[str, Any]]:
    """The filter as WHERE terms. `probe_tags`: test each row for the tags (a walk along a sort
    index) rather than list every person with them (a sort of all matches)."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.role:
        # A literal from ROLES, not a parameter: the viewer-only partial indexes are usable only
        # when the query's own text implies their `role = 'viewer'`.
        if flt.role not in ROLES:
            raise ValueError(f"unknown role {flt.role!r}")
        clauses.append(f"role = '{flt.role}'")
    if flt.search:
        # A range on the NOCASE username index; usernames are [a-z0-9_], all below '~'.
        clauses.append("username >= :lo AND username < :hi")
        params.update(lo=flt.search, hi=flt.search + "~")
    if flt.tags and probe_tags:
        clauses.append(
            "EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = person_state.person_id "
            "AND t.tag IN (SELECT value FROM json_each(:tags)))"
        )
        params["tags"] = json.dumps(list(flt.tags))
    elif flt.tags:
        # person_tags carries the role: with a role, only that role's part of each tag's range.
        same_role = f" AND role = '{flt.role}'" if flt.role else ""
        tagged = "SELECT person_id FROM person_tags WHERE tag IN (SELECT value FROM json_each(:tags))"
        clauses.append(f"person_id IN ({tagged}{same_role})")
        params["tags"] = json.dumps(list(flt.tags))
    if flt.tier and flt.tier_rules is not None and flt.now is not None:
        clause, tier_params = fans.tier_clause(flt.tier_rules, flt.tier, fans.Window(flt.now))
        # person_room_stats' lifetime index finds the tier's fans; person_state then pages them as usual
        ledger = f"SELECT s.person_id FROM person_room_stats s WHERE {clause}"  # noqa: S608 - fixed fragments
        clauses.append(f"person_id IN ({ledger})")
        params.update(tier_params)
    return clauses, params


def _tags_by_index(flt: DirectoryFilter) -> bool:
    """Tags, perhaps with a role, and nothing else: person_tags (tag, role) answers how many match."""
    return bool(flt.tags) and not (flt.search or (flt.tier and flt.tier_rules and flt.now))


def _tag_count(flt: DirectoryFilter, roles: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """How many persons with any of the tags have one of `roles`, from person_tags' index alone."""
    params: dict[str, Any] = {f"role{i}": role for i, role in enumerate(roles)}
    in_roles = ", ".join(f":role{i}" for i in range(len(roles)))
    if len(flt.tags) == 1:
        params["tag"] = flt.tags[0]
        return f"SELECT count(*) FROM person_tags WHERE tag = :tag AND role IN ({in_roles})", params  # noqa: S608
    params["tags"] = json.dumps(list(flt.tags))
    return (
        "SELECT count(DISTINCT person_id) FROM person_tags "  # noqa: S608 — placeholders only
        f"WHERE tag IN (SELECT value FROM json_each(:tags)) AND role IN ({in_roles})"
    ), params


def _walk_index(flt: DirectoryFilter, total: int) -> str | None:
    """The index a page walks in sort order, or None where sorting the few matches is cheaper (a
    tier, a rare tag: the planner's choice). A name search reads its range of the username index
    (a prefix is the most selective filter; the planner would rather start from a tag's persons)."""
    column = SORTS[flt.sort][0]
    if flt.search:
        return _INDEXES["username"]
    tier = flt.tier and flt.tier_rules and flt.now
    if tier or (flt.tags and not (_tags_by_index(flt) and total > SORT_TAG_MATCHES_UP_TO)):
        return None
    if flt.role == "viewer" and column in _VIEWER_INDEXES:
        return _VIEWER_INDEXES[column]
    if flt.role == "model" and column in _MODEL_INDEXES:
        return _MODEL_INDEXES[column]
    if flt.role and column == "username":
        return _INDEXES["role"]  # (role, username): the role's persons already in name order
    return _INDEXES[column]


async def _scan(
    conn: Connection,
    flt: DirectoryFilter,
    *,
    nulls: bool,
    limit: int,
    offset: int = 0,
    after: ExportCursor | None = None,
    index: str | None = None,
    bound: tuple[Any, Any] | None = None,
) -> list[PersonState]:
    """Rows of the valued part (sorted) or the NULL part (person order), paged by OFFSET or, for the
    export, after a keyset cursor of the same part; along `index` when one is named, and up to the
    valued part's `bound` (sort value, tiebreak) when one is given."""
    column, _default = SORTS[flt.sort]
    clauses, params = _where(flt, probe_tags=index is not None)
    clauses.append(f"{column} IS {'' if nulls else 'NOT '}NULL")
    direction = "DESC" if flt.descending else "ASC"
    tiebreak = "username" if column == "role" else "person_id"
    if bound is not None and not nulls:
        clauses.append(
            f"({column}, {tiebreak}) {'>=' if flt.descending else '<='} (:bound_value, :bound_tie)"
        )
        params.update(bound_value=bound[0], bound_tie=bound[1])
    if after is not None and nulls:
        clauses.append("person_id > :after_id")
        params["after_id"] = after.person_id
    elif after is not None:
        clauses.append(f"({column}, {tiebreak}) {'<' if flt.descending else '>'} (:after_value, :after_tie)")
        params.update(after_value=after.value, after_tie=after.tiebreak)
    # Rows without a value come in person order: the column's index holds them by rowid already.
    order = "person_id" if nulls else f"{column} {direction}, {tiebreak} {direction}"
    source = f"person_state INDEXED BY {index}" if index else "person_state"
    # The page's ids first, then their rows: a sort of every match (or an OFFSET) then handles ids
    # and sort keys only, and only the page's rows are read whole.
    page = (
        f"SELECT person_id FROM {source} WHERE {' AND '.join(clauses)} "  # noqa: S608 — fixed names
        f"ORDER BY {order} LIMIT :limit OFFSET :offset"
    )
    sql = f"SELECT {COLUMNS} FROM person_state WHERE person_id IN ({page}) ORDER BY {order}"  # noqa: S608
    return [_row(r) for r in await fetch_all(conn, sql, {**params, "limit": limit, "offset": offset})]


async def _count(conn: Connection, flt: DirectoryFilter, extra: str | None = None) -> int:
    # A name search counts its username range, testing each person for the other filters.
    source = f"person_state INDEXED BY {_INDEXES['username']}" if flt.search else "person_state"
    clauses, params = _where(flt, probe_tags=bool(flt.search))
    if extra:
        clauses.append(extra)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    row = await fetch_one(conn, f"SELECT count(*) FROM {source} {where}", params)  # noqa: S608
    return int(row[0]) if row else 0


async def _total(conn: Connection, flt: DirectoryFilter) -> int:
    """How many persons match: the kept per-role counts for a role or none, person_tags alone for
    tags with or without a role (an index range a tag and role), else a count of person_state's rows."""
    if not (flt.search or flt.tags or (flt.tier and flt.tier_rules and flt.now)):
        sql, params = "SELECT coalesce(sum(persons), 0) FROM person_role_counts", {}
        if flt.role:
            sql, params = sql + " WHERE role = :role", {"role": flt.role}
    elif _tags_by_index(flt):
        sql, params = _tag_count(flt, (flt.role,) if flt.role else _ALL_ROLES)
    else:
        return await _count(conn, flt)
    row = await fetch_one(conn, sql, params)
    return int(row[0]) if row else 0


async def fetch_one_int(conn: Connection, sql: str, params: dict[str, Any]) -> int:
    row = await fetch_one(conn, sql, params)
    return int(row[0]) if row else 0


async def _walk_bound(
    conn: Connection, flt: DirectoryFilter, index: str, *, entries: int
) -> tuple[Any, Any] | None:
    """The (sort value, tiebreak) `entries` entries along the walk's index, or None when the index
    holds fewer (the walk then ends on its own). Read off the index alone."""
    column, _default = SORTS[flt.sort]
    tiebreak = "username" if column == "role" else "person_id"
    direction = "DESC" if flt.descending else "ASC"
    # The role goes into the bound where the index holds it (a role-only partial index, or the role
    # index): then the bound is on the walk's own range. A column's full index is bounded over every
    # role instead, so that this stays a read of the index alone.
    holds_role = (
        index in _VIEWER_INDEXES.values() or index in _MODEL_INDEXES.values() or index == _INDEXES["role"]
    )
    role = f"role = '{flt.role}' AND " if holds_role and flt.role in ROLES else ""
    sql = (
        f"SELECT {column}, {tiebreak} FROM person_state INDEXED BY {index} "  # noqa: S608 — fixed names
        f"WHERE {role}{column} IS NOT NULL ORDER BY {column} {direction}, {tiebreak} {direction} "
        "LIMIT 1 OFFSET :entries"
    )
    row = await fetch_one(conn, sql, {"entries": max(entries, WALK_MIN_ENTRIES)})
    return (row[0], row[1]) if row else None


async def list_page(
    conn: Connection, flt: DirectoryFilter, *, page: int = 1, page_size: int = PAGE_SIZE
) -> DirectoryPage:
    """One page of persons matching `flt`, valued rows first, then those without a value."""
    if flt.sort not in SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}")
    offset = (max(page, 1) - 1) * page_size
    total = await _total(conn, flt)
    if offset >= total:  # nothing to read (no match, or a page past the end): no scan to plan
        return DirectoryPage([], total, max(page, 1), page_size)
    if (
        _tags_by_index(flt) and not flt.role and total > SORT_TAG_MATCHES_UP_TO
        and SORTS[flt.sort][0] in _ROLE_ORDERED
        and not await fetch_one_int(conn, *_tag_count(flt, ("viewer", "unknown")))
    ):  # fmt: skip
        # Every person with the tag is a model (tags come from the model feeds): the same rows, but
        # the model-only indexes (or the role index) order them without walking past the viewers.
        flt = replace(flt, role="model")
    index = _walk_index(flt, total)
    rows = None
    if index is not None and flt.tags and not flt.search:
        everyone = await _total(conn, DirectoryFilter())
        expected = (offset + page_size) * everyone // max(total, 1)
        bound = await _walk_bound(conn, flt, index, entries=WALK_SLACK * expected)
        if bound is not None:
            rows = await _scan(
                conn, flt, nulls=False, limit=page_size, offset=offset, index=index, bound=bound
            )
            if len(rows) < page_size:
                rows = index = None  # the tag's persons lie far down this index: sort them whole
    if rows is None:
        rows = await _scan(conn, flt, nulls=False, limit=page_size, offset=offset, index=index)
    if len(rows) < page_size:
        column = SORTS[flt.sort][0]
        valued = (
            len(rows) + offset if rows or offset == 0 else await _count(conn, flt, f"{column} IS NOT NULL")
        )
        rows += await _scan(
            conn, flt, nulls=True, limit=page_size - len(rows), offset=max(0, offset - valued), index=index
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
    row = await fetch_one(
        conn, "SELECT person_id FROM person_state WHERE username = :name", {"name": username}
    )
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
