"""The exception tree every upstream client raises, so callers can catch per kind of failure."""

from __future__ import annotations


class SourceError(Exception):
    """Anything that went wrong talking to an upstream service.

    Messages must never contain credentials: clients build them from the request's
    redacted URL, never from the raw one.
    """


class SourceConnectionError(SourceError):
    """The upstream could not be reached, timed out, or kept failing after the retries."""


class SourceTimeoutError(SourceConnectionError):
    """The upstream did not answer in time."""


class SourceResponseError(SourceError):
    """The upstream answered, but with a status or body we cannot use."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SourceAuthError(SourceResponseError):
    """The upstream refused our credentials (401/403): retrying will not help."""


class SourceNotFoundError(SourceResponseError):
    """The upstream does not know the thing asked for (e.g. a username)."""


class SourceRateLimitedError(SourceResponseError):
    """The upstream kept answering 429 after the retries."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after
