"""Spend tiers and smart-list thresholds: the settings texts, their errors, and which tier a person has."""

from __future__ import annotations

import re

import pytest

from service import fan_tiers
from service.fan_tiers import DEFAULT_RULES, FanRules, Tier, parse_tiers


def test_default_tiers_rank_by_lifetime() -> None:
    """The defaults are Bronze 100, Silver 1,000, Gold 5,000, Diamond 25,000; below 100 is no tier."""
    rules = DEFAULT_RULES.tiers
    assert [(t.name, t.threshold) for t in rules.tiers] == [
        ("Bronze", 100), ("Silver", 1000), ("Gold", 5000), ("Diamond", 25000),
    ]  # fmt: skip
    assert rules.tier_for(0) is None
    assert rules.tier_for(99) is None
    assert rules.tier_for(100) == Tier(1, "Bronze", 100)
    assert rules.tier_for(4999) == Tier(2, "Silver", 1000)
    assert rules.tier_for(5000) == Tier(3, "Gold", 5000)
    assert rules.tier_for(10**7) == Tier(4, "Diamond", 25000)
    assert rules.recent is None
    assert rules.tier_for(0, 10**6) is None


def test_recent_rule_raises_but_never_lowers() -> None:
    """Whoever reaches the recent rule is at least its tier; a higher lifetime tier stays."""
    rules = FanRules.parse({fan_tiers.RECENT_KEY: "gold 1000 in 30 days"}).tiers
    assert rules.recent is not None and rules.recent.tier.name == "Gold" and rules.recent.days == 30
    assert rules.tier_for(0, 999) is None
    assert rules.tier_for(0, 1000) == Tier(3, "Gold", 5000)
    assert rules.tier_for(300, 1000) == Tier(3, "Gold", 5000)
    assert rules.tier_for(30000, 1000) == Tier(4, "Diamond", 25000)
    assert "at least Gold with ≥ 1,000 in the last 30 days" in rules.describe()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "separated by commas"),
        ("Bronze 100,, Gold 5000", "separated by commas"),
        ("Bronze", "is not “Name tokens”"),
        ("Bronze 100, Silver 100", "thresholds must rise: Silver (100) is not above Bronze (100)"),
        ("Gold 5000, Silver 1000", "thresholds must rise"),
        ("Gold 100, gold 200", "the tier name “gold” is used twice"),
        ("Zero 0", "between 1 and"),
        (", ".join(f"T{i} {i * 10}" for i in range(1, 10)), "at most 8 tiers (found 9)"),
        ("<b> 100", "tier name “<b>” must be"),
    ],
)
def test_bad_tier_texts_are_refused_with_a_sentence(text: str, message: str) -> None:
    """Each malformed tiers text names its problem."""
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_tiers(text)


def test_tier_text_is_normalised() -> None:
    """Spaces and digit separators are tidied when the setting is stored."""
    assert (
        fan_tiers.normalise(fan_tiers.TIERS_KEY, " Top  Fan 1_000 ,  Whale 50000")
        == "Top Fan 1000, Whale 50000"
    )
    assert fan_tiers.normalise(fan_tiers.RECENT_KEY, "gold  1000 IN 7 day") == "gold 1000 in 7 days"
    assert fan_tiers.normalise(fan_tiers.RECENT_KEY, "  ") == ""
    assert fan_tiers.normalise(fan_tiers.REGULARS_KEY, "2  OF 4") == "2 of 4"
    assert fan_tiers.normalise(fan_tiers.DRIFTING_SHARE_KEY, "40%") == "0.4"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({fan_tiers.RECENT_KEY: "Platinum 1000 in 30 days"}, "names “Platinum”, which is not a tier"),
        ({fan_tiers.RECENT_KEY: "Gold 1000 in 0 days"}, "days must be between 1"),
        ({fan_tiers.RECENT_KEY: "Gold lots"}, "Tier tokens in N days"),
        ({fan_tiers.REGULARS_KEY: "5 of 3"}, "1 ≤ k ≤ n"),
        ({fan_tiers.REGULARS_KEY: "three of five"}, "“k of n”"),
        ({fan_tiers.DRIFTING_SHARE_KEY: "1"}, "above 0 and below 1"),
        ({fan_tiers.DRIFTING_SHARE_KEY: "half"}, "a number between 0 and 1"),
        ({fan_tiers.LAPSED_DAYS_KEY: "0"}, "Lapsed days must be a whole number"),
        ({fan_tiers.NEW_DAYS_KEY: "-3"}, "New days must be a whole number"),
        ({fan_tiers.REGULAR_MISSED_KEY: "1000"}, "Regular missed must be a whole number from 1 to 100"),
    ],
)
def test_bad_rules_are_refused(values: dict[str, str], message: str) -> None:
    """Every threshold has a range, and the recent rule must name a tier."""
    with pytest.raises(ValueError, match=re.escape(message)):
        FanRules.parse(values)


def test_list_rules_defaults_and_parse() -> None:
    """Regulars 3 of 5, drifting 0.5, missed 3, lapsed 30 days, new 7 days by default."""
    lists = DEFAULT_RULES.lists
    assert (lists.regulars_k, lists.regulars_n, lists.drifting_share) == (3, 5, 0.5)
    assert (lists.regular_missed, lists.lapsed_days, lists.new_days) == (3, 30, 7)
    custom = FanRules.parse({fan_tiers.REGULARS_KEY: "2 of 4", fan_tiers.NEW_DAYS_KEY: "14"}).lists
    assert (custom.regulars_k, custom.regulars_n, custom.new_days) == (2, 4, 14)
