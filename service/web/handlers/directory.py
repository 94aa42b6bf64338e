"""Users › Directory: everyone the service knows, filtered and sorted in the URL; CSV; the lookup queue."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

from aiohttp import web
from multidict import MultiMapping
from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.clock import utcnow
from service.csv_safe import SafeCsvWriter
from service.errors import InvalidInput
from service.fan_tiers import TierRules
from service.permissions import Permission
from service.store import directory, extension, lookup
from service.store.db import Connection
from service.store.directory import DEFAULT_SORT, ROLES, SORTS, DirectoryFilter, PersonState
from service.usernames import USERNAME, normalise_username
from service.web import page_json, people, sessions
from service.web.access import requires
from service.web.fan_badges import Badges, badges_for_persons
from service.web.forms import parse_form
from service.web.handler_support import acting_user, can_enqueue, scrape_availability
from service.web.json_view import respond
from service.web.keys import config_key, db_key
from service.web.query_params import page_number
from service.web.render import HEADER_KEY, Header, read_header

MAX_TAGS = 10
CSV_BATCH = 5000
CSV_COLUMNS = ("username", "role", "display_name", "age", "gender", "tags", "priority", "lookup_status",
               "followers", "rank", "events", "snapshots", "is_live", "last_seen_at")  # fmt: skip


_quoted = lru_cache(maxsize=1024)(quote_plus)


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    """The page's state as it lives in the URL; bad filter values fall back to the defaults, a bad
    page number is a 400 (query_params.page_number)."""

    flt: DirectoryFilter
    page: int
    raw_search: str
    raw_tags: str

    def url(self, **changes: Any) -> str:
        """This query with some parameters changed (page resets unless it is the change)."""
        params: dict[str, Any] = {
            "role": self.flt.role or "all",
            "q": self.raw_search,
            "tag": self.raw_tags,
            "tier": self.flt.tier or "",
            "sort": self.flt.sort,
            "dir": "desc" if self.flt.descending else "asc",
            "page": 1,
        }
        params.update(changes)
        # urlencode's encoding, with each value's quoting remembered: a page writes 16 of these
        # links from a handful of values.
        return "?" + "&".join(
            f"{key}={_quoted(str(value))}"
            for key, value in params.items()
            if value not in ("", None, 1, "all") or key == "sort"
        )

    def sort_url(self, key: str) -> str:
        """Clicking the current sort column flips it; another column starts in its natural order."""
        if key == self.flt.sort:
            return self.url(sort=key, dir="asc" if self.flt.descending else "desc")
        return self.url(sort=key, dir=SORTS[key][1])


def parse_query(query: MultiMapping[str], rules: TierRules) -> DirectoryQuery:
    role = query.get("role", "all")
    sort = query.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    direction = query.get("dir", SORTS[sort][1])
    raw_search = query.get("q", "").strip()
    raw_tags = query.get("tag", "").strip()
    tier_text = query.get("tier", "")
    tier = int(tier_text) if tier_text.isascii() and tier_text.isdigit() and len(tier_text) < 3 else None
    tags = tuple(dict.fromkeys(t.strip().lower() for t in raw_tags.split(",") if t.strip()))[:MAX_TAGS]
    page = page_number(query)  # unlike the filters, a page that cannot exist is an error, not a default
    flt = DirectoryFilter(
        role=role if role in ROLES else None,
        search=raw_search.lower(),
        tags=tags,
        sort=sort,
        descending=direction != "asc",
        tier=tier if tier is not None and 1 <= tier <= len(rules.tiers) else None,
        tier_rules=rules,
        now=utcnow(),
    )
    return DirectoryQuery(flt, page, raw_search, raw_tags)


@requires(Permission.VIEW_USERS)
async def users_directory(request: web.Request) -> web.StreamResponse:
    query = parse_query(request.query, request.app[config_key].fans.tiers)
    valid_search = not query.flt.search or bool(USERNAME.match(query.flt.search))

    async def reads(
        conn: Connection,
    ) -> tuple[directory.DirectoryPage, int | None, tuple[bool, str], Badges, Header]:
        if valid_search:
            result = await directory.list_page(conn, query.flt, page=query.page)
            exact = await directory.find_person_id(conn, query.flt.search) if query.flt.search else None
        else:
            result = directory.DirectoryPage([], 0, 1, directory.PAGE_SIZE)
            exact = None
        scrape = await scrape_availability(request, conn)
        badges = await badges_for_persons(request, conn, {row.username: row.person_id for row in result.rows})
        return result, exact, scrape, badges, await read_header(request, conn)

    # The page's statements (count, page, badges, the extension's state, the header's) in one
    # trip to the reader's thread rather than one trip each.
    result, exact, scrape, badges, header = await request.app[db_key].read_on_thread(reads)
    context = {
        "active": "users",
        "tab": "directory",
        "badges": badges,
        "tier_rules": request.app[config_key].fans.tiers,
        "query": query,
        "result": result,
        "sorts": SORTS,
        "valid_search": valid_search,
        "offer_queue": bool(query.flt.search and valid_search and exact is None),
        "can_enqueue": can_enqueue(request),
        "scrape": scrape,
        "here": request.path_qs,
        HEADER_KEY: header,
        **people.HELPERS,
    }
    return await respond(request, "users/directory.html", context, page_json.directory)


def _csv_row(row: PersonState) -> list[object]:
    return [row.username, row.role, row.display_name or "", row.age, row.gender or "", " ".join(row.tags),
            row.priority,
            row.lookup_status, row.followers, row.rank, row.events_count, row.snapshot_count,
            "" if row.is_live is None else int(row.is_live), row.last_seen_at]  # fmt: skip


def _csv_chunk(rows: list[PersonState], *, header: bool) -> bytes:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(row) for row in rows)
    return out.getvalue().encode("utf-8")


@requires(Permission.VIEW_USERS)
async def users_directory_csv(request: web.Request) -> web.StreamResponse:
    """The current filter and sort, every page, as CSV (times stay UTC, as stored).

    Read in keyset pages, each on a reader connection that goes back to the pool before the page
    is sent: a client that stops reading must not hold one of the few readers every page needs.
    """
    query = parse_query(request.query, request.app[config_key].fans.tiers)
    response = web.StreamResponse(headers={"Content-Disposition": 'attachment; filename="directory.csv"'})
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    await response.write(_csv_chunk([], header=True))
    if query.flt.search and not USERNAME.match(query.flt.search):
        await response.write_eof()
        return response
    after: directory.ExportCursor | None = None
    while True:
        async with request.app[db_key].read() as conn:
            rows, after = await directory.export_page(conn, query.flt, after, limit=CSV_BATCH)
        await response.write(_csv_chunk(rows, header=False))
        if after is None:
            break
    await response.write_eof()
    return response


class PersonForm(BaseModel):
    """A button's post about one person, with the page to return to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str
    back: str = ""

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return normalise_username(value)

    @field_validator("back")
    @classmethod
    def _back(cls, value: str) -> str:
        # Only our own pages: a crafted form must not turn this into an open redirect.
        allowed = value.startswith(("/users/directory", "/profile/")) and "//" not in value
        return value if allowed else ""


class QueueRequest(PersonForm):
    priority: int = Field(ge=1, le=2)
    note: str = Field(default="", max_length=500)


@requires(Permission.MANAGE_PRIORITIES)
async def users_directory_queue(request: web.Request) -> web.StreamResponse:
    form = await parse_form(request, QueueRequest)
    by = acting_user(request) or "panel"
    async with request.app[db_key].transaction() as conn:
        try:
            await lookup.enqueue(conn, form.username, form.priority, form.note, by)
        except ValueError as exc:
            raise InvalidInput("Nothing was queued", details=[str(exc)]) from exc
    what = "look up once" if form.priority == 1 else "track continuously"
    await sessions.flash(request, f"Queued {form.username} as P{form.priority} ({what}).")
    raise web.HTTPSeeOther(form.back or "/users/directory?" + urlencode({"q": form.username}))


@requires(Permission.SCRAPE_PROFILES)
async def users_directory_scrape(request: web.Request) -> web.StreamResponse:
    """Queue a profile scrape for the paired extension (it polls /api/ext/v1/tasks)."""
    form = await parse_form(request, PersonForm)
    by = acting_user(request) or "panel"
    ((_task_id, new),) = await extension.queue_scrapes(request.app[db_key], usernames=[form.username], by=by)
    message = "Queued a profile scrape of" if new else "A profile scrape is already queued for"
    await sessions.flash(
        request, f"{message} {form.username}; the Chrome extension runs it on its next poll."
    )
    raise web.HTTPSeeOther(form.back or "/users/directory?" + urlencode({"q": form.username}))
