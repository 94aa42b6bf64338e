"""The Room page's "Live now" banner follows every source that says the room is live, and names it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from service.clock import to_db
from service.store import stats
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


async def _stats(panel: Panel, *, minutes_ago: float, time_online: int | None) -> None:
    row = stats.StatsRow(
        username=ROOM, token_balance=100, tips_in_last_hour=0, votes_up=1, votes_down=0,
        satisfaction_score=100.0, last_broadcast=None, time_online=time_online, num_followers=10,
        num_viewers=37, num_registered_viewers=3, num_tokened_viewers=1,
    )  # fmt: skip
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    async with panel.app[db_key].transaction() as conn:
        await stats.record_snapshot(conn, row, fetched_at=to_db(at))


def _banner(html: str) -> str | None:
    found = BeautifulSoup(html, "html.parser").select_one("[data-testid=live-banner]")
    return " ".join(found.get_text().split()) if found else None


async def test_the_stats_api_alone_shows_the_banner_and_says_so(admin_panel: Panel) -> None:
    """No broadcast open (the Events stream is down): the Stats API's "live for 42 min" shows the banner."""
    await _stats(admin_panel, minutes_ago=2, time_online=42)
    _, html = await admin_panel.get("/room")
    banner = _banner(html)
    assert banner is not None and "On air for 42 min" in banner and "viewers 37" in banner
    assert "Live according to the Stats API" in banner and "Events stream has no open broadcast" in banner


async def test_an_old_or_offline_stats_answer_shows_no_banner(admin_panel: Panel) -> None:
    """A snapshot from half an hour ago, or one that says offline, is not "live now"."""
    await _stats(admin_panel, minutes_ago=30, time_online=42)
    assert _banner((await admin_panel.get("/room"))[1]) is None
    await _stats(admin_panel, minutes_ago=1, time_online=None)
    assert _banner((await admin_panel.get("/room"))[1]) is None


async def test_both_sources_are_named_when_both_say_live(admin_panel: Panel) -> None:
    """An open broadcast and a fresh Stats API answer: the banner names both sources."""
    f = Feed()
    await ingest(
        admin_panel.app[db_key], [f.event(0, "broadcastStart", ROOM), f.event(1, "tip", "a", tokens=3)]
    )
    await _stats(admin_panel, minutes_ago=1, time_online=5)
    banner = _banner((await admin_panel.get("/room"))[1])
    assert banner is not None and "tokens this session 3" in banner
    assert "Live according to the Events stream (a broadcast is open) and the Stats API" in banner
