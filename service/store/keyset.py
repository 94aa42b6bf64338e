"""Keyset paging of newest-first lists: a page starts after (or ends before) a row's sort key instead of
skipping rows with OFFSET, so every page costs what the first does, however deep.

A list is ordered by a time column and then a row id, both descending; a `Cursor` is one row's pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Cursor:
    """A row's place in a newest-first list: its time as stored, and its id."""

    at: str
    row_id: int


@dataclass(frozen=True, slots=True)
class Seek:
    """Which rows a page shows: the first `size` (after skipping `offset`: a page asked for by number
    alone), the `size` after or before a cursor, or the last `size` of the list."""

    size: int
    after: Cursor | None = None
    before: Cursor | None = None
    last: bool = False
    offset: int = 0

    @property
    def backwards(self) -> bool:
        """The page is read oldest first (and turned round): it ends at a place, not starts."""
        return self.before is not None or self.last

    def select(self, template: str, *, time: str, row_id: str) -> tuple[str, dict[str, Any]]:
        """The statement reading this page's rows (one more, to tell whether more follow) and its
        parameters. `template` selects the list's rows with `time AS seek_t` and `row_id AS seek_id`
        among its columns, and holds `{where}` (to AND with its conditions), `{order}` and `{limit}`.

        After (or before) a cursor the rows are read in two parts, each one index seek: the rest of
        the cursor's own time (by id), then the times beyond it. A single `(time, id) < (:t, :id)`
        would walk every row of the cursor's time first, and a first complete list of a million
        followers gives them all one time."""
        way = "ASC" if self.backwards else "DESC"
        order = f"{time} {way}, {row_id} {way}"
        cursor = self.after or self.before
        if cursor is None:
            sql = template.format(where="1", order=order, limit=":seek_limit OFFSET :seek_offset")
            return sql, {"seek_limit": self.size + 1, "seek_offset": self.offset}
        beyond = ">" if self.before else "<"
        same = template.format(where=f"{time} = :seek_at AND {row_id} {beyond} :seek_id", order=order,
                               limit=":seek_limit")  # fmt: skip
        rest = template.format(where=f"{time} {beyond} :seek_at", order=order, limit=":seek_limit")
        sql = (
            f"SELECT * FROM (SELECT * FROM ({same}) UNION ALL SELECT * FROM ({rest})) "  # noqa: S608 - fixed texts
            f"ORDER BY seek_t {way}, seek_id {way} LIMIT :seek_limit"
        )
        return sql, {"seek_limit": self.size + 1, "seek_at": cursor.at, "seek_id": cursor.row_id}


@dataclass(frozen=True, slots=True)
class Page(Generic[T_co]):
    """A page's rows newest first, and whether rows exist beyond it in the direction it was read (after
    its last row; before its first when read backwards)."""

    rows: Sequence[T_co]
    more: bool


def page_of(rows: list[T], seek: Seek) -> Page[T]:
    """The page from rows read with `Seek.select` (one more than the page when more exist)."""
    more = len(rows) > seek.size
    rows = rows[: seek.size]
    return Page(rows[::-1] if seek.backwards else rows, more)
