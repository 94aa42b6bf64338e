"""The panel in real Chromium against the real `mhc serve`: first-run setup, navigation, settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real service process; yields its base URL and the setup link it printed."""
    process = ServiceProcess(tmp_path / "data")
    process.start()
    try:
        yield process.url, process.setup_link()
    finally:
        process.stop()


def test_first_run_setup_and_navigation(browser: Browser, service: tuple[str, str], tmp_path: Path) -> None:
    """The owner opens the printed link, creates the admin, and sees the panel's navigation."""
    base, link = service
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(base + "/")
        expect(page).to_have_url(re.compile(r"/login\?next=/$"))
        page.goto(link)
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=password_again]", PASSWORD)
        page.click("button[type=submit]")
        # A new admin lands on the first-run checklist, not on an empty Directory.
        expect(page).to_have_url(base + "/")
        expect(page.locator("[data-testid=checklist]")).to_have_attribute("data-complete", "no")
        name_step = page.locator("[data-testid=checklist] li[data-step='Your broadcaster username']")
        expect(name_step).to_contain_text("not set yet")
        nav = page.locator("nav.mainnav a")
        expect(nav).to_have_text(["Users", "Profile", "My Room", "Events", "Admin"])
        page.click("text=Go to the Directory anyway")
        expect(page).to_have_url(base + "/users/directory")
        expect(page.locator("[data-testid=directory] [data-testid=empty]")).to_have_text("No persons match.")

        page.click("text=Admin")
        page.click("nav.subnav >> text=Settings")
        page.fill("input[name=broadcaster]", "Sunny_Day")
        page.fill("input[name=stats_token]", "secret-stats-token-123")
        page.click("button:has-text('Save settings')")
        expect(page.locator(".flash")).to_have_text("Settings saved.")
        expect(page.locator("[data-testid=nav-room]")).to_have_text("sunny_day")
        expect(page.locator("[data-key=stats_token] .state")).to_have_text("set")
        assert "secret-stats-token-123" not in page.content()
        page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)

        page.click("nav.subnav >> text=Jobs")
        page.click("tr[data-job=maintenance] >> text=Run now")
        expect(page.locator(".flash")).to_contain_text("Job maintenance started")
        page.reload()
        expect(page.locator("[data-testid=job-runs] tbody tr").first).to_contain_text("ok: removed")

        page.click("text=Sign out")
        expect(page).to_have_url(re.compile(r"/login$"))
    finally:
        context.close()
