"""The one CSV writer: cells a spreadsheet would run as a formula are neutralised, numbers are not."""

from __future__ import annotations

import csv
import io

import pytest

from service.csv_safe import SafeCsvWriter, neutralise


@pytest.mark.parametrize(
    "text", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e.x")']
)
def test_formula_starts_get_a_leading_quote(text: str) -> None:
    """Each OWASP trigger character at the start makes the cell text, shown with a leading quote."""
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["alice", "a=b", "", " =x", None, -5, 0, 3.5, -0.25, True])
def test_other_values_pass_unchanged(value: object) -> None:
    """Plain text, formula characters later in the text, and numbers (negative too) stay as they are."""
    assert neutralise(value) == value


def test_writer_neutralises_every_string_cell() -> None:
    """Rows written through the writer read back with the quote; numbers stay numeric text."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["name", "tokens"])
    writer.writerows([["=cmd|' /C calc'!A0", -12], ["bob", 7]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "tokens"],
        ["'=cmd|' /C calc'!A0", "-12"],
        ["bob", "7"],
    ]
