"""The one CSV writer of the product (Directory download, `mhc export`).

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and tab or carriage
return can smuggle one in; display names, tags and tip messages come from strangers. As OWASP
advises, such text cells get a leading `'`, which spreadsheets show as text. Numbers are left alone,
so a negative count stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _TextOut(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> object:
    """The cell as written: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer with every string cell neutralised."""

    def __init__(self, out: _TextOut) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
