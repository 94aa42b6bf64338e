"""End to end: the unpacked extension, paired through its options page, pressed through its popup.

The tests run in file order on one browser profile and one service data folder, like a user's
week: pair with a code from `mhc pair`; read the following list (complete; then stopped by a
challenge page; then by a login redirect: nothing is unfollowed); read the followers list until a
missing name is suspected, then confirmed; stop the service and read again (the outbox keeps the
snapshot and delivers it exactly once when the service is back, even when sent twice); run tasks
queued by `mhc scrape`; and tell a foreign server and a version mismatch apart from a live
service. What they assert is what the service stored in SQLite, and what the popup shows.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Worker, expect

from tests.support.extension_browser import ACCOUNT, LISTS, PROFILES, Service, Site, storage, wait_for

pytestmark = pytest.mark.e2e

CB = "https://chaturbate.com"
FOLLOWING = {
    f"{CB}/followed-cams/": "following-online.html",
    f"{CB}/followed-cams/offline/?page=1": "following-offline-p1.html",
    f"{CB}/followed-cams/offline/?page=2": "following-offline-p2.html",
}
FOLLOWERS = {
    f"{CB}/accounts/followers/?page=1": "followers-p1.html",
    f"{CB}/accounts/followers/?page=2": "followers-p2.html",
}
# Before any list page a run reads the account's own room page to see who is logged in.
ACCOUNT_ROOM = f"{CB}/{ACCOUNT}/"
GONE = "zephyr_"  # on followers page 2; the tests make them leave
GONE_LINE = b'<li class="follower"><a href="/zephyr_/" data-room="">zephyr_</a></li>'


def serve(site: Site, pages: dict[str, str]) -> None:
    site.serve(ACCOUNT_ROOM, PROFILES / "profile-followed-offline.html")  # its viewer is ACCOUNT
    for url, name in pages.items():
        site.serve(url, LISTS / name)


def snapshots(service: Service) -> list[tuple[Any, ...]]:
    return service.rows("SELECT id, kind, complete, abort_reason, status FROM list_snapshots ORDER BY id")


def press(popup: Page, button: str, service: Service) -> tuple[Any, ...]:
    """Press a popup button and wait until the service has stored the run's snapshot."""
    before = len(snapshots(service))
    expect(popup.locator(button)).to_be_enabled()
    popup.click(button)
    try:
        wait_for(popup, lambda: len(snapshots(service)) > before, "the snapshot to reach the service")
    except AssertionError:
        status = popup.evaluate("() => chrome.runtime.sendMessage({type: 'status/get'})")
        raise AssertionError(f"no snapshot arrived; the extension says {status}") from None
    expect(popup.locator("#outbox-count")).to_have_text("0")
    return snapshots(service)[-1]


def open_following(service: Service, direction: str) -> int:
    return service.rows("SELECT count(*) FROM follow_periods WHERE direction = :d AND ended_at IS NULL",
                        d=direction)[0][0]  # fmt: skip


def test_pairing_through_the_options_page(
    context: BrowserContext, extension_id: str, service: Service, worker: Worker
) -> None:
    """A code from `mhc pair` pairs it; the token stays in the extension, only its hash in the service;
    the account whose lists it reads comes from the service (its broadcaster), not typed again."""
    code = re.search(r"Pairing code: (\S+)", service.mhc("pair"))
    assert code
    page = context.new_page()
    page.goto(f"chrome-extension://{extension_id}/options/options.html")
    expect(page.locator("#service-url")).to_have_value("http://127.0.0.1:8756")
    page.fill("#service-url", service.url)
    expect(page.locator("#account")).to_have_value("")
    page.fill("#pace-min", "0")  # human pacing is a setting; the test has no human to imitate
    page.fill("#pace-max", "0")
    page.click("#save")
    expect(page.locator("#save-result")).to_have_text("Saved.")
    page.fill("#pair-code", code.group(1))
    page.click("#pair")
    expect(page.locator("#pair-result")).to_have_text("Paired.")
    assert storage(worker, "settings")["account"] == ACCOUNT  # MHC_BROADCASTER, from the pairing
    page.reload()
    expect(page.locator("#account")).to_have_value(ACCOUNT)
    page.click("#test-connection")
    expect(page.locator("#connection-result")).to_have_text("Connected.")
    token = storage(worker, "settings")["token"]
    assert service.rows("SELECT extension_id, revoked_at FROM ext_clients") == [(extension_id, None)]
    assert token not in repr(service.rows("SELECT * FROM ext_clients"))


def test_popup_shows_connected_and_an_empty_outbox(popup: Page) -> None:
    """The popup's connection state comes from the worker's ping and authenticated call."""
    expect(popup.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(popup.locator("#connection")).to_have_text("connected")
    expect(popup.locator("#outbox-count")).to_have_text("0")
    expect(popup.locator("#scrape-profile")).to_be_disabled()  # the active tab is no room page


def test_popup_tells_rooms_by_the_extractors_rule(popup: Page) -> None:
    """The popup loads lib/site.js: Scrape This Profile is offered on the pages the extractor reads."""
    urls = [
        "https://chaturbate.com/Harbor_Lights/",
        "https://chaturbate.com/accounts/",
        "https://chaturbate.com/",
    ]
    assert popup.evaluate("(urls) => urls.map((url) => MHC.site.roomFromUrl(url))", urls) == [
        "harbor_lights",
        None,
        None,
    ]


def test_following_list_complete_run(popup: Page, site: Site, service: Service) -> None:
    """Every page, online and offline, read in a background tab: 130 follows, decoys excluded."""
    serve(site, FOLLOWING)
    snapshot = press(popup, "#update-following", service)
    assert snapshot[1:] == ("following", 1, None, "applied")
    assert open_following(service, "following") == 130
    pages = service.rows("SELECT list, page FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq",
                         id=snapshot[0])  # fmt: skip
    assert pages == [("online", 1), ("offline", 1), ("offline", 2)]
    assert service.rows("SELECT count(*) FROM persons WHERE username = 'nimble_lichen'") == [(0,)]  # a decoy
    expect(popup.locator("#progress-text")).to_contain_text("page 3 of 3 · 130 names found")
    expect(popup.locator("#progress")).to_have_attribute("data-state", "complete")


def test_partial_run_unfollows_nobody(popup: Page, site: Site, service: Service) -> None:
    """A challenge page on offline page 2 stops the run: sent as partial, and nothing ends."""
    site.serve(f"{CB}/followed-cams/offline/?page=2", LISTS / "edge-challenge.html")
    snapshot = press(popup, "#update-following", service)
    assert snapshot[1:] == ("following", 0, "challenge", "applied")
    expect(popup.locator("#progress-title")).to_contain_text("partial — challenge")
    assert open_following(service, "following") == 130
    assert service.rows("SELECT count(*) FROM follow_periods WHERE ended_at IS NOT NULL") == [(0,)]
    assert service.rows("SELECT count(*) FROM follow_removals") == [(0,)]


def test_login_redirect_stops_the_run(popup: Page, site: Site, service: Service) -> None:
    """Signed out mid-run: the page ends on /auth/login/, the run stops there and is sent as partial."""
    serve(site, FOLLOWING)
    login = f"{CB}/auth/login/?next=/followed-cams/offline/%3Fpage%3D2"
    site.redirect(f"{CB}/followed-cams/offline/?page=2", login, LISTS / "edge-login-redirect.html")
    snapshot = press(popup, "#update-following", service)
    assert snapshot[1:] == ("following", 0, "login", "applied")
    last_page = "SELECT final_url FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq DESC LIMIT 1"
    assert service.rows(last_page, id=snapshot[0]) == [(login,)]
    assert service.rows("SELECT count(*) FROM follow_periods WHERE ended_at IS NOT NULL") == [(0,)]


def test_a_run_under_another_account_is_refused_before_any_list_page(
    popup: Page, site: Site, service: Service
) -> None:
    """Chaturbate is logged in as someone else: nothing is read, the run is sent with the reason
    (the panel's history says it), nothing ends, and the popup warns in a sentence."""
    serve(site, FOLLOWERS)
    room = (PROFILES / "profile-followed-offline.html").read_bytes()
    site.serve(ACCOUNT_ROOM, room.replace(b"\\u0022example_viewer\\u0022", b"\\u0022someone_else\\u0022"))
    asked = len(site.requests)
    try:
        snapshot = press(popup, "#update-followers", service)
    finally:
        serve(site, FOLLOWERS)
    assert snapshot[1:] == ("followers", 0, "wrong_account:someone_else", "applied")
    assert site.requests[asked:] == [ACCOUNT_ROOM]  # not one list page
    assert service.rows(
        "SELECT count(*) FROM list_snapshot_pages WHERE snapshot_id = :id", id=snapshot[0]
    ) == [(0,)]
    assert service.rows("SELECT count(*) FROM follow_periods WHERE ended_at IS NOT NULL") == [(0,)]
    expect(popup.locator("#progress")).to_have_attribute("data-state", "refused")
    warning = popup.locator("#account-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(
        f"logged in as someone_else in this browser, but the lists are read for {ACCOUNT}"
    )


def test_missing_follower_is_suspected_then_confirmed(popup: Page, site: Site, service: Service) -> None:
    """Two complete runs without one name: suspected after the first, an unfollow after the second."""
    serve(site, FOLLOWERS)
    press(popup, "#update-followers", service)
    assert open_following(service, "follower") == 150
    site.serve(
        f"{CB}/accounts/followers/?page=2", (LISTS / "followers-p2.html").read_bytes().replace(GONE_LINE, b"")
    )
    first = press(popup, "#update-followers", service)
    assert first[2] == 1
    state = "SELECT r.state FROM follow_removals r JOIN persons p ON p.id = r.person_id WHERE p.username = :n"
    assert service.rows(state, n=GONE) == [("suspected",)]
    assert open_following(service, "follower") == 150
    second = press(popup, "#update-followers", service)
    assert service.rows(state, n=GONE) == [("confirmed",)]
    ended = service.rows(
        "SELECT f.end_source, f.end_ref FROM follow_periods f JOIN persons p ON p.id = f.person_id "
        "WHERE p.username = :n AND f.ended_at IS NOT NULL", n=GONE,
    )  # fmt: skip
    assert ended == [("list_snapshot", f"snapshot:{second[0]}")]
    assert open_following(service, "follower") == 149


def test_service_down_then_up_delivers_once(
    popup: Page, site: Site, service: Service, worker: Worker
) -> None:
    """Service stopped: the snapshot waits in the outbox; back up, it is stored once, even if sent again."""
    serve(site, FOLLOWERS)  # the follower came back: a new period, history keeps the old one
    before = len(snapshots(service))
    service.stop()
    try:
        expect(popup.locator("#connection")).to_have_attribute("data-state", "not_running", timeout=15000)
        popup.click("#update-followers")
        expect(popup.locator("#outbox-count")).to_have_text("1", timeout=30000)
        expect(popup.locator("#progress")).to_have_attribute("data-state", "complete")
        # The toolbar icon says a result waits, without opening the popup.
        wait_for(popup, lambda: worker.evaluate("() => chrome.action.getBadgeText({})") == "1", "the badge")
        (waiting,) = storage(worker, "outbox")
        assert waiting["attempts"] >= 1 and "not running" in waiting["lastError"]
    finally:
        service.start()
    expect(popup.locator("#connection")).to_have_attribute("data-state", "connected", timeout=15000)
    expect(popup.locator("#outbox-count")).to_have_text("0", timeout=15000)
    wait_for(
        popup, lambda: worker.evaluate("() => chrome.action.getBadgeText({})") == "", "the badge to clear"
    )
    assert len(snapshots(service)) == before + 1
    periods = (
        "SELECT count(*) FROM follow_periods f JOIN persons p ON p.id = f.person_id WHERE p.username = :n"
    )
    assert service.rows(periods, n=GONE) == [(2,)]
    # A reply lost on the way back makes the extension send the same item again: nothing doubles.
    worker.evaluate("(item) => chrome.storage.local.set({outbox: [{...item, nextAttemptAt: 0}]})", waiting)
    popup.evaluate("() => chrome.runtime.sendMessage({type: 'outbox/flush'})")
    expect(popup.locator("#outbox-count")).to_have_text("0", timeout=15000)
    assert len(snapshots(service)) == before + 1
    assert service.rows(periods, n=GONE) == [(2,)]


def test_tasks_from_the_cli_run_in_the_extension(popup: Page, site: Site, service: Service) -> None:
    """`mhc scrape --followers harbor_lights`: the worker polls, runs both, and the tasks end done."""
    site.serve(f"{CB}/harbor_lights/", PROFILES / "profile-followed-offline.html")
    service.mhc("scrape", "--followers", "harbor_lights")
    popup.evaluate("() => chrome.runtime.sendMessage({type: 'tasks/poll'})")
    done = "SELECT kind, state, result_ref IS NOT NULL FROM scrape_tasks ORDER BY id"
    wait_for(popup, lambda: all(r[1] == "done" for r in service.rows(done)), "the tasks to finish")
    assert service.rows(done) == [("followers", "done", 1), ("profile", "done", 1)]
    scraped = service.rows("SELECT follow_status, identity_ok, online, json_array_length(photosets) "
                           "FROM profile_scrapes")  # fmt: skip
    assert scraped == [("following", 1, 0, 14)]


def test_scrape_this_profile_reads_the_open_room(
    context: BrowserContext, popup: Page, site: Site, service: Service, worker: Worker
) -> None:
    """Scrape This Profile on an open room page: stored with its scrape time and follow status."""
    site.serve(f"{CB}/mapleandoak/", PROFILES / "profile-not-followed-online.html")
    room = context.new_page()
    room.goto(f"{CB}/mapleandoak/")
    tab_id = worker.evaluate(
        "() => chrome.tabs.query({url: 'https://chaturbate.com/mapleandoak/'}).then(t => t[0].id)"
    )
    # What the button sends: the popup knows the active tab; here the room page is not the popup's window.
    reply = popup.evaluate(
        "(tabId) => chrome.runtime.sendMessage({type: 'profile/scrape', payload: {tabId}})", tab_id
    )
    assert reply["ok"], reply
    query = (
        "SELECT s.follow_status, s.identity_ok, s.online, s.scraped_at IS NOT NULL FROM profile_scrapes s "
        "JOIN persons p ON p.id = s.person_id WHERE p.username = 'mapleandoak'"
    )
    assert wait_for(popup, lambda: service.rows(query), "the profile to be stored") == [
        ("not_following", 1, 1, 1)
    ]
    room.close()


def test_foreign_server_and_version_mismatch(popup: Page, service: Service) -> None:
    """No X-MHC-Version means 'service not running'; a 412 from the service means 'incompatible version'."""
    answers: dict[str, tuple[int, dict[str, str]]] = {}

    class Foreign(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers = answers["now"]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b'{"service": "mhc", "version": "9", "protocol": 1}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Foreign)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    send = "(m) => chrome.runtime.sendMessage(m)"
    try:
        popup.evaluate(
            send,
            {"type": "settings/save", "payload": {"serviceUrl": f"http://127.0.0.1:{server.server_port}"}},
        )
        answers["now"] = (200, {})
        reply = popup.evaluate(send, {"type": "connection/test"})["result"]
        assert reply["state"] == "not_running" and "not the MHC service" in reply["detail"]
        answers["now"] = (412, {"X-MHC-Version": "9.0"})
        assert popup.evaluate(send, {"type": "connection/test"})["result"]["state"] == "incompatible"
        expect(popup.locator("#connection")).to_have_text("incompatible version", timeout=10000)
    finally:
        popup.evaluate(send, {"type": "settings/save", "payload": {"serviceUrl": service.url}})
        server.shutdown()
        server.server_close()
    expect(popup.locator("#connection")).to_have_text("connected", timeout=10000)
