"""The alert rules' pure parts: params per kind, quiet hours across midnight, rules in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from service.alert_rules import (
    BigTip,
    FanEnters,
    FanReturns,
    QuietHours,
    Rule,
    describe,
    params_from_json,
    parse_clock,
)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [("22:59", False), ("23:00", True), ("00:30", True), ("06:59", True), ("07:00", False), ("12:00", False)],
)
def test_quiet_hours_span_midnight(moment: str, quiet: bool) -> None:
    hours, minutes = (int(x) for x in moment.split(":"))
    at = datetime(2026, 3, 1, hours, minutes, tzinfo=UTC)
    assert QuietHours(23 * 60, 7 * 60, "UTC").contains(at) is quiet


def test_quiet_hours_are_read_in_their_time_zone() -> None:
    """22:30 UTC in winter is 23:30 in Berlin: inside 23:00–07:00 there, outside in UTC."""
    at = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)
    assert QuietHours(23 * 60, 7 * 60, "Europe/Berlin").contains(at)
    assert not QuietHours(23 * 60, 7 * 60, "UTC").contains(at)


def test_params_are_strict_and_say_what_is_missing() -> None:
    with pytest.raises(ValidationError, match="choose a tier, a list or a smart list"):
        FanEnters()
    with pytest.raises(ValidationError, match="choose lapsed, drifting or both"):
        FanReturns(lapsed=False, drifting=False)
    with pytest.raises(ValidationError):
        params_from_json("big_tip", '{"min_tokens": "100"}')  # strict: a number, not a text
    with pytest.raises(ValidationError):
        params_from_json("big_tip", '{"min_tokens": 100, "extra": 1}')
    assert params_from_json("fan_enters", '{"list_ids": [3], "smart": ["regulars"]}') == FanEnters(
        list_ids=(3,), smart=("regulars",)
    )


def test_clock_texts() -> None:
    assert parse_clock("23:30") == 1410
    for bad in ("24:00", "7", "07:5", "ab:cd"):
        with pytest.raises(ValueError, match="time of day"):
            parse_clock(bad)


def test_rules_in_words() -> None:
    enters = Rule(1, "fan_enters", "Whales", FanEnters(min_tier="Gold", list_ids=(2,)), 600,
                  QuietHours(23 * 60, 7 * 60, "Europe/Berlin"), True, "")  # fmt: skip
    assert describe(enters, {2: "VIP"}) == (
        "Someone of tier Gold or higher or on “VIP” enters the room "
        "(at most once per person every 10 minutes; quiet 23:00–07:00 (Europe/Berlin))."
    )
    tip = Rule(2, "big_tip", "Big", BigTip(min_tokens=1000), 0, None, True, "")
    assert describe(tip) == "A tip of 1,000 tokens or more (anonymous tips alert as “anonymous”)."
