"""A broadcast's written summary in real Chromium: broadcasts arrive through the fake Events API at a
real `mhc serve`; once the last one ends its page starts with the summary the stream wrote, with the
numbers the script was built to give, and the Room page shows the weekly digest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fakes.events import EventsScript
from tests.support.room_service import PASSWORD, fake_events, room_service

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def events() -> Iterator[tuple[EventsScript, str]]:
    with fake_events() as found:
        yield found


@pytest.fixture
def service(tmp_path: Path, events: tuple[EventsScript, str]) -> Iterator[str]:
    with room_service(tmp_path / "data", *events) as url:
        yield url


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _show(script: EventsScript, start: datetime, minutes: int, rows: list[tuple[int, str, str, int]]) -> None:
    script.add("broadcastStart", {}, at_ms=_ms(start))
    for minute, method, who, tokens in rows:
        user = {"user": {"username": who}}
        anonymous = who == "secret_sam"
        body = (
            {**user, "tip": {"tokens": tokens, "isAnon": anonymous, "message": ""}}
            if method == "tip"
            else user
        )
        script.add(method, body, at_ms=_ms(start + timedelta(minutes=minute)))
    script.add("broadcastStop", {}, at_ms=_ms(start + timedelta(minutes=minutes)))


def _history(script: EventsScript) -> None:
    """40 days ago dave tips 50; 8 days ago alice 300 and carol visits; then tonight's show (2 h 30 min):
    alice 500, new erin 1,200 (the biggest tip in 90 days), an anonymous 250, dave back after 40 days,
    frank and gina follow, hank unfollows, erin joins the fan club."""
    _show(script, NOW - timedelta(days=40), 60, [(5, "tip", "dave", 50)])
    _show(script, NOW - timedelta(days=8), 90, [(5, "tip", "alice", 300), (6, "userEnter", "carol", 0)])
    _show(script, NOW - timedelta(hours=3), 150, [
        (1, "userEnter", "alice", 0), (10, "tip", "alice", 500), (30, "userEnter", "erin", 0),
        (40, "tip", "erin", 1200), (45, "tip", "secret_sam", 250), (50, "userEnter", "dave", 0),
        (60, "chatMessage", "carol", 0), (70, "follow", "frank", 0), (71, "follow", "gina", 0),
        (90, "unfollow", "hank", 0), (100, "fanclubJoin", "erin", 0),
    ])  # fmt: skip


def _sign_in(page: Page, service: str, then: str) -> None:
    page.goto(f"{service}/login?next={then}")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(service + then)


def test_the_broadcast_page_starts_with_the_summary_the_stream_wrote(
    browser: Browser, service: str, events: tuple[EventsScript, str]
) -> None:
    SHOTS.mkdir(exist_ok=True)
    _history(events[0])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, service, "/room")
        expect(page.locator("[data-testid=broadcasts] tbody tr")).to_have_count(3, timeout=30_000)
        page.locator("[data-testid=broadcasts] tbody tr").first.locator("a").first.click()
        report = page.locator("[data-testid=broadcast-report]")
        expect(report).to_have_attribute("data-state", "ready", timeout=15_000)
        text = " ".join(report.inner_text().split())
        assert "A 2 h 30 min broadcast from" in text
        assert "brought 1,950 tokens" in text
        assert "Top tippers: erin Silver 1,200, alice Bronze 500; anonymous tips: 250 tokens." in text
        assert "of whom 1 back after more than 30 days: dave" in text
        assert "New followers (2): frank and gina." in text
        assert "Unfollowed (1): hank." in text
        assert "Fan-club joins (1): erin." in text
        assert "the biggest tip in 90 days, 1,200 tokens from erin" in text
        assert "secret_sam" not in page.content()
        page.screenshot(path=str(SHOTS / "summary.png"))
        page.goto(service + "/room")
        digest = page.locator("[data-testid=weekly-digest]")
        expect(digest).to_contain_text("2.5 hours live in 1 broadcast")
        expect(digest).to_contain_text("Best broadcast:")
        page.screenshot(path=str(SHOTS / "room-digest.png"))
    finally:
        context.close()
