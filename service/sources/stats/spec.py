"""The Stats API as the panel and the jobs see it."""

from __future__ import annotations

import httpx

from service.sources.http import ONCE
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec
from service.sources.stats.client import StatsClient


def missing_configuration(config: SourceConfig) -> str | None:
    if not config.broadcaster:
        return "no broadcaster username"
    if not config.stats_token:
        return "no Stats API token"
    return None


async def test_connection(http: httpx.AsyncClient, config: SourceConfig) -> str:
    client = StatsClient(http, config.stats_url, retry=ONCE)
    snapshot = await client.get_stats(config.broadcaster, config.stats_token)
    return f"{snapshot.username}: {snapshot.num_followers} followers, token accepted"


SPEC = SourceSpec(
    key="stats",
    label="Stats API",
    fields=(
        SettingField("stats_token", "Stats API token", FieldKind.SECRET),
        SettingField("stats_url", "Stats API URL", FieldKind.URL, default="https://chaturbate.com/statsapi/"),
    ),
    missing_configuration=missing_configuration,
    test_connection=test_connection,
    tables=("stats_snapshots",),
    prose_name="the Stats API",
)
