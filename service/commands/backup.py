"""`mhc backup PATH`: SQLite's online backup, consistent even while the service writes, and checked
before it is kept.

The copy is the backup API in one step: one snapshot of the source, page for page, read through a
memory map into an unjournaled file that is flushed to disk once. The check (store/copy_check.py:
every page of every table and index decodes, and they add up) reads that same snapshot through a
second connection while the copy is written, so it costs no time of its own: the copy holds
exactly the pages the check read. When the service commits between the moments the two
connections take their snapshots (they are retaken a few times), the finished copy itself is
checked instead. A copy whose snapshot fails is deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.commands.database import wait_ms
from service.settings import Settings
from service.store.copy_check import check_connection, check_file, map_pages
from service.store.files import create_private_file

_SHOWN = 5
_PIN_ATTEMPTS = 5


class BackupError(Exception):
    pass


def _open_source(path: Path, timeout: float) -> sqlite3.Connection:
    # Autocommit (isolation_level None): the read transactions below are begun explicitly.
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    map_pages(conn)
    return conn


def _data_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA data_version").fetchone()
    return int(row[0]) if row else 0


def _begin_read(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here


def _pin_same_snapshot(
    copier: sqlite3.Connection, checker: sqlite3.Connection, watcher: sqlite3.Connection
) -> bool:
    """Opens a read transaction on `copier` and on `checker` over the same snapshot: true when no
    other connection committed between them (`watcher`'s data_version, which changes with every
    commit by anyone else, is the same before and after)."""
    for _ in range(_PIN_ATTEMPTS):
        before = _data_version(watcher)
        _begin_read(copier)
        _begin_read(checker)
        if _data_version(watcher) == before:
            return True
        copier.execute("ROLLBACK")
        checker.execute("ROLLBACK")
    return False


def _copy(source: sqlite3.Connection, partial: Path) -> None:
    destination = sqlite3.connect(partial)
    try:
        # A new file nobody else opens: no journal to roll back to (an interrupted copy is deleted,
        # never kept), and one flush at the end instead of SQLite's own.
        destination.execute("PRAGMA journal_mode = OFF")
        destination.execute("PRAGMA synchronous = OFF")
        # One step, in the source's read transaction when it has one: one snapshot, never restarted.
        source.backup(destination)
    finally:
        destination.close()
    _flush(partial)


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_and_check(source_path: Path, partial: Path, timeout: float) -> list[str]:
    copier, checker, watcher = (_open_source(source_path, timeout) for _ in range(3))
    try:
        if not _pin_same_snapshot(copier, checker, watcher):
            _copy(copier, partial)
            return check_file(partial)
        with ThreadPoolExecutor(max_workers=1) as pool:
            copied = pool.submit(_copy, copier, partial)  # SQLite lets go of the GIL: both run at once
            found = check_connection(checker)
            copied.result()
        return found
    finally:
        for conn in (copier, checker, watcher):
            conn.close()


def run(settings: Settings, target: Path, *, force: bool) -> int:
    source_path = settings.database_path
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created owner-only before SQLite writes into it: a backup holds what the database holds.
    create_private_file(partial, exclusive=True)
    try:
        found = _copy_and_check(source_path, partial, wait_ms(settings) / 1000)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if found:
        partial.unlink(missing_ok=True)
        more = f" (and {len(found) - _SHOWN} more)" if len(found) > _SHOWN else ""
        raise BackupError(f"the copy failed its check, nothing was kept: {'; '.join(found[:_SHOWN])}{more}")
    os.replace(partial, target)
    # The rename itself; a system that cannot open a folder (Windows) makes renames durable itself.
    with contextlib.suppress(OSError):
        _flush(target.parent)
    print(f"backed up {source_path} to {target} ({target.stat().st_size} bytes)")
    return 0
