"""Where benchmarks keep the large databases they generate, so a second `make bench` does not spend
minutes building them again. `make clean` removes the directory.

A cached database is named after what it holds, the generator's version and the schema version it was
built with: change the generator (bump its version) or add a migration, and the old file is simply not
found (and is removed with the directory). The schema version matters because the service migrates only
above a database's own version: a file built on a branch with a later-numbered migration would never
get an earlier-numbered one merged after it.
"""

from __future__ import annotations

import os
from pathlib import Path

from service.store.db import schema_version

CACHE_DIR = Path(os.environ.get("MHC_BENCH_CACHE", Path(__file__).resolve().parent.parent / ".bench-cache"))


def cached_path(name: str) -> Path:
    """The path for a generated file called `name`; the caller builds it when it does not exist (build
    into a temporary name and rename, so an interrupted build is never taken for a finished one)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stem, dot, suffix = name.partition(".")
    return CACHE_DIR / f"{stem}-schema{schema_version()}{dot}{suffix}"
