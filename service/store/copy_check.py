"""Whether a database is whole: the check `mhc backup` runs on the snapshot it copies (or on the
finished copy) before keeping the copy.

`PRAGMA integrity_check` reads every page and then looks every index entry up in its table; on a
year's database (~850 MB) that takes twice as long as the copy itself, and `PRAGMA quick_check`
(no lookups, but every row decoded) about as long as the copy. This check reads every page of
every table and index once, through SQLite's `dbstat` table, which decodes each page's header,
cell pointers and cells and follows overflow chains; it reports:

- a page that does not decode (its header or cell pointers overwritten): "corrupted";
- a table and one of its indexes holding different numbers of entries (a lost or doubled page);
- pages that do not add up to the file: every page must belong to exactly one table or index or
  to the free list, so a page referenced twice, or by none, shows as a difference.

A file that cannot be opened or read at all is reported too. What it cannot see, like
`quick_check`, is a changed value inside a row that leaves its page well-formed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

# SQLite never uses the page holding the byte at 1 GiB (its lock bytes) in a file that large.
_LOCK_BYTE_OFFSET = 2**30
# Enough to map any database a broadcaster keeps; SQLite maps no more than the file's size.
_MMAP_BYTES = 2**40


@dataclass(frozen=True, slots=True)
class _Tree:
    name: str
    table: str
    is_index: bool  # an index, or a WITHOUT ROWID table: entries in interior pages too
    is_partial: bool  # a partial index holds fewer entries than its table


@dataclass(frozen=True, slots=True)
class _Walk:
    pages: int  # different pages reached
    visits: int  # pages reached, counting a page reached twice twice
    entries: int
    corrupted: int


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite was built with the dbstat table (most are; Python's own builds vary)."""
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 0")
    except sqlite3.OperationalError:
        return False
    return True


def _trees(conn: sqlite3.Connection) -> list[_Tree]:
    rows = conn.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE rootpage > 0 ORDER BY name"
    ).fetchall()
    # The schema's own pages: SQLite before 3.33 calls them sqlite_master in dbstat.
    found = conn.execute("SELECT count(*) FROM dbstat WHERE name = 'sqlite_schema'").fetchone()
    schema = "sqlite_schema" if found and found[0] else "sqlite_master"
    trees = [_Tree(schema, schema, is_index=False, is_partial=False)]
    for kind, name, table, sql in rows:
        text = " ".join(str(sql).upper().split())
        is_index = kind == "index" or "WITHOUT ROWID" in text
        trees.append(_Tree(str(name), str(table), is_index, kind == "index" and " WHERE " in text))
    return trees


def _walk(conn: sqlite3.Connection, tree: _Tree) -> _Walk:
    row = conn.execute(
        "SELECT count(DISTINCT pageno), count(*), "
        "coalesce(sum(ncell) FILTER (WHERE pagetype = 'leaf'), 0), "
        "coalesce(sum(ncell) FILTER (WHERE pagetype = 'internal'), 0), "
        "count(*) FILTER (WHERE pagetype = 'corrupted') "
        "FROM dbstat WHERE name = :name",
        {"name": tree.name},
    ).fetchone()
    pages, visits, leaf_cells, interior_cells, corrupted = (int(value) for value in row)
    # A table's rows sit in its leaves; an index keeps entries in its interior pages as well.
    return _Walk(pages, visits, leaf_cells + (interior_cells if tree.is_index else 0), corrupted)


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute(f"PRAGMA {name}").fetchone()  # a fixed name from this module, not input
    return int(row[0]) if row else 0


def _findings(conn: sqlite3.Connection, trees: list[_Tree], walks: dict[str, _Walk]) -> list[str]:
    found = []
    for name, walk in walks.items():
        if walk.corrupted:
            found.append(f"{walk.corrupted} page(s) of {name} do not decode (corrupted)")
        if walk.visits != walk.pages:
            found.append(f"{walk.visits - walk.pages} page(s) of {name} are reached twice")
    for tree in trees:
        if tree.is_index and tree.name != tree.table and not tree.is_partial and tree.table in walks:
            rows, entries = walks[tree.table].entries, walks[tree.name].entries
            if entries != rows:
                found.append(f"index {tree.name} holds {entries} entries for the {rows} rows of {tree.table}")
    page_size, page_count = _pragma(conn, "page_size"), _pragma(conn, "page_count")
    accounted = sum(walk.pages for walk in walks.values()) + _pragma(conn, "freelist_count")
    if page_count * page_size > _LOCK_BYTE_OFFSET:
        accounted += 1
    if _pragma(conn, "auto_vacuum") == 0 and accounted != page_count:
        found.append(f"the tables, indexes and free list account for {accounted} pages of {page_count}")
    return found


def check_connection(conn: sqlite3.Connection) -> list[str]:
    """What is wrong with the database `conn` reads (the snapshot of its open read transaction,
    when it has one); empty when nothing is. A database SQLite cannot read is a problem too."""
    try:
        if not _has_dbstat(conn):
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
            return [] if rows == ["ok"] else rows
        trees = _trees(conn)
        walks = {tree.name: _walk(conn, tree) for tree in trees}
        return _findings(conn, trees, walks)
    except sqlite3.DatabaseError as exc:
        return [f"the database cannot be read: {exc}"]


def check_file(path: Path) -> list[str]:
    """`check_connection` of the database file at `path`, which nothing else has open (a copy):
    read-only and immutable, so no lock and no -wal or -shm file beside it."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.DatabaseError as exc:
        return [f"the database cannot be read: {exc}"]
    try:
        map_pages(conn)
        return check_connection(conn)
    finally:
        conn.close()


def map_pages(conn: sqlite3.Connection) -> None:
    """Pages read through a memory map rather than a read() each: a walk of every page is faster."""
    conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
