"""Paging of the keyset-paged lists (Users › Following, Followers and Unfollowed).

A link asks for the page after or before a row (`after=` / `before=` its time and period id, as the
store's `keyset.Cursor`) or for the last page (`last=1`), and carries the page's number (`page=`) for
"Page N of M", so a deep page costs what the first does. `?page=N` alone still works (a bookmark, a
script): it skips rows, which is slower deep down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from multidict import MultiMapping

from service.errors import InvalidInput
from service.store.keyset import Cursor, Page, Seek
from service.web.query_params import MAX_ID, page_number

_CURSOR = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z),([0-9]{1,19})$"
)


def cursor_text(cursor: Cursor) -> str:
    return f"{cursor.at},{cursor.row_id}"


def _cursor(query: MultiMapping[str], name: str) -> Cursor | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    found = _CURSOR.match(text)
    if not found or int(found.group(2)) > MAX_ID:
        problem = "a row's place in the list, as the page's own Previous and Next links give it"
        raise InvalidInput(f"{name}: {problem}", details=[f"{name}: {problem}"])
    return Cursor(found.group(1), int(found.group(2)))


def pages_of(total: int, size: int) -> int:
    return max(1, -(-total // size))


def seek_from(query: MultiMapping[str], *, size: int, total: int) -> tuple[Seek, int]:
    """The rows the query asks for, and the number of their page."""
    pages = pages_of(total, size)
    page = page_number(query)
    after, before = _cursor(query, "after"), _cursor(query, "before")
    if after and before:
        problem = "a page follows one row or precedes one, not both"
        raise InvalidInput(f"after, before: {problem}", details=[f"after, before: {problem}"])
    if query.get("last") == "1":
        # The last page holds what the numbered pages before it leave, as skipping rows would show it.
        return Seek(size=total - (pages - 1) * size or size, last=True), pages
    if after:
        return Seek(size=size, after=after), min(max(page, 2), pages)
    if before:
        return Seek(size=size, before=before), min(page, pages)
    return Seek(size=size, offset=(page - 1) * size), page


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page is and the links around it (None: there is no such page)."""

    page: int
    pages: int
    first_url: str | None
    prev_url: str | None
    next_url: str | None
    last_url: str | None


class _Placed(Protocol):
    @property
    def cursor(self) -> Cursor: ...


def pager(
    path: str, params: dict[str, str], seek: Seek, page: int, *, pages: int, found: Page[_Placed]
) -> Pager:
    """The links of the page `found` with `seek` (its rows newest first, each with its cursor)."""
    first = found.rows[0].cursor if found.rows else None
    last = found.rows[-1].cursor if found.rows else None
    more = found.more

    def url(**extra: str | int) -> str:
        return f"{path}?{urlencode({**params, **extra})}"

    if seek.backwards:
        has_prev, has_next = more, not seek.last
    else:
        has_prev, has_next = seek.after is not None or seek.offset > 0, more
    prev_url = next_url = None
    if has_prev and first is not None:
        prev_url = url() if page <= 2 else url(before=cursor_text(first), page=page - 1)
    elif has_prev:  # past the end of the list (rows gone since): back to its start
        prev_url = url()
    if has_next and last is not None:
        next_url = url(after=cursor_text(last), page=page + 1)
    return Pager(page=page, pages=pages, first_url=url() if has_prev else None, prev_url=prev_url,
                 next_url=next_url, last_url=url(last=1) if has_next else None)  # fmt: skip
