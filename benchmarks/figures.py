"""The table `make bench` ends with: one row per path the performance issue names, each with the
figure measured in this run, its target and the baseline measured beside it.

A benchmark calls `record(...)` for each row it measures; `python -m benchmarks` prints every row
recorded, in the order the issue lists them, after all benchmarks ran. Rows a run did not measure
(a selection of benchmarks) are left out rather than shown stale.
"""

from __future__ import annotations

from dataclasses import dataclass

# The performance issue's rows, in its order; `record` takes one of these names.
ROWS = (
    "Events ingest, 5,000 events",
    "Events ingest, one 50,000-event broadcast",
    "Directory at 1M, every sort",
    "Directory at 1M, tag filter",
    "Directory at 1M, viewers",
    "Directory throughput at 100k, 20 connections",
    "Profile of a busy person at 100k",
    "Profile of a busy person, all time",
    "Users › Unfollowed, 50,000 ended follows",
    "Users › Followers, 100,000 open follows",
    "Admin › System Stats, all time",
    "Followers reconcile, 1M vs 1M",
    "Sending a 1M-name followers list",
    "Affiliate sweep of 20,000 rooms",
    "Service RSS, 20k-room sweep",
    "Database growth, one day",
    "mhc backup",
)


@dataclass(frozen=True)
class Figure:
    path: str
    figure: str
    target: str
    baseline: str
    met: bool


_recorded: list[Figure] = []


def record(path: str, figure: str, target: str, baseline: str, met: bool) -> None:
    """One row of the table: `path` is one of ROWS; figure, target and baseline are short text."""
    if path not in ROWS:
        raise ValueError(f"{path!r} is not a row of the table (benchmarks/figures.ROWS)")
    _recorded.append(Figure(path, figure, target, baseline, met))


def recorded() -> list[Figure]:
    """Every row recorded so far, in the issue's order (a row recorded twice appears twice)."""
    return sorted(_recorded, key=lambda f: ROWS.index(f.path))


def table(figures: list[Figure]) -> str:
    header = ("path", "figure", "target", "baseline (same run)", "")
    rows = [header] + [(f.path, f.figure, f.target, f.baseline, "ok" if f.met else "MISSED") for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
