"""The data sources as Admin › Sources shows them, and one cheap "test connection" call each.

The web layer never calls a source directly (DESIGN.md); it asks this module, which owns the
clients. A test makes one request, without retries, and answers with a one-line result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from service.config import SourceConfig
from service.jobs import affiliate, statbate, stats
from service.jobs.base import JobContext
from service.redaction import mask
from service.sources.affiliate import AffiliateClient
from service.sources.base import SourceError
from service.sources.cbhours import CBHoursClient
from service.sources.http import RetryPolicy
from service.sources.stats import StatsClient

ONCE = RetryPolicy(max_attempts=1)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    key: str
    name: str  # = JobSpec.source of its jobs and the Settings group
    tables: tuple[str, ...]
    missing_configuration: Callable[[SourceConfig], str | None]
    test: Callable[[JobContext], Awaitable[str]]


async def _test_affiliate(context: JobContext) -> str:
    config = context.config
    client = AffiliateClient(
        context.http, config.affiliate_url, config.affiliate_wm, retry=ONCE, limiter=None
    )
    page = await client.fetch_page(limit=1)
    return f"the feed answers: {page.count} rooms online"


async def _test_stats(context: JobContext) -> str:
    config = context.config
    snapshot = await StatsClient(context.http, config.stats_url, retry=ONCE).get_stats(
        config.broadcaster, config.stats_token
    )
    return f"{snapshot.username}: {snapshot.num_followers} followers, token accepted"


async def _test_cbhours(context: JobContext) -> str:
    client = CBHoursClient(context.http, context.config.cbhours_url, retry=ONCE, limiter=None)
    name = context.config.broadcaster or "chaturbate"
    live = await client.get_live([name])
    known = "knows" if name in live.rooms else "does not track"
    return f"server {'up' if live.server_up else 'down'}; it {known} {name}"


async def _test_statbate(context: JobContext) -> str:
    client = statbate.client_for(context, retry=ONCE, limiter=None)
    batch = await client.members_info_batch([context.config.broadcaster or "chaturbate"])
    return f"token accepted; {batch.found} of {batch.requested} test names known"


def _no_configuration(_config: SourceConfig) -> str | None:
    return None


SOURCES: tuple[SourceInfo, ...] = (
    SourceInfo("affiliate", "Affiliate API", ("affiliate_api_snapshots", "affiliate_sweeps", "images"),
               affiliate.missing_configuration, _test_affiliate),
    SourceInfo("stats", "Stats API", ("stats_snapshots",), stats.missing_configuration, _test_stats),
    SourceInfo("cbhours", "CBHours", ("cbhours_live_stats", "cbhours_activity"), _no_configuration,
               _test_cbhours),
    SourceInfo("statbate", "Statbate",
               ("statbate_member_info", "statbate_model_info", "statbate_member_tips"),
               statbate.missing_configuration, _test_statbate),
)  # fmt: skip
SOURCES_BY_KEY = {source.key: source for source in SOURCES}


async def test_connection(source: SourceInfo, context: JobContext) -> tuple[bool, str]:
    """(ok, message) of one test request; the message never holds a secret."""
    missing = source.missing_configuration(context.config)
    if missing:
        return False, f"not configured: {missing}"
    try:
        message = await source.test(context)
    except (SourceError, ValueError) as exc:
        return False, mask(str(exc), context.config.secrets())
    return True, mask(message, context.config.secrets())
