"""Real Chromium for the extension's page extractors, and the site fixtures they are checked against.

Chromium is Debian's (/usr/bin/chromium, or $MHC_CHROMIUM): Playwright cannot download its own
browser here. The sync Playwright driver is package-scoped, not session-scoped: while it lives its
event loop counts as running in this thread, and every async test after it would fail to start.

Every request is answered from the fixture files or aborted, so no test reaches a real host.
Fixture pages are served at their real chaturbate.com URLs so `location` is right.

Cases come from tests/fixtures/site (self-contained copies of ../shared/fixtures/site plus local
cases). When the shared set sits beside the clone, any shared case that differs from the local
copies is collected too, so a newer shared set is checked without copying it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright

from tests.browser import launch

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
LOCAL_SITE = REPO / "tests" / "fixtures" / "site"
SHARED_SITE = REPO.parent / "shared" / "fixtures" / "site"

# The extractors build on lib/site.js, so it goes in first, as the runner injects it.
SITE_SCRIPT = EXTENSION / "lib" / "site.js"
LIST_SCRIPT = EXTENSION / "content" / "extract-list.js"
PROFILE_SCRIPT = EXTENSION / "content" / "extract-profile.js"
RUN_SCRIPT = EXTENSION / "lib" / "list-run.js"
ALL_SCRIPTS = (SITE_SCRIPT, LIST_SCRIPT, PROFILE_SCRIPT, RUN_SCRIPT)



# --------------------------------------------------------------------------- fixture discovery


@dataclass(frozen=True)
class ProfileCase:
    """One profiles/<name>.html with its <name>.expected.json."""

    id: str
    html: Path
    expected: dict[str, Any] = field(hash=False, compare=False)

    @property
    def url(self) -> str:
        return f"https://chaturbate.com/{self.expected['username']}/"


@dataclass(frozen=True)
class ListPageCase:
    """One files[] entry of a lists/MANIFEST*.json."""

    id: str
    directory: Path
    entry: dict[str, Any] = field(hash=False, compare=False)

    @property
    def html(self) -> Path:
        return self.directory / self.entry["file"]


@dataclass(frozen=True)
class ListRunCase:
    """One runs[] scenario of a lists/MANIFEST*.json."""

    id: str
    directory: Path
    run: dict[str, Any] = field(hash=False, compare=False)
    manifest: dict[str, Any] = field(hash=False, compare=False)


def _site_dirs() -> list[tuple[str, Path]]:
    dirs = [("local", LOCAL_SITE)]
    if SHARED_SITE.is_dir() and SHARED_SITE.resolve() != LOCAL_SITE.resolve():
        dirs.append(("shared", SHARED_SITE))
    return dirs


def _same_files(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def profile_cases() -> list[ProfileCase]:
    cases = []
    for label, root in _site_dirs():
        for expected in sorted((root / "profiles").glob("*.expected.json")):
            html = expected.with_name(expected.name.removesuffix(".expected.json") + ".html")
            local = LOCAL_SITE / "profiles"
            copied = _same_files(expected, local / expected.name) and _same_files(html, local / html.name)
            if label != "local" and copied:
                continue
            data = json.loads(expected.read_text(encoding="utf-8"))
            cases.append(ProfileCase(f"{label}/{html.stem}", html, data))
    return cases


def _manifests() -> list[tuple[str, Path, dict[str, Any]]]:
    found = []
    for label, root in _site_dirs():
        lists = root / "lists"
        for path in sorted(lists.glob("MANIFEST*.json")):
            if label != "local" and _same_files(path, LOCAL_SITE / "lists" / path.name):
                continue
            found.append((f"{label}/{path.stem}", lists, json.loads(path.read_text(encoding="utf-8"))))
    return found


def list_page_cases() -> list[ListPageCase]:
    return [
        ListPageCase(f"{label}/{entry['file']}", directory, entry)
        for label, directory, manifest in _manifests()
        for entry in manifest.get("files", [])
    ]


def list_run_cases() -> list[ListRunCase]:
    return [
        ListRunCase(f"{label}/{run['name']}", directory, run, manifest)
        for label, directory, manifest in _manifests()
        for run in manifest.get("runs", [])
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `profile_case`, `list_page_case` and `list_run_case` over every fixture."""
    sources = {
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


class Site:
    """Opens fixture pages at their real URLs in fresh contexts, with the extension scripts injected."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._contexts: list[BrowserContext] = []

    def open(self, url: str, html: Path | bytes, scripts: tuple[Path, ...] = ALL_SCRIPTS) -> Page:
        body = html.read_bytes() if isinstance(html, Path) else html
        context = self._browser.new_context()
        self._contexts.append(context)

        def serve(route: Route) -> None:
            # Only the page itself is answered; thumbnails, scripts and anything else never leave.
            if route.request.url == url:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)
            else:
                route.abort()

        context.route("**/*", serve)
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        for script in scripts:
            page.add_script_tag(path=str(script))
        return page

    def extract_list(self, url: str, html: Path | bytes) -> dict[str, Any]:
        page = self.open(url, html, (SITE_SCRIPT, LIST_SCRIPT))
        return page.evaluate("() => MHC.extractListPage(document, location.href)")

    def extract_profile(self, url: str, html: Path | bytes) -> dict[str, Any]:
        page = self.open(url, html, (SITE_SCRIPT, PROFILE_SCRIPT))
        return page.evaluate("() => MHC.extractProfile(document, location.href)")

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()


@pytest.fixture
def site(browser: Browser) -> Iterator[Site]:
    tab = Site(browser)
    yield tab
    tab.close()


class Logic:
    """Calls MHC.<name>(...args) in one long-lived blank page: for the pure run logic."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def __call__(self, name: str, *args: Any) -> Any:
        return self.page.evaluate("([name, args]) => MHC[name](...args)", [name, list(args)])


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
