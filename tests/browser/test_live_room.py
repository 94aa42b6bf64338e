"""The live room in real Chromium: an arrival shows up on the open page over server-sent events, the
anonymous tipper stays anonymous, and the layout holds at tablet width in light and dark."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.events import ROOM, Feed
from tests.support.panel import PASSWORD
from tests.support.service_thread import ServiceThread

pytestmark = pytest.mark.e2e


def _login(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_an_arrival_shows_up_live(browser: Browser, served: ServiceThread) -> None:
    feed = Feed()
    served.publish([feed.event(0, "broadcastStart", ROOM), feed.event(1, "userEnter", "alice"),
                    feed.event(2, "tip", "alice", tokens=50)])  # fmt: skip
    context = browser.new_context(viewport={"width": 768, "height": 1024}, color_scheme="dark")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
    )
    try:
        _login(page, served.base)
        page.goto(served.base + "/room/live")
        people = page.locator("[data-testid=present] li.person")
        expect(people).to_have_count(1)
        page.wait_for_timeout(300)  # the EventSource connects and receives the room as it is

        started = time.perf_counter()
        served.publish([feed.event(3, "userEnter", "bob"), feed.event(4, "tip", "bob", tokens=400),
                        feed.event(5, "tip", "shy_guy", tokens=25, is_anon=True)])  # fmt: skip
        expect(page.locator("[data-testid=present] li.person[data-username=bob]")).to_be_visible()
        delay = time.perf_counter() - started
        print(f"\nlive room: an arrival showed {delay * 1000:.0f} ms after its batch was stored")
        # Sorted by tonight's tokens (neither has a tier yet): bob (400) above alice (50).
        expect(people.first).to_have_attribute("data-username", "bob")
        expect(page.locator("[data-testid=moves]")).to_contain_text("bob arrived")
        expect(page.locator("[data-testid=tips] li").first).to_contain_text("anonymous")
        expect(page.locator("[data-testid=present-count]")).to_have_text("2")
        assert "shy_guy" not in page.content()

        served.publish([feed.event(6, "userLeave", "alice")])
        expect(people).to_have_count(1)
        expect(page.locator("[data-testid=moves]")).to_contain_text("alice left")
        # Nothing overflows the tablet's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        assert errors == []
    finally:
        context.close()
