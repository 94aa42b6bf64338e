"""Users › Fans: the fan ledger as a table (sort, tier, smart list and name filters in the URL), its
CSV and its JSON twin. The rules (tiers, list thresholds) are the Settings page's "Fans" group."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from service.clock import utcnow
from service.csv_safe import SafeCsvWriter
from service.fan_tiers import FanRules
from service.permissions import Permission
from service.store import fan_lists, fans
from service.store.fans import DEFAULT_SORT, LISTS, SORTS, FanRow, FansFilter, FansPage
from service.usernames import USERNAME
from service.web import page_json, people
from service.web.access import requires
from service.web.fan_badges import badges_for
from service.web.json_view import respond
from service.web.keys import config_key, db_key, fan_counts_key
from service.web.query_params import whole_number

CSV_BATCH = 5000
CSV_COLUMNS = ("username", "tier", "lifetime_tokens", "tokens_30_days", "tokens_7_days", "tips",
               "biggest_tip", "visits", "broadcasts_attended", "imported_tokens", "first_seen_at",
               "last_seen_at", "first_tip_at", "last_tip_at", "follower_since", "fanclub_since")  # fmt: skip
# Table columns: (sort key or None, heading).
COLUMNS = (("lifetime", "Lifetime"), ("d30", "30 days"), ("d7", "7 days"), ("tips", "Tips"),
           ("biggest_tip", "Biggest tip"), ("visits", "Visits"), ("broadcasts", "Broadcasts"),
           ("first_seen", "First seen"), ("last_seen", "Last seen"), ("last_tip", "Last tip"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class FansQuery:
    """The page's state as it lives in the URL. Unknown filter values fall back to the defaults (as on
    the Directory); a page number outside 1..MAX_PAGE is a 400."""

    flt: FansFilter
    page: int
    raw_search: str

    def url(self, **changes: Any) -> str:
        """This query with some parameters changed (page resets unless it is the change)."""
        flt = self.flt
        params: dict[str, Any] = {
            "list": flt.smart or "", "tier": "" if flt.tier is None else flt.tier, "q": self.raw_search,
            "rel": "" if flt.list_id is None else flt.list_id,
            "sort": flt.sort, "dir": "desc" if flt.descending else "asc", "page": 1,
        }  # fmt: skip
        params.update(changes)
        kept = {k: v for k, v in params.items() if v not in ("", None, 1) or k == "sort"}
        return "?" + urlencode(kept)

    def list_url(self, key: str | None) -> str:
        """One click on a smart list: that list in its natural order, the other filters kept."""
        smart = next((s for s in LISTS if s.key == key), None)
        sort = smart.sort if smart else DEFAULT_SORT
        return self.url(list=key or "", sort=sort, dir=SORTS[sort][1])

    def sort_url(self, key: str) -> str:
        """Clicking the current sort column flips it; another column starts in its natural order."""
        if key == self.flt.sort:
            return self.url(sort=key, dir="asc" if self.flt.descending else "desc")
        return self.url(sort=key, dir=SORTS[key][1])


def parse_query(query: MultiMapping[str], rules: FanRules) -> FansQuery:
    smart = query.get("list", "")
    smart_list = next((s for s in LISTS if s.key == smart), None)
    sort = query.get("sort", smart_list.sort if smart_list else DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    direction = query.get("dir", SORTS[sort][1])
    tier_text = query.get("tier", "")
    tier = int(tier_text) if tier_text.isascii() and tier_text.isdigit() else None
    rel_text = query.get("rel", "")
    list_id = int(rel_text) if rel_text.isascii() and rel_text.isdigit() and len(rel_text) < 10 else None
    raw_search = query.get("q", "").strip()
    page = whole_number(query.get("page"), "page", minimum=1, maximum=fans.MAX_PAGE) or 1
    flt = FansFilter(
        smart=smart_list.key if smart_list else None,
        tier=tier if tier is not None and tier <= len(rules.tiers.tiers) else None,
        search=raw_search.lower(),
        list_id=list_id,
        sort=sort,
        descending=direction != "asc",
    )
    return FansQuery(flt, page, raw_search)


@requires(Permission.VIEW_USERS)
async def users_fans(request: web.Request) -> web.StreamResponse:
    rules = request.app[config_key].fans
    query = parse_query(request.query, rules)
    valid_search = not query.flt.search or bool(USERNAME.match(query.flt.search))
    now = utcnow()
    async with request.app[db_key].read() as conn:
        if valid_search:
            result = await fans.list_page(conn, query.flt, rules, now=now, page=query.page)
        else:
            result = FansPage([], 0, 1, fans.PAGE_SIZE)
        counts = await request.app[fan_counts_key].get(conn, rules, now=now)
        ledger_empty = counts["top"] == 0 and not await fans.has_ledger(conn)
        badges = await badges_for(request, conn, (row.username for row in result.rows))
        relationship_lists = await fan_lists.list_lists(conn)
    active = next((s for s in LISTS if s.key == query.flt.smart), None)
    context = {
        "active": "users",
        "tab": "fans",
        "query": query,
        "result": result,
        "counts": counts,
        "lists": LISTS,
        "active_list": active,
        "explain": {s.key: fans.explain(s, rules) for s in LISTS},
        "rules": rules,
        "columns": COLUMNS,
        "valid_search": valid_search,
        "ledger_empty": ledger_empty,
        "badges": badges,
        "relationship_lists": relationship_lists,
        **people.HELPERS,
    }
    return await respond(request, "users/fans.html", context, page_json.fans)


def _csv_row(row: FanRow) -> list[object]:
    return [row.username, row.tier.name if row.tier else "", row.lifetime, row.d30, row.d7, row.tips,
            row.biggest_tip, row.visits, row.broadcasts, row.imported_tokens, row.first_seen_at,
            row.last_seen_at, row.first_tip_at, row.last_tip_at, row.follower_since,
            row.fanclub_since]  # fmt: skip


def _csv_chunk(rows: list[FanRow], *, header: bool) -> bytes:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(row) for row in rows)
    return out.getvalue().encode("utf-8")


@requires(Permission.VIEW_USERS)
async def users_fans_csv(request: web.Request) -> web.StreamResponse:
    """The current filters and sort, every row (no page cap), as CSV; times stay UTC, as stored.

    Read in batches, each on a reader connection that goes back to the pool before it is sent."""
    rules = request.app[config_key].fans
    query = parse_query(request.query, rules)
    response = web.StreamResponse(headers={"Content-Disposition": 'attachment; filename="fans.csv"'})
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    await response.write(_csv_chunk([], header=True))
    if query.flt.search and not USERNAME.match(query.flt.search):
        await response.write_eof()
        return response
    now = utcnow()
    offset = 0
    while True:
        async with request.app[db_key].read() as conn:
            rows = await fans.export_rows(conn, query.flt, rules, now=now, offset=offset, limit=CSV_BATCH)
        await response.write(_csv_chunk(rows, header=False))
        if len(rows) < CSV_BATCH:
            break
        offset += CSV_BATCH
    await response.write_eof()
    return response
