"""Runs every `bench_*.py` module's `main()` in turn, prints what each measured, and ends with the table
of the figures they recorded (benchmarks/figures.py). Exits 1 when any target is missed.

`python -m benchmarks directory events` runs only the benchmarks whose names contain one of the words
(`make bench ONLY="directory events"`).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks import figures


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [name for name in names if any(word in name for word in argv)]
    if not names:
        print("no benchmarks match" if argv else "no benchmarks yet")
        return 1 if argv else 0
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        ok = module.main()
        print(f"   ({time.perf_counter() - started:.1f} s{'' if ok else ', TARGET MISSED'})", flush=True)
        failed += 0 if ok else 1
    rows = figures.recorded()
    if rows:
        print()
        print(figures.table(rows))
    missed = sum(not row.met for row in rows)
    print(f"\n{len(names)} benchmarks, {failed} missed a target; {len(rows)} table rows, {missed} missed")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
