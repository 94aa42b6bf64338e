"""The site's token history CSV, read row by row: what each row says, or why the whole file is refused.

The broadcaster downloads the file from their account's token stats. It has at least the columns
`User`, `Token change`, `Timestamp` and `Note` (names matched without regard to case; other columns
are ignored). Any row that cannot be read refuses the whole file with its line number and a sentence,
so an import stores all of a file or nothing. A non-positive change is not spending: it is counted,
never stored. A time without a zone is taken as UTC.

Pure: reads a text file object, never the database, and never holds the file's rows in memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from service.clock import to_db
from service.usernames import normalise_username

REQUIRED_COLUMNS = ("User", "Token change", "Timestamp", "Note")
KINDS = ("tip", "private", "spy", "media", "fanclub", "other")

# Note → kind, first pattern that matches wins (a fan-club or show payment may also say "tip"; a
# tip during a private show is private-show income, which the Events API never reports).
KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fanclub", re.compile(r"fan[\s_-]?club", re.IGNORECASE)),
    ("spy", re.compile(r"\bspy", re.IGNORECASE)),
    ("private", re.compile(r"\bprivate\b|\bpvt\b", re.IGNORECASE)),
    ("media", re.compile(r"\b(?:photos?|videos?|media|pictures?|pics?)(?:\s?sets?)?\b", re.IGNORECASE)),
    ("tip", re.compile(r"\btip", re.IGNORECASE)),
)

_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.0*)?$")
# A date and a time of day; the rest (seconds, fraction, zone) is left to fromisoformat.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class TokenHistoryError(ValueError):
    """The file is refused; the message is a sentence for the user."""


def classify(note: str) -> str:
    """The kind of spending a row's note describes."""
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(note):
            return kind
    return "other"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One spending row (tokens > 0) as it will be stored; `line` is its line in the file."""

    line: int
    username: str
    at: str
    ms: int
    tokens: int
    kind: str
    note: str


def parse_tokens(text: str) -> int:
    """A whole number of tokens ("1,234", "+50", "-20", "100.0"); ValueError otherwise."""
    value = text.strip()
    if not _NUMBER.match(value):
        raise ValueError(value)
    return int(value.split(".", 1)[0].replace(",", ""))


def parse_time(text: str) -> datetime:
    """ISO 8601 with or without a zone (none = UTC) or "YYYY-MM-DD HH:MM:SS"; ValueError otherwise."""
    value = text.strip()
    if not _DATE_TIME.match(value):
        raise ValueError(value)
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _line(number: int) -> str:
    return f"Line {number:,}"


class TokenHistoryReader:
    """Iterates a token history file's spending rows; counts what it read and what was not spending.

    Raises TokenHistoryError at the first row (or header) that cannot be read.
    """

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self.rows_read = 0
        self.rows_not_spending = 0

    def __iter__(self) -> Iterator[HistoryRow]:
        reader = csv.reader(self._text)
        try:
            columns = self._columns(next(reader, None))
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue  # a blank line (often the last) is no row
                self.rows_read += 1
                row = self._row(reader.line_num, record, columns)
                if row is None:
                    self.rows_not_spending += 1
                else:
                    yield row
        except UnicodeDecodeError as exc:
            raise TokenHistoryError(
                f"{_line(reader.line_num + 1)}: the file is not UTF-8 text; "
                "export it again from the site, or save it as CSV UTF-8."
            ) from exc
        except csv.Error as exc:
            raise TokenHistoryError(f"{_line(reader.line_num)}: the file is not valid CSV ({exc}).") from exc

    @staticmethod
    def _columns(header: list[str] | None) -> tuple[int, int, int, int]:
        if header is None:
            raise TokenHistoryError("Line 1: the file is empty; it needs a header row with "
                                    "the columns User, Token change, Timestamp and Note.")  # fmt: skip
        names = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]
        positions = []
        missing = []
        for column in REQUIRED_COLUMNS:
            if column.lower() in names:
                positions.append(names.index(column.lower()))
            else:
                missing.append(column)
        if missing:
            raise TokenHistoryError(
                f"Line 1: the header lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; a token history file needs User, Token change, Timestamp and Note."
            )
        user, change, timestamp, note = positions
        return user, change, timestamp, note

    @staticmethod
    def _row(line: int, record: list[str], columns: tuple[int, int, int, int]) -> HistoryRow | None:
        values = []
        for name, position in zip(REQUIRED_COLUMNS, columns, strict=True):
            value = record[position].strip() if position < len(record) else ""
            if not value and name != "Note":
                raise TokenHistoryError(f"{_line(line)}: the {name} is missing.")
            values.append(value)
        user, change, timestamp, note = values
        try:
            tokens = parse_tokens(change)
        except ValueError:
            raise TokenHistoryError(
                f"{_line(line)}: the Token change '{change}' is not a whole number."
            ) from None
        try:
            moment = parse_time(timestamp)
        except ValueError:
            raise TokenHistoryError(
                f"{_line(line)}: the Timestamp '{timestamp}' is not a date and time."
            ) from None
        try:
            username = normalise_username(user)
        except ValueError:
            raise TokenHistoryError(f"{_line(line)}: the User '{user}' is not a valid username.") from None
        if tokens <= 0:
            return None
        ms = (moment - _EPOCH) // _MS
        return HistoryRow(line, username, to_db(moment), ms, tokens, classify(note), note)
