"""The extension's page extractors in real Chromium: the site fixture cases, and pages to run them on.

Cases come from tests/fixtures/site (self-contained copies of ../shared/fixtures/site plus local
cases). When the shared set sits beside the clone, any shared case that differs from the local
copies is collected too, so a newer shared set is checked without copying it first.

Fixture pages are served at their real chaturbate.com URLs so `location` is right; every other
request is aborted, so no test reaches a real host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.support.paths import EXTENSION, REPO, SITE

LOCAL_SITE = SITE
SHARED_SITE = REPO.parent / "shared" / "fixtures" / "site"

# The extractors build on lib/site.js, so it goes in first, as the runner injects it.
SITE_SCRIPT = EXTENSION / "lib" / "site.js"
LIST_SCRIPT = EXTENSION / "content" / "extract-list.js"
PROFILE_SCRIPT = EXTENSION / "content" / "extract-profile.js"
RUN_SCRIPT = EXTENSION / "lib" / "list-run.js"
ACCOUNT_SCRIPT = EXTENSION / "lib" / "account-check.js"
ALL_SCRIPTS = (SITE_SCRIPT, LIST_SCRIPT, PROFILE_SCRIPT, RUN_SCRIPT, ACCOUNT_SCRIPT)


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


class Logic:
    """Calls MHC.<name>(...args) in one long-lived blank page: for the pure run logic."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def __call__(self, name: str, *args: Any) -> Any:
        return self.page.evaluate("([name, args]) => MHC[name](...args)", [name, list(args)])
