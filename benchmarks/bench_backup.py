"""`mhc backup` of a year's database (~850 MB): ≤ 1.3 × the sqlite3 command-line shell's `.backup`.

Both run as processes on the same cached database (benchmarks/year_database.py), alternating, each
writing a new file; the figure is the ratio of their medians. `mhc backup` also checks its copy
before it keeps it; the shell's `.backup` checks nothing. When the sqlite3 shell is missing, the
baseline is Python's sqlite3 backup API in one step (said in the output).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import figures
from benchmarks.year_database import year_database

TARGET_RATIO = 1.3
RUNS = 5
ROW = "mhc backup"


def _mhc_backup(source: Path, target: Path) -> None:
    env = {**os.environ, "MHC_DATA_DIR": str(source.parent)}
    done = subprocess.run(  # noqa: S603 — our own command on paths this benchmark made
        [sys.executable, "-m", "service", "backup", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mhc backup failed: {done.stdout}{done.stderr}")


def _shell_backup(source: Path, target: Path) -> None:
    shell = shutil.which("sqlite3")
    assert shell is not None
    # The shell SQLite ships, on paths this benchmark made.
    subprocess.run([shell, str(source), f".backup '{target}'"], check=True, capture_output=True)  # noqa: S603


def _api_backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _timed(run: Callable[[Path, Path], None], source: Path, target: Path) -> float:
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    run(source, target)
    return time.perf_counter() - started


def _read_through(path: Path) -> None:
    """Reads the file once so that the first timed run does not pay for a cold page cache alone."""
    with path.open("rb") as f:
        while f.read(16 * 2**20):
            pass


def main() -> bool:
    source = year_database()
    size = source.stat().st_size
    shell = shutil.which("sqlite3")
    baseline_name = "sqlite3 .backup" if shell else "Python sqlite3 backup API (no sqlite3 shell found)"
    baseline = _shell_backup if shell else _api_backup
    _read_through(source)
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory(dir=source.parent.parent) as tmp:
        target = Path(tmp) / "copy.sqlite3"
        for _ in range(RUNS):
            theirs.append(_timed(baseline, source, target))
            ours.append(_timed(_mhc_backup, source, target))
    mine, base = statistics.median(ours), statistics.median(theirs)
    ratio = mine / base
    print(f"   database {size / 1e6:,.0f} MB ({size / 2**20:,.0f} MiB), medians of {RUNS}, alternating:")
    print(f"   mhc backup       {mine:6.2f} s  ({', '.join(f'{t:.2f}' for t in ours)})")
    print(f"   {baseline_name:16} {base:6.2f} s  ({', '.join(f'{t:.2f}' for t in theirs)})")
    print(f"   ratio {ratio:.2f} (target ≤ {TARGET_RATIO})")
    met = ratio <= TARGET_RATIO
    figures.record(
        ROW,
        f"{mine:.1f} s = {ratio:.2f}×",
        f"≤ {TARGET_RATIO}× baseline",
        f"{baseline_name}: {base:.1f} s",
        met,
    )
    return met


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
