"""The table `make bench` ends with: one row per path the performance issue names, each with the
figure measured in this run, its target and the baseline measured beside it.

A benchmark calls `record(...)` for each row it measures; `python -m benchmarks` prints every row
recorded, in the order the issue lists them, after all benchmarks ran. Rows a run did not measure
(a selection of benchmarks) are left out rather than shown stale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    path: str
    figure: str
    target: str
    baseline: str
    met: bool


_recorded: list[Figure] = []


def record(path: str, figure: str, target: str, baseline: str, met: bool) -> None:
    _recorded.append(Figure(path, figure, target, baseline, met))


def recorded() -> list[Figure]:
    return list(_recorded)


def table(figures: list[Figure]) -> str:
    header = ("path", "figure", "target", "baseline (same run)", "")
    rows = [header] + [(f.path, f.figure, f.target, f.baseline, "ok" if f.met else "MISSED") for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
