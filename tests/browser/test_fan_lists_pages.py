"""Relationship lists and notes in real Chromium against the real `mhc serve`: a broadcaster puts a
viewer on lists and pins a note from the profile, then manages lists under Users › Lists."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = ServiceProcess(tmp_path_factory.mktemp("lists") / "data")
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    with sqlite3.connect(process.data_dir / "mhc.sqlite3") as conn:
        for name in ("bob", "carol"):
            conn.execute(
                "INSERT INTO persons (username, role, created_at, updated_at) VALUES (?, 'viewer', 'x', 'x')",
                (name,),
            )
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


def test_lists_and_notes_from_the_profile_and_the_lists_page(browser: Browser, service: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(service + "/login?next=/profile/bob")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(service + "/profile/bob")
        for name in ("VIP", "Banned"):
            page.select_option("[data-testid=add-to-list] select", label=name)
            page.click("[data-testid=add-to-list] button")
            expect(page.locator(".flash")).to_have_text(f"Added to “{name}”.")
        chips = page.locator("[data-testid=person-lists] .chip")
        expect(chips).to_have_count(2)
        banned = page.locator("[data-testid=person-lists] .chip.warning")
        expect(banned).to_contain_text("Banned")
        assert banned.evaluate("e => getComputedStyle(e).backgroundColor") != chips.first.evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        page.fill("[data-testid=add-note] textarea", "Tips 99 for the wheel.\nAsks for song requests.")
        page.select_option("[data-testid=add-note] select", label="Tip menu")
        page.check("[data-testid=add-note] input[name=pinned]")
        page.click("[data-testid=add-note] button")
        expect(page.locator("[data-testid=note] [data-testid=pinned]")).to_have_count(1)
        page.fill("[data-testid=add-note] textarea", "Said hello in public chat.")
        page.select_option("[data-testid=add-note] select", label="Public chat")
        page.click("[data-testid=add-note] button")
        expect(page.locator("[data-testid=note-body]")).to_have_count(2)
        expect(page.locator("[data-testid=note-body]").first).to_contain_text("Tips 99 for the wheel.")
        page.locator("[data-testid=relations]").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "profile-lists-notes.png"), full_page=True)

        page.goto(service + "/users/lists")
        expect(page.locator("nav.subnav a.active")).to_have_text("Lists")
        page.fill("[data-testid=create-list] input[name=name]", "Birthday club")
        page.click("[data-testid=create-list] button")
        expect(page.locator(".flash")).to_have_text("List “Birthday club” created.")
        expect(page.locator("section[data-list=banned] [data-testid=member-count]")).to_have_text("1 person")
        expect(page.locator("section[data-list=banned] [data-testid=members] a")).to_have_text("bob")
        page.screenshot(path=str(SHOTS / "users-lists.png"), full_page=True)
    finally:
        context.close()
