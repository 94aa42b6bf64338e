#!/usr/bin/env python3
"""Screenshot the extension's popup mid-run for the README (docs/extension-popup.png).

Runs the real service and the unpacked extension exactly as tests/browser/extension_e2e does (fixture
pages from a local HTTPS server, nothing leaves the machine), pairs, starts a followers run with
slow pacing and photographs the popup while it reads.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import BrowserContext, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.extension_browser import ACCOUNT, LISTS, Service, Site  # noqa: E402
from tests.support.paths import EXTENSION  # noqa: E402
from tests.support.service_process import free_port  # noqa: E402


def _launch(playwright: Playwright, root: Path, site: Site) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(
        str(root / "profile"), executable_path="/usr/bin/chromium", headless=False,
        args=["--headless=new", f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
              f"--host-resolver-rules=MAP chaturbate.com 127.0.0.1:{site.port}, MAP * ~NOTFOUND, "
              "EXCLUDE 127.0.0.1", "--ignore-certificate-errors", "--no-sandbox", "--disable-gpu"],
        viewport={"width": 324, "height": 250},
    )  # fmt: skip


def _shoot(context: BrowserContext, service: Service, code: str) -> None:
    workers = context.service_workers
    worker = workers[0] if workers else context.wait_for_event("serviceworker")
    ext = worker.url.split("/")[2]
    options = context.new_page()
    options.goto(f"chrome-extension://{ext}/options/options.html")
    options.fill("#service-url", service.url)
    options.fill("#account", ACCOUNT)
    options.fill("#pace-min", "4")  # slow enough to photograph the run in progress
    options.fill("#pace-max", "5")
    options.fill("#pair-code", code)
    options.click("#pair")
    options.wait_for_selector("#pair-result:text('Paired.')")
    popup = context.new_page()
    popup.goto(f"chrome-extension://{ext}/popup/popup.html")
    popup.wait_for_selector("#connection[data-state='connected']")
    popup.click("#update-followers")
    popup.wait_for_selector("#progress-text:text('page 1 of 2')")
    popup.wait_for_timeout(1200)
    popup.screenshot(path=str(ROOT / "docs" / "extension-popup.png"), full_page=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        service = Service(root / "data", free_port())
        site = Site(root)
        for n in (1, 2):
            site.serve(f"https://chaturbate.com/accounts/followers/?page={n}", LISTS / f"followers-p{n}.html")
        service.start()
        try:
            code = re.search(r"Pairing code: (\S+)", service.mhc("pair"))
            assert code
            with sync_playwright() as playwright:
                context = _launch(playwright, root, site)
                _shoot(context, service, code.group(1))
                context.close()
        finally:
            service.stop()
            site.close()
    print("wrote docs/extension-popup.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
