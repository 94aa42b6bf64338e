"""The unpacked extension in real Chromium: the site it reads, the service it pairs with, its storage.

The site is never contacted: chaturbate.com resolves to a local HTTPS server (`Site`) that answers
from tests/fixtures/site (or a variant a test builds); every other name but loopback resolves nowhere.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, Playwright, Worker, expect

from tests.support.browser import QUIET_ARGS, chromium_path
from tests.support.paths import EXTENSION, SITE
from tests.support.service_process import ServiceProcess

LISTS = SITE / "lists"
PROFILES = SITE / "profiles"
ACCOUNT = "example_viewer"


class Service(ServiceProcess):
    """The service this module's extension pairs with: its broadcaster is the signed-in account."""

    def __init__(self, data_dir: Path, port: int) -> None:
        super().__init__(data_dir, port, env={"MHC_BROADCASTER": ACCOUNT})


class Site:
    """chaturbate.com as the tests want it: URL → body (or redirect), mutable between runs.

    A local HTTPS server answers for the real host: Chromium maps chaturbate.com to it with
    --host-resolver-rules and sends every other name nowhere, so no request can leave the machine.
    (Playwright's request routing is not used for the extension's own background tabs: Chromium
    swaps their renderer on the first navigation, and routed requests of the swapped target are lost.)
    """

    def __init__(self, cert_dir: Path) -> None:
        self.pages: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        cert, key = cert_dir / "site.crt", cert_dir / "site.key"
        subprocess.run(
            ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=chaturbate.com", "-addext", "subjectAltName=DNS:chaturbate.com",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve(self, url: str, body: Path | bytes) -> None:
        self.pages[url] = body.read_bytes() if isinstance(body, Path) else body
        self.redirects.pop(url, None)

    def redirect(self, url: str, to: str, body: Path) -> None:
        self.redirects[url] = to
        self.pages[to] = body.read_bytes()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = f"https://chaturbate.com{self.path}"
                site.requests.append(url)
                if url in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[url])
                    self.end_headers()
                    return
                body = site.pages.get(url)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def launch(playwright: Playwright, profile: Path, site: Site) -> BrowserContext:
    """Chromium with the unpacked extension on a persistent profile (launch again on it = a restart)."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path(),
        headless=False,  # the new headless mode comes from the flag below: extensions need it
        args=["--headless=new", f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
              f"--host-resolver-rules=MAP chaturbate.com 127.0.0.1:{site.port}, MAP * ~NOTFOUND, "
              "EXCLUDE 127.0.0.1, EXCLUDE localhost",
              "--ignore-certificate-errors", *QUIET_ARGS],
    )  # fmt: skip


def service_worker(context: BrowserContext) -> Worker:
    workers = context.service_workers
    return workers[0] if workers else context.wait_for_event("serviceworker", timeout=20000)


def storage(worker: Worker, key: str) -> Any:
    return worker.evaluate("(key) => chrome.storage.local.get(key).then((s) => s[key])", key)


def dump(value: Any) -> str:
    return json.dumps(value, indent=1)[:2000]


def wait_for(page: Page, check: Callable[[], Any], what: str, timeout: float = 45) -> Any:
    """Poll `check` until it is truthy; waiting through the page keeps Playwright's sync loop (and the
    site's routes) running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"timed out waiting for {what}")


def paired_options(context: BrowserContext, extension_id: str, service: Service, *, human_pace: bool) -> Page:
    """The extension's options page, pointed at `service` and paired by a code from `mhc pair`; without
    `human_pace` the runs read pages back to back (pacing is a setting; a test has no human to imitate)."""
    code = re.search(r"Pairing code: (\S+)", service.mhc("pair"))
    assert code
    page = context.new_page()
    page.goto(f"chrome-extension://{extension_id}/options/options.html")
    page.fill("#service-url", service.url)
    if not human_pace:
        page.fill("#pace-min", "0")
        page.fill("#pace-max", "0")
    page.click("#save")
    expect(page.locator("#save-result")).to_have_text("Saved.")
    page.fill("#pair-code", code.group(1))
    page.click("#pair")
    expect(page.locator("#pair-result")).to_have_text("Paired.")
    return page
