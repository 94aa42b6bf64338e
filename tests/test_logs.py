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
