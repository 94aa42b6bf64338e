"""Admin › Sources' "test connection": one cheap request an upstream's spec declares.

The web layer never calls a source directly (DESIGN.md); it asks this module. A test makes one
request, without retries, and answers with a one-line result that never holds a secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.jobs.base import JobContext
from service.redaction import mask
from service.sources.base import SourceError
from service.sources.spec import SourceSpec


def testable(sources: Sequence[SourceSpec]) -> list[SourceSpec]:
    """The sources Admin › Sources lists: those with a connection test."""
    return [source for source in sources if source.test_connection is not None]


async def test_connection(source: SourceSpec, context: JobContext) -> tuple[bool, str]:
    """(ok, message) of one test request; the message never holds a secret."""
    config = context.config
    missing = source.missing_configuration(config)
    if missing:
        return False, f"not configured: {missing}"
    if source.test_connection is None:
        return False, "this source has no connection test"
    try:
        message = await source.test_connection(context.http, config)
    except (SourceError, ValueError) as exc:
        return False, mask(str(exc), config.secrets())
    return True, mask(message, config.secrets())
