"""Real Chromium (Debian's) for the panel's browser tests; extractors/ and extension/ bring their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from service.settings import Settings
from tests.support.browser import launch
from tests.support.events import ROOM
from tests.support.panel import add_user
from tests.support.service_thread import ServiceThread


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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServiceThread]:
    """The real app for ROOM in this process (jobs off), with an admin "owner": the test writes events
    and alerts to it directly while Chromium watches."""
    settings = Settings(data_dir=tmp_path / "data", jobs_enabled=False, password_time_cost=1,
                        password_memory_kib=8, broadcaster=ROOM)  # fmt: skip
    service = ServiceThread(settings)
    service.start()
    try:
        service.run(add_user(service.app, "owner", "admin"))
        yield service
    finally:
        service.stop()
