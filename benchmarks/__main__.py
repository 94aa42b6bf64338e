"""Runs every `bench_*.py` module's `main()` in turn and prints what each measured."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if not names:
        print("no benchmarks yet")
        return 0
    failed = 0
    for name in names:
        print(f"== {name}")
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        ok = module.main()
        print(f"   ({time.perf_counter() - started:.1f} s{'' if ok else ', TARGET MISSED'})")
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
