"""Admin › Alert destinations in real Chromium against the real `mhc serve`: add a signed webhook,
send a test to a fake receiver, see the outcome, edit without retyping the URL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, expect

from tests.fakes.alert_receivers import ReceiverFake, make_app
from tests.support.service_process import ServiceProcess, free_port

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SECRET = "browser-signing-secret"
HOOK_TOKEN = "HookTokenFromTheBrowser"
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret


@pytest.fixture
def receiver() -> Iterator[tuple[ReceiverFake, int]]:
    """The fake webhook receiver on its own thread and event loop (Playwright's sync API holds a
    loop on the test's thread)."""
    fake, port = ReceiverFake(secret=SECRET), free_port()
    loop = asyncio.new_event_loop()
    ready, stop = threading.Event(), threading.Event()

    def serve() -> None:
        async def main() -> None:
            runner = web.AppRunner(make_app(fake))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            ready.set()
            await asyncio.to_thread(stop.wait)
            await runner.cleanup()

        loop.run_until_complete(main())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the receiver did not start"
    try:
        yield fake, port
    finally:
        stop.set()
        thread.join(10)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess(tmp_path / "data")
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _troubled_deliveries(process: ServiceProcess) -> None:
    """One delivery given up and one failing, as the delivery task records them."""
    with sqlite3.connect(process.data_dir / "mhc.sqlite3") as conn:
        for n, state in ((1, "gave_up"), (2, "pending")):
            conn.execute(
                "INSERT INTO alerts (rule_id, kind, trigger_key, raised_at, title) VALUES "
                "(1, 'big_tip', ?, '2026-12-06T10:00:00.000Z', ?)",
                (f"e{n}", f"whale tipped {n},000"),
            )
            conn.execute(
                "INSERT INTO alert_deliveries (alert_id, destination_id, state, attempts, next_attempt_at, "
                "last_error, created_at, last_attempt_at) VALUES (?, 1, ?, 7, '2026-12-06T11:00:00.000Z', ?, "
                "'2026-12-06T10:00:00.000Z', '2026-12-06T10:30:00.000Z')",
                (
                    n,
                    state,
                    "gave up after 24 h and 30 attempts: HTTP 503" if state == "gave_up" else "HTTP 502",
                ),
            )


def test_add_a_webhook_and_send_a_test(
    browser: Browser, service: ServiceProcess, receiver: tuple[ReceiverFake, int]
) -> None:
    fake, port, base = *receiver, service.url
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(base + "/login?next=/admin/alerts/destinations")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(base + "/admin/alerts/destinations")
        expect(page.locator("nav.subnav a.active")).to_have_text("Alert destinations")

        form = page.locator("[data-testid=destination-form]")
        form.locator("select[name=kind]").select_option("webhook")
        form.locator("input[name=name]").fill("My automation")
        form.locator("input[name=target]").fill(f"http://127.0.0.1:{port}/hook/{HOOK_TOKEN}")
        form.locator("input[name=signing_secret]").fill(SECRET)
        form.locator("input[name=kinds][value=big_tip]").check()
        form.locator("input[name=kinds][value=fan_enters]").check()
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Destination “My automation” added.")
        row = page.locator("[data-testid=destinations] tr[data-destination]")
        expect(row).to_have_count(1)
        expect(row.locator(".target")).to_have_text("127.0.0.1 URL set")
        assert HOOK_TOKEN not in page.content() and SECRET not in page.content()

        row.locator("button:has-text('Send test')").click()
        expect(page.locator(".flash")).to_have_text(
            "The test message to “My automation” was accepted (HTTP 200)."
        )
        assert [m.json()["test"] for m in fake.accepted] == [True]
        page.screenshot(path=str(SHOTS / "alert-destinations.png"), full_page=True)

        row.locator("a:has-text('Edit')").click()
        edit = page.locator("[data-testid=destination-form]")
        expect(edit.locator("h2")).to_have_text("Edit “My automation”")
        edit.locator("input[name=name]").fill("Automation")
        edit.locator("button:has-text('Save')").click()
        expect(page.locator(".flash")).to_have_text("Destination “Automation” saved.")
        page.locator("[data-testid=destinations] button:has-text('Send test')").click()
        expect(page.locator(".flash")).to_contain_text("was accepted (HTTP 200)")
        assert len(fake.accepted) == 2  # the URL and secret were kept without retyping

        page.goto(base + "/admin/settings")
        group = page.locator("fieldset", has=page.locator("legend", has_text="Alert delivery"))
        expect(group.locator("[data-key=smtp_password] .state")).to_have_text("not set")
        group.screenshot(path=str(SHOTS / "settings-alert-delivery.png"))
        page.goto(base + "/admin/alerts/destinations")

        _troubled_deliveries(service)
        page.reload()
        expect(page.locator("[data-testid=destinations] .pending")).to_contain_text("1")
        expect(page.locator("[data-testid=destinations] .pending")).to_contain_text("1 given up")
        expect(page.locator("[data-testid=given-up]")).to_contain_text("gave up after 24 h and 30 attempts")
        page.screenshot(path=str(SHOTS / "alert-destinations-trouble.png"), full_page=True)

        dark = browser.new_context(viewport={"width": 768, "height": 1000}, color_scheme="dark",
                                   storage_state=context.storage_state())  # fmt: skip
        tablet = dark.new_page()
        tablet.goto(base + "/admin/alerts/destinations")
        tablet.screenshot(path=str(SHOTS / "alert-destinations-768-dark.png"), full_page=True)
        dark.close()
    finally:
        context.close()
