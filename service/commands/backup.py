"""`mhc backup PATH`: SQLite's online backup, consistent even while the service writes, and checked
before it is kept.

The copy is the backup API in one step (one snapshot, never restarted by the service's writes),
reading the source through a memory map and writing an unjournaled file that is flushed to disk
once. While the kernel writes it out, the copy is read back and checked (store/copy_check.py:
every page of every table and index decodes, and they add up); a copy that fails is deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.commands.database import wait_ms
from service.settings import Settings
from service.store.copy_check import check_file
from service.store.files import create_private_file

# Enough to map any database a broadcaster keeps; SQLite maps no more than the file's size.
_MMAP_BYTES = 2**40
_SHOWN = 5


class BackupError(Exception):
    pass


def _copy(source_path: Path, partial: Path, timeout: float) -> None:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=timeout)
    try:
        # Pages come straight from the OS cache instead of a read() per page.
        source.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        destination = sqlite3.connect(partial)
        try:
            # A new file nobody else opens: no journal to roll back to (an interrupted copy is
            # deleted, never kept), and no flush per step; run() flushes it once.
            destination.execute("PRAGMA journal_mode = OFF")
            destination.execute("PRAGMA synchronous = OFF")
            # One step: the whole copy is one snapshot of the source.
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        _copy(source_path, partial, wait_ms(settings) / 1000)
        with ThreadPoolExecutor(max_workers=1) as pool:
            flushed = pool.submit(_flush, partial)  # the disk write runs while the check reads
            found = check_file(partial)
            flushed.result()
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
