"""Real Chromium for the extension's page extractors, parametrised over every site fixture case.

Chromium is Debian's (/usr/bin/chromium, or $MHC_CHROMIUM): Playwright cannot download its own
browser here. The sync Playwright driver is package-scoped, not session-scoped: while it lives its
event loop counts as running in this thread, and every async test after it would fail to start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import launch
from tests.support.extractors import (
    ALL_SCRIPTS,
    ListPageCase,
    ListRunCase,
    Logic,
    ProfileCase,
    Site,
    list_page_cases,
    list_run_cases,
    profile_cases,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `profile_case`, `list_page_case` and `list_run_case` over every fixture."""
    sources: dict[str, Callable[[], Sequence[ProfileCase | ListPageCase | ListRunCase]]] = {
        "profile_case": profile_cases,
        "list_page_case": list_page_cases,
        "list_run_case": list_run_cases,
    }
    for name, collect in sources.items():
        if name in metafunc.fixturenames:
            cases = collect()
            metafunc.parametrize(name, cases, ids=[c.id for c in cases])


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = launch(playwright_instance)
    yield browser
    browser.close()


@pytest.fixture
def site(browser: Browser) -> Iterator[Site]:
    tab = Site(browser)
    yield tab
    tab.close()


@pytest.fixture(scope="package")
def logic(browser: Browser) -> Iterator[Logic]:
    context = browser.new_context()
    context.route("**/*", lambda route: route.abort())
    page = context.new_page()
    page.set_content("<!doctype html><title>logic</title>")
    for script in ALL_SCRIPTS:
        page.add_script_tag(path=str(script))
    yield Logic(page)
    context.close()


@pytest.fixture(scope="package")
def served_reads(browser: Browser) -> Iterator[Any]:
    """Extract each (file, url) once: the run scenarios serve the same pages many times."""
    tab = Site(browser)
    cache: dict[tuple[Path, str], dict[str, Any]] = {}

    def read(html: Path, url: str) -> dict[str, Any]:
        key = (html, url)
        if key not in cache:
            cache[key] = tab.extract_list(url, html)
            tab.close()
        return cache[key]

    yield read
    tab.close()
