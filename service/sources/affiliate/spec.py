"""The Affiliate API as the panel and the jobs see it."""

from __future__ import annotations

import httpx

from service.sources.affiliate.client import AffiliateClient
from service.sources.http import ONCE
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec


def missing_configuration(config: SourceConfig) -> str | None:
    if not config.affiliate_wm:
        return "no affiliate campaign slug (wm)"
    return None


async def test_connection(http: httpx.AsyncClient, config: SourceConfig) -> str:
    client = AffiliateClient(http, config.affiliate_url, config.affiliate_wm, retry=ONCE, limiter=None)
    page = await client.fetch_page(limit=1)
    return f"the feed answers: {page.count} rooms online"


SPEC = SourceSpec(
    key="affiliate",
    label="Affiliate API",
    fields=(
        SettingField("affiliate_wm", "Campaign slug (wm)", FieldKind.TEXT,
                     help="The 5-character code from your affiliate links page."),
        SettingField("affiliate_url", "Feed URL", FieldKind.URL,
                     default="https://chaturbate.com/api/public/affiliates/onlinerooms/"),
        SettingField("affiliate_gender", "Only genders", FieldKind.LIST,
                     help="Comma-separated f, m, t, c; empty sweeps every gender."),
        SettingField("affiliate_region", "Only regions", FieldKind.LIST,
                     help="Comma-separated asia, europe_russia, northamerica, southamerica, other; "
                     "empty = all."),
        SettingField("affiliate_tags", "Only tags", FieldKind.LIST,
                     help="Up to 5 comma-separated tags; empty = all."),
    ),
    missing_configuration=missing_configuration,
    test_connection=test_connection,
    tables=("affiliate_sessions", "affiliate_profiles", "affiliate_sweeps", "images"),
    prose_name="the Affiliate API",
    chart_name="Affiliate",
)  # fmt: skip
