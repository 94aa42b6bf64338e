"""Statbate Plus as the panel and the jobs see it."""

from __future__ import annotations

import httpx

from service.sources.http import ONCE
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec
from service.sources.statbate.client import StatbateClient


def missing_configuration(config: SourceConfig) -> str | None:
    return None if config.statbate_token else "no Statbate API token"


async def test_connection(http: httpx.AsyncClient, config: SourceConfig) -> str:
    client = StatbateClient(http, config.statbate_url, config.statbate_token, retry=ONCE, limiter=None)
    batch = await client.members_info_batch([config.broadcaster or "chaturbate"])
    return f"token accepted; {batch.found} of {batch.requested} test names known"


SPEC = SourceSpec(
    key="statbate",
    label="Statbate",
    fields=(
        SettingField("statbate_token", "Statbate Plus API token", FieldKind.SECRET),
        SettingField(
            "statbate_url", "Statbate API URL", FieldKind.URL, default="https://plus.statbate.com/api"
        ),
    ),
    missing_configuration=missing_configuration,
    test_connection=test_connection,
    tables=("statbate_member_info", "statbate_model_info", "statbate_member_tips"),
)
