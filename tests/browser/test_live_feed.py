"""The Events page's live feed in real Chromium: rows arrive without a reload; pause buffers them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.events import Feed
from tests.support.panel import PASSWORD
from tests.support.service_thread import ServiceThread

pytestmark = pytest.mark.e2e


def test_live_rows_and_pause(browser: Browser, served: ServiceThread) -> None:
    """A new event shows at the top; while paused new events wait in a buffer until resumed."""
    feed = Feed()
    served.publish([feed.event(1, "chatMessage", "alice", message="first")])
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(served.base + "/login")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(served.base + "/events")
        rows = page.locator("#event-rows tr")
        expect(rows).to_have_count(1)
        page.wait_for_timeout(300)  # the EventSource connects

        tip = feed.event(2, "tip", "secret_sam", tokens=77, is_anon=True)
        served.publish([tip])
        expect(rows.first).to_have_attribute("data-id", tip.id)
        expect(rows.first).to_contain_text("anonymous")
        assert "secret_sam" not in page.content()

        page.click("[data-testid=live-toggle]")
        later = feed.event(3, "follow", "carol")
        served.publish([later])
        expect(page.locator("#live-state")).to_contain_text("1 new event(s) waiting")
        expect(rows).to_have_count(2)
        page.click("[data-testid=live-toggle]")
        expect(rows).to_have_count(3)
        expect(rows.first).to_have_attribute("data-id", later.id)
        expect(rows.first.locator("a")).to_have_attribute("href", "/profile/carol")
    finally:
        context.close()
