"""The Directory's links (DirectoryQuery.url) encode the query exactly as urlencode does, for any
search or tag text a user types."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from multidict import MultiDict

from service.fan_tiers import TierRules
from service.web.handlers.directory import parse_query


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"role": "model", "sort": "followers", "dir": "asc", "page": "3"},
        {"q": "ann&b=c d/é", "tag": "a+b, c#d", "tier": "1"},
        {"q": "x" * 40, "role": "viewer", "sort": "username"},
    ],
)
def test_links_are_urlencoded(query: dict[str, str]) -> None:
    parsed = parse_query(MultiDict(query), TierRules(tiers=()))
    for changes in ({}, {"page": 2}, {"role": "all"}, {"sort": "rank", "dir": "desc"}, {"q": "a b&c"}):
        link = parsed.url(**changes)
        expected = dict(parse_qsl(link[1:], keep_blank_values=True))
        assert link == "?" + urlencode(expected)
        assert expected.get("page") == ("2" if changes.get("page") == 2 else None)
        assert "q" not in expected or expected["q"] == changes.get("q", parsed.raw_search)
