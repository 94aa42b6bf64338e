"""Reading the site's token history CSV: columns, times, numbers, kinds, and files refused whole."""

from __future__ import annotations

import io

import pytest

from service.ingest.token_history import HistoryRow, TokenHistoryError, TokenHistoryReader, classify

HEADER = "User,Token change,Timestamp,Note\n"


def read(text: str) -> tuple[list[HistoryRow], TokenHistoryReader]:
    reader = TokenHistoryReader(io.StringIO(text, newline=""))
    return list(reader), reader


def refusal(text: str) -> str:
    with pytest.raises(TokenHistoryError) as caught:
        read(text)
    return str(caught.value)


def test_rows_are_read_with_utc_times_kinds_and_lines() -> None:
    """Each spending row: normalised user, UTC time in the stored form, tokens, kind, its line."""
    rows, reader = read(
        HEADER
        + "Alice,100,2026-01-02T10:00:00Z,Tip from Alice\n"
        + "bob,25,2026-01-02 11:30:15,Private show\n"
        + "carol,7,2026-01-02T12:00:00.250+02:00,Spy show\n"
    )
    assert [(r.line, r.username, r.at, r.tokens, r.kind) for r in rows] == [
        (2, "alice", "2026-01-02T10:00:00.000Z", 100, "tip"),
        (3, "bob", "2026-01-02T11:30:15.000Z", 25, "private"),
        (4, "carol", "2026-01-02T10:00:00.250Z", 7, "spy"),
    ]
    assert rows[0].ms == 1767348000000
    assert (reader.rows_read, reader.rows_not_spending) == (3, 0)


def test_header_case_other_columns_order_and_bom() -> None:
    """Header names match without case, in any order, among other columns; a BOM is ignored."""
    text = "\ufeffNOTE,extra,timestamp,TOKEN CHANGE,user\nTip,x,2026-03-04 05:06:07,50,dan\n"
    rows, _ = read(text)
    assert [(r.username, r.tokens, r.note, r.at) for r in rows] == [
        ("dan", 50, "Tip", "2026-03-04T05:06:07.000Z")
    ]


def test_non_positive_changes_are_counted_not_returned() -> None:
    """Token change ≤ 0 is not spending: counted apart, not a row; blank lines are no rows."""
    rows, reader = read(HEADER + "a,0,2026-01-01 00:00:00,Tip\n\nb,-30,2026-01-01 00:00:01,Payout\n"
                        "c,\"1,200\",2026-01-01 00:00:02,Tip\n")  # fmt: skip
    assert [(r.username, r.tokens) for r in rows] == [("c", 1200)]
    assert (reader.rows_read, reader.rows_not_spending) == (3, 2)


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ("a,10,yesterday,Tip\n", "Line 2: the Timestamp 'yesterday' is not a date and time."),
        ("a,10,2026-01-01,Tip\n", "Line 2: the Timestamp '2026-01-01' is not a date and time."),
        (
            "a,10,2026-13-01 00:00:00,Tip\n",
            "Line 2: the Timestamp '2026-13-01 00:00:00' is not a date and time.",
        ),
        ("a,ten,2026-01-01 00:00:00,Tip\n", "Line 2: the Token change 'ten' is not a whole number."),
        ("a,1.5,2026-01-01 00:00:00,Tip\n", "Line 2: the Token change '1.5' is not a whole number."),
        (",10,2026-01-01 00:00:00,Tip\n", "Line 2: the User is missing."),
        ("a,,2026-01-01 00:00:00,Tip\n", "Line 2: the Token change is missing."),
        ("a,10\n", "Line 2: the Timestamp is missing."),
        ("bad name!,10,2026-01-01 00:00:00,Tip\n", "Line 2: the User 'bad name!' is not a valid username."),
    ],
)
def test_a_bad_row_refuses_the_file_with_its_line(body: str, sentence: str) -> None:
    """Missing values, bad numbers, times or names: one sentence naming the line."""
    assert refusal(HEADER + body) == sentence


def test_the_line_number_is_the_bad_rows() -> None:
    """The sentence names the line of the first bad row, with a thousands separator."""
    good = "a,10,2026-01-01 00:00:00,Tip\n" * 1500
    assert (
        refusal(HEADER + good + "a,10,never,Tip\n")
        == "Line 1,502: the Timestamp 'never' is not a date and time."
    )


def test_missing_columns_and_empty_file_are_refused() -> None:
    """Without a required column (or any header) nothing is read."""
    assert refusal("User,Timestamp,Note\na,2026-01-01 00:00:00,Tip\n") == (
        "Line 1: the header lacks the column Token change; "
        "a token history file needs User, Token change, Timestamp and Note."
    )
    assert refusal("").startswith("Line 1: the file is empty")


def test_not_utf8_is_refused() -> None:
    """A file in another encoding is refused with a sentence, not a traceback."""
    data = (HEADER + "a,10,2026-01-01 00:00:00,Tip f\xfcr dich\n").encode("latin-1")
    reader = TokenHistoryReader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    with pytest.raises(TokenHistoryError, match="not UTF-8"):
        list(reader)


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("Tip from alice", "tip"),
        ("tip", "tip"),
        ("Tipped in your room", "tip"),
        ("Private show", "private"),
        ("Tip during private show", "private"),
        ("Spy show", "spy"),
        ("Spying on private show", "spy"),
        ("Purchased photo set", "media"),
        ("Video purchase", "media"),
        ("Media set 'beach'", "media"),
        ("Photos", "media"),
        ("Fan Club membership", "fanclub"),
        ("fanclub renewal", "fanclub"),
        ("Fan-club tip", "fanclub"),
        ("Payout", "other"),
        ("", "other"),
    ],
)
def test_note_kinds(note: str, kind: str) -> None:
    """Every kind has its patterns; fan club, spy and private win over the word tip."""
    assert classify(note) == kind
