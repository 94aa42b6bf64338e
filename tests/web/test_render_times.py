"""The shown times (render.localtime, utctime, time_text) format by hand the two formats every page
uses; they must read exactly as strftime wrote them, in any zone the machine is in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.web.render import MINUTES, SECONDS, localtime, time_text, utctime

MOMENTS = [
    datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),  # a DST change in Europe
    datetime(2026, 1, 2, 23, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
]


@pytest.fixture(params=["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The machine's local zone, as the service reads it."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("zone")
@pytest.mark.parametrize("moment", MOMENTS)
def test_times_read_as_strftime_wrote_them(moment: datetime) -> None:
    for fmt in (MINUTES, SECONDS, "%d.%m.%Y"):
        assert localtime(moment, fmt) == moment.astimezone().strftime(fmt)
    assert utctime(moment) == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = moment.astimezone().strftime(MINUTES)
    assert time_text(moment) == (
        f'<time datetime="{moment.isoformat()}" data-precision="minutes" '
        f'title="{moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}">{shown}</time>'
    )


def test_no_time_is_a_dash() -> None:
    assert localtime(None) == "—"
    assert utctime(None) == ""
    assert time_text(None) == "&mdash;"  # HTML: the dash as an entity keeps a page ASCII
