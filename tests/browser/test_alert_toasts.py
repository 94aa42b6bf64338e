"""Alerts in the panel in real Chromium: a toast and the bell's count on an open page, without a reload,
under the panel's CSP (no inline script or style); the notification centre marks read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.alerts import raise_one
from tests.support.panel import PASSWORD
from tests.support.service_thread import ServiceThread

pytestmark = pytest.mark.e2e
# Where to keep screenshots of these pages (for people to look at); unset: none are written.
SHOTS = os.environ.get("MHC_SCREENSHOT_DIR")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_raised_alert_pops_up_and_bumps_the_bell(browser: Browser, served: ServiceThread) -> None:
    served.run(raise_one(served.app, "new_follower", "bob followed you"))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        _sign_in(page, served.base)
        page.goto(served.base + "/users/directory")
        count = page.locator("[data-testid=bell-count]")
        expect(count).to_have_text("1")
        page.wait_for_timeout(300)  # the EventSource connects
        body = "Whale · 12,400 tokens lifetime · last visit 3 weeks ago"
        served.run(
            raise_one(served.app, "fan_enters", "whale_one entered the room", body=body, username="whale_one")
        )
        toast = page.locator("[data-testid=toasts] .toast")
        expect(toast).to_have_count(1)
        expect(toast).to_contain_text("whale_one entered the room")
        expect(toast.locator("a", has_text="Open whale_one")).to_have_attribute("href", "/profile/whale_one")
        expect(count).to_have_text("2")
        served.run(raise_one(served.app, "big_tip", "quiet-hours tip", quiet=True))
        expect(count).to_have_text("3")
        expect(toast).to_have_count(1)  # quiet: counted, not popped up
        _shot(page, "alert-toast")
        toast.locator("button", has_text="Dismiss").click()
        expect(toast).to_have_count(0)
        assert not [p for p in problems if "Content Security Policy" in p], problems
    finally:
        context.close()


def test_the_notification_centre_marks_read(browser: Browser, served: ServiceThread) -> None:
    raised = (("500 tokens from alice", "big_tip", "alice"), ("bob followed you", "new_follower", "bob"),
              ("carol unfollowed you", "unfollow", "carol"))  # fmt: skip
    for title, kind, user in raised:
        served.run(raise_one(served.app, kind, title, body=f"About {user}", username=user))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        _sign_in(page, served.base)
        page.goto(served.base + "/alerts")
        rows = page.locator("[data-testid=alerts] tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator("[data-testid=bell-count]")).to_have_text("3")
        rows.nth(1).locator("button", has_text="Mark read").click()
        expect(page.locator("[data-testid=bell-count]")).to_have_text("2")
        expect(rows.nth(1)).to_have_class("read")
        _shot(page, "alerts-centre")
        page.click("[data-testid=read-all] button")
        expect(page.locator("[data-testid=bell-count]")).to_be_hidden()
        expect(page.locator("tr.unread")).to_have_count(0)
        page.goto(served.base + "/account")
        page.locator("tr[data-kind=unfollow] input[name=panel]").uncheck()
        page.click("text=Save alert choices")
        expect(page.locator("tr[data-kind=unfollow] input[name=panel]")).not_to_be_checked()
        _shot(page, "account-alert-choices")
    finally:
        context.close()
