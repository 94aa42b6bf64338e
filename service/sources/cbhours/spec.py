"""CBHours as the panel and the jobs see it: no credentials, so always configured."""

from __future__ import annotations

import httpx

from service.sources.cbhours.client import CBHoursClient
from service.sources.http import ONCE
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec


async def test_connection(http: httpx.AsyncClient, config: SourceConfig) -> str:
    client = CBHoursClient(http, config.cbhours_url, retry=ONCE, limiter=None)
    name = config.broadcaster or "chaturbate"
    live = await client.get_live([name])
    known = "knows" if name in live.rooms else "does not track"
    return f"server {'up' if live.server_up else 'down'}; it {known} {name}"


SPEC = SourceSpec(
    key="cbhours",
    label="CBHours",
    fields=(
        SettingField(
            "cbhours_url", "CBHours API URL", FieldKind.URL, default="https://www.cbhours.com/api.php"
        ),
    ),
    test_connection=test_connection,
    tables=("cbhours_live_stats", "cbhours_activity"),
)
