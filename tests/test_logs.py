"""Secrets never reach the log, tracebacks included."""

from __future__ import annotations

import logging

from service.logs import RedactingFormatter, SecretRegistry


def test_secrets_are_masked_in_messages_and_tracebacks() -> None:
    """A token inside a message or an exception's text is replaced by ***."""
    registry = SecretRegistry()
    registry.replace(["tok-123456789", ""])
    formatter = RedactingFormatter("%(message)s", registry.values)
    try:
        raise ValueError("GET https://upstream/events/me/tok-123456789/ failed")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url was %s", ("/tok-123456789/",), None)
        import sys

        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "tok-123456789" not in text
    assert text.count("***") == 3  # the message, the traceback's source line, the exception text


def test_secrets_are_masked_in_encoded_form_too() -> None:
    """An upstream error echoing our URL shows the token percent-encoded; the log never does."""
    registry = SecretRegistry()
    registry.replace(["Ab+cd/ef=gh&ij-0123456789"])
    formatter = RedactingFormatter("%(message)s", registry.values)
    record = logging.LogRecord(
        "x",
        logging.WARNING,
        __file__,
        1,
        "stats failed: %s",
        ("GET /statsapi/?token=Ab%2Bcd%2Fef%3Dgh%26ij-0123456789",),
        None,
    )
    assert formatter.format(record) == "stats failed: GET /statsapi/?token=***"
