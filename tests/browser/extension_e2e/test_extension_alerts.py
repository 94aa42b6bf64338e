"""Desktop alerts end to end: an alert raised on a real `mhc serve` becomes a Chromium notification from
the unpacked extension, the service's cursor advances, a click opens the person's profile in the panel,
and a restarted extension shows nothing twice.

The alert is raised the way every source raises one (service/store/alerts.raise_alert), by another
process on the same database, like an `mhc` command beside the service: nothing wakes the long-poll, so
the extension finds it at its next alarm (every 30 s) — the first test waits for that real path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Worker

from service.clock import now_db
from service.store import persons
from service.store.alerts import NewAlert, raise_alert
from service.store.db import open_database
from tests.support.extension_browser import (
    Service,
    Site,
    launch,
    paired_options,
    service_worker,
    storage,
    wait_for,
)

pytestmark = pytest.mark.e2e

SEND = "(m) => chrome.runtime.sendMessage(m)"
NOTIFICATIONS = "() => chrome.notifications.getAll()"
ALARM_WAIT = 75  # seconds: the worker polls on a Chrome alarm (every 30 s), and may just have missed one


def raise_on_service(service: Service, title: str, *, username: str | None = None, body: str = "") -> int:
    """raise_alert on the service's database from another process's point of view (its own connection)."""
    found: list[int] = []

    async def go() -> None:
        async with open_database(service.data_dir / "mhc.sqlite3") as db, db.transaction() as conn:
            person = (await persons.ensure_persons(conn, [username]))[username] if username else None
            alert = NewAlert(rule_id=0, kind="fan_enters", trigger_key=f"e2e:{title}", title=title,
                             body=body, person_id=person)  # fmt: skip
            alert_id = await raise_alert(conn, alert, at=now_db())
            assert alert_id is not None
            found.append(alert_id)

    thread = threading.Thread(target=lambda: asyncio.run(go()))
    thread.start()
    thread.join(30)
    return found[0]


def cursor(service: Service) -> int | None:
    rows = service.rows("SELECT last_alert_id FROM ext_alert_cursors")
    return int(rows[0][0]) if rows else None


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("profile")


@pytest.fixture(scope="module")
def context(playwright_instance: Playwright, profile: Path, site: Site) -> Iterator[BrowserContext]:
    """This module's browser, on a profile it knows, so that a test can restart the browser on it."""
    context = launch(playwright_instance, profile, site)
    yield context
    context.close()


@pytest.fixture(scope="module")
def options(context: BrowserContext, extension_id: str, service: Service, worker: Worker) -> Page:
    """The options page, paired with the service by a code from `mhc pair`."""
    return paired_options(context, extension_id, service, human_pace=True)


def test_an_alert_becomes_a_desktop_notification_and_advances_the_cursor(
    options: Page, service: Service, worker: Worker
) -> None:
    """The worker's alarm polls; the notification carries the alert's title and body; then it acks."""
    manifest = worker.evaluate("() => chrome.runtime.getManifest()")
    assert manifest["permissions"] == ["storage", "alarms", "scripting", "notifications"]  # only one more
    assert "optional_permissions" not in manifest
    alarms = worker.evaluate(
        "() => chrome.alarms.getAll().then(a => a.map(x => [x.name, x.periodInMinutes]))"
    )
    assert ["alerts-poll", 0.5] in alarms
    alert = raise_on_service(service, "whale_one entered", username="whale_one", body="Tier: whale")
    key = f"mhc-alert-{alert}"
    wait_for(
        options,
        lambda: key in worker.evaluate(NOTIFICATIONS),
        "the notification (next alarm)",
        timeout=ALARM_WAIT,
    )
    wait_for(options, lambda: cursor(service) == alert, "the acknowledgement", timeout=ALARM_WAIT)
    assert storage(worker, "alertLinks") == {key: f"{service.url}/profile/whale_one"}


def test_clicking_opens_the_profile_in_the_panel_and_clears_it(
    context: BrowserContext, options: Page, service: Service, worker: Worker
) -> None:
    (key,) = worker.evaluate(NOTIFICATIONS).keys()
    with context.expect_page() as opened:
        reply = options.evaluate(SEND, {"type": "alert/open", "payload": {"id": key}})
    assert reply["ok"] and reply["result"]["opened"] == f"{service.url}/profile/whale_one", reply
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(service.url) and "whale_one" in tab.url  # the profile, or sign-in first
    tab.close()
    assert worker.evaluate(NOTIFICATIONS) == {}
    assert storage(worker, "alertLinks") == {}


def test_a_restarted_browser_shows_each_alert_once(
    *,
    context: BrowserContext,
    extension_id: str,
    playwright_instance: Playwright,
    profile: Path,
    service: Service,
    site: Site,
    worker: Worker,
) -> None:
    """Restarting the browser (a new worker, on the same profile) does not bring a shown alert back,
    even with the extension's own record of it wiped: the service's cursor is past it. A newer one shows."""
    shown = cursor(service)
    assert shown is not None
    worker.evaluate("() => chrome.storage.local.remove(['alertsShown', 'alertLinks'])")
    context.close()
    again = launch(playwright_instance, profile, site)
    try:
        fresh = service_worker(again)
        page = again.new_page()
        page.goto(f"chrome-extension://{extension_id}/options/options.html")
        assert storage(fresh, "settings")["token"]  # still paired
        reply = page.evaluate(SEND, {"type": "alerts/poll"})
        assert reply["ok"] and reply["result"] == {"shown": 0}, reply
        assert fresh.evaluate(NOTIFICATIONS) == {}
        newer = raise_on_service(service, "second visitor entered")
        poll = lambda: page.evaluate(SEND, {"type": "alerts/poll"})["result"]["shown"]  # noqa: E731
        wait_for(page, poll, "the newer alert", timeout=ALARM_WAIT)
        assert list(fresh.evaluate(NOTIFICATIONS)) == [f"mhc-alert-{newer}"]
        wait_for(page, lambda: cursor(service) == newer, "the acknowledgement", timeout=ALARM_WAIT)
    finally:
        again.close()
