"""`mhc backup PATH`: SQLite's online backup, consistent even while the service writes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from service.commands.database import wait_ms
from service.settings import Settings
from service.store.files import create_private_file


class BackupError(Exception):
    pass


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
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=wait_ms(settings) / 1000)
    try:
        destination = sqlite3.connect(partial)
        try:
            # The backup API copies page by page and restarts if a writer changes the source,
            # so the copy is one consistent snapshot.
            source.backup(destination)
            check = destination.execute("PRAGMA integrity_check").fetchone()
        finally:
            destination.close()
    finally:
        source.close()
    if not check or check[0] != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    os.replace(partial, target)
    print(f"backed up {source_path} to {target} ({target.stat().st_size} bytes)")
    return 0
