"""A benchmark's new database, made as a user's is: every migration file in order."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from service.store.db import migration_files


def migrated(
    path: Path, *, isolation_level: Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None = "DEFERRED"
) -> sqlite3.Connection:
    """A connection to a new database at `path` holding the current schema (user_version set)."""
    conn = sqlite3.connect(path, isolation_level=isolation_level)
    for number, migration in migration_files():
        conn.executescript(migration.read_text(encoding="utf-8"))
        conn.execute(f"PRAGMA user_version = {number}")
    return conn
