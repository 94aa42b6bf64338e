"""Real Chromium (Debian's) for the panel's browser tests; extractors/ and extension/ bring their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import launch


# Module scope, not session: while Playwright's sync API is running it registers its own event
# loop on this thread, which breaks the asyncio tests of any module that runs after it.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = launch(playwright_instance)
    yield browser
    browser.close()
