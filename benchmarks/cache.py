"""Where benchmarks keep the large databases they generate, so a second `make bench` does not spend
minutes building them again. `make clean` removes the directory.

A cached database is named after what it holds and the generator's version: change the generator,
bump its version, and the old file is simply not found (and is removed with the directory).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR = Path(os.environ.get("MHC_BENCH_CACHE", Path(__file__).resolve().parent.parent / ".bench-cache"))


def cached_path(name: str) -> Path:
    """The path for a generated file called `name`; the caller builds it when it does not exist (build
    into a temporary name and rename, so an interrupted build is never taken for a finished one)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return CACHE_DIR / name
