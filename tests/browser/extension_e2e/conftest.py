"""The real extension in real Chromium, paired with a real `mhc serve`, reading fixture pages.

Chromium is Debian's (/usr/bin/chromium); extensions need the new headless mode and a persistent
profile. The site is never contacted: chaturbate.com resolves to a local HTTPS server that answers
from tests/fixtures/site (or a variant a test builds); every other name but loopback resolves nowhere.
Sync Playwright is module-scoped here (never session-scoped: it would break later asyncio tests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    BrowserContext,
    Page,
    Playwright,
    Worker,
    sync_playwright,
)

from tests.support.extension_browser import Service, Site, launch, service_worker
from tests.support.service_process import free_port


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("svc")
    svc = Service(root / "data", free_port())
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = Site(tmp_path_factory.mktemp("tls"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def context(
    playwright_instance: Playwright, tmp_path_factory: pytest.TempPathFactory, site: Site
) -> Iterator[BrowserContext]:
    context = launch(playwright_instance, tmp_path_factory.mktemp("profile"), site)
    yield context
    context.close()


@pytest.fixture(scope="module")
def worker(context: BrowserContext) -> Worker:
    return service_worker(context)


@pytest.fixture(scope="module")
def extension_id(worker: Worker) -> str:
    return worker.url.split("/")[2]


@pytest.fixture(scope="module")
def popup(context: BrowserContext, extension_id: str) -> Iterator[Page]:
    page = context.new_page()
    page.goto(f"chrome-extension://{extension_id}/popup/popup.html")
    yield page
    page.close()
