"""A new user's first hour, walked in real Chromium (issue 13's "Done means").

From an empty data folder: `mhc serve` prints the setup link → the admin is created → the first-run
checklist is the home page → every source is configured on Admin › Settings against the fake
upstreams and tested on Admin › Sources → the real unpacked extension is paired with a code from
Admin › Extension → both list updates run against the fixture pages → the checklist is complete →
every page shows data, and each role (admin, subscriber, viewer) sees what it may.

The upstream locations are settings pointed at the fakes from the start (they stand for the real
hosts, as --host-resolver-rules makes chaturbate.com the fixture site); what a user types — the
broadcaster, the campaign slug and the tokens — is typed into the panel. Scheduled work is on, as
for a user: saving and testing a source runs its jobs at once.

Screenshots go to $MHC_SHOTS (default /tmp/mhc-first-hour); those that document the flow are kept
in docs/ (see the README).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.fakes import statbate, stats
from tests.support.all_upstreams import Upstreams, all_upstreams
from tests.support.extension_browser import ACCOUNT, LISTS, PROFILES, Site, wait_for
from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("MHC_SHOTS", "/tmp/mhc-first-hour"))  # noqa: S108 — for a human to look at
PASSWORD = "correct horse battery"
WM = "AbCdE"
CB = "https://chaturbate.com"
SITE_PAGES = {  # the first page is the account check's: its logged-in viewer is ACCOUNT
    f"{CB}/{ACCOUNT}/": PROFILES / "profile-followed-offline.html",
    f"{CB}/followed-cams/": LISTS / "following-online.html",
    f"{CB}/followed-cams/offline/?page=1": LISTS / "following-offline-p1.html",
    f"{CB}/followed-cams/offline/?page=2": LISTS / "following-offline-p2.html",
    f"{CB}/accounts/followers/?page=1": LISTS / "followers-p1.html",
    f"{CB}/accounts/followers/?page=2": LISTS / "followers-p2.html",
}
LEAVER = "zephyr_"  # a follower (followers page 2) who unfollows through the Events API
TIPPER = "fan_42"
ADMIN_TABS = ("users", "settings", "jobs", "sources", "events", "extension", "system", "alerts", "import",
              "alerts/destinations")  # fmt: skip


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    """The five upstreams and the thumbnail host, on loopback: nothing leaves the machine."""
    with all_upstreams(ACCOUNT, WM) as found:
        yield found


@pytest.fixture(scope="module")
def fresh_service(tmp_path_factory: pytest.TempPathFactory, upstreams: Upstreams) -> Iterator[ServiceProcess]:
    """`mhc serve` on an empty data folder, scheduled work on, nothing configured."""
    root = tmp_path_factory.mktemp("first-hour")
    # Jobs first run when saving or testing a source starts them; the schedule's own first runs
    # (the daily list runs it queues for the extension, among them) come after the test.
    env = {"MHC_JOBS_ENABLED": "true", "MHC_JOBS_FIRST_RUN_DELAY_SECONDS": "600", **upstreams.urls}
    process = ServiceProcess(root / "data", env=env)
    process.start()
    yield process
    process.stop()


def shot(page: Page, name: str) -> None:
    """The whole page, to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def doc_shot(page: Page, name: str) -> None:
    """One screen (1280 × 900), as the README shows them: SHOTS/docs/<name>.png, copied to docs/ by hand."""
    (SHOTS / "docs").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "docs" / f"{name}.png"))


def fits(page: Page) -> bool:
    """Nothing sticks out sideways: no horizontal scrolling at this window size."""
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("nav.mainnav")).to_be_visible()


# Each page a user opens, and what shows it has data.
FILLED = {
    "directory": ("/users/directory", "[data-testid=directory] tbody tr[data-username]"),
    "profile": ("/profile/harbor_lights", "[data-testid=scraped-profile]"),
    "fan-profile": (f"/profile/{TIPPER}", "[data-testid=fan-card]"),
    "room": ("/room", "[data-testid=broadcasts] tbody tr[data-broadcast]"),
    "events": ("/events", "[data-testid=events] tbody tr"),
    "following": ("/users/following", "[data-testid=following] tbody tr[data-username]"),
    "followers": ("/users/followers", "[data-testid=followers] tbody tr[data-username]"),
    "unfollowed": ("/users/unfollowed", f"[data-testid=unfollowed] tr[data-username={LEAVER}]"),
    "fans": ("/users/fans", f"[data-testid=fans] tr[data-username={TIPPER}]"),
}


@dataclass
class Walk:
    """What every step of the walk shares: the browser, the service, the fakes."""

    context: BrowserContext
    site: Site
    extension_id: str
    service: ServiceProcess
    upstreams: Upstreams
    page: Page = field(init=False)

    def __post_init__(self) -> None:
        self.page = self.context.new_page()
        self.page.set_viewport_size({"width": 1280, "height": 900})

    @property
    def base(self) -> str:
        return self.service.url

    def extension_page(self, path: str) -> Page:
        page = self.context.new_page()
        page.goto(f"chrome-extension://{self.extension_id}/{path}")
        return page


def setup_and_checklist(walk: Walk) -> None:
    """The setup link `mhc serve` printed creates the admin, who lands on the checklist."""
    page = walk.page
    page.goto(walk.service.setup_link())
    shot(page, "01-setup")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(walk.base + "/")
    expect(page.locator("[data-testid=checklist]")).to_have_attribute("data-complete", "no")
    shot(page, "02-checklist-new")
    doc_shot(page, "checklist")


def configure_and_test_sources(walk: Walk) -> None:
    """Every source's settings typed where a user types them, then each tested on Admin › Sources."""
    page = walk.page
    page.click("[data-testid=checklist] a:has-text('Your broadcaster username')")
    expect(page).to_have_url(walk.base + "/admin/settings")
    page.fill("input[name=broadcaster]", ACCOUNT)
    expect(page.locator(".save-bar button")).to_be_in_viewport()  # the form is screens long
    page.fill("input[name=affiliate_wm]", WM)
    page.fill("input[name=events_token]", walk.upstreams.events.token)
    page.fill("input[name=stats_token]", stats.DEFAULT_TOKEN)
    page.fill("input[name=statbate_token]", statbate.DEFAULT_TOKEN)
    shot(page, "03-settings")
    page.screenshot(path=str(SHOTS / "03-settings-screen.png"))
    page.click("button:has-text('Save settings')")
    expect(page.locator(".flash")).to_contain_text("Settings saved")
    page.goto(walk.base + "/admin/sources")
    for key in ("affiliate", "stats", "cbhours", "statbate"):
        page.click(f"tr[data-source={key}] button:has-text('Test connection')")
        expect(page.locator(".flash")).to_contain_text("OK")
    expect(page.locator(".flash")).to_contain_text("Running now: Statbate member and model info.")
    expect(page.locator("[data-testid=sources] .error-cell")).to_have_text(["—"] * 4)
    shot(page, "04-sources")


def pair_the_extension(walk: Walk) -> None:
    """A one-time code from Admin › Extension, typed on the extension's options page."""
    walk.page.goto(walk.base + "/admin/extension")
    walk.page.click("#new-pair-code")
    code = walk.page.locator("#pair-code-value").inner_text()
    options = walk.extension_page("options/options.html")
    options.fill("#service-url", walk.base)
    options.fill("#pace-min", "0")  # human pacing is a setting; the test has no human to imitate
    options.fill("#pace-max", "0")
    options.fill("#pair-code", code)
    options.click("#pair")
    expect(options.locator("#pair-result")).to_have_text("Paired.")
    expect(options.locator("#account")).to_have_value(ACCOUNT)  # from the service, not typed
    shot(options, "05-options-paired")
    options.close()


def run_both_lists(walk: Walk) -> None:
    """Update Following List, then Update Followers List, from the popup: both complete."""
    popup = walk.extension_page("popup/popup.html")
    popup.set_viewport_size({"width": 330, "height": 300})
    expect(popup.locator("#connection")).to_have_text("connected")
    runs = "SELECT complete FROM list_snapshots WHERE kind = :k"
    for kind in ("following", "followers"):
        popup.click(f"#update-{kind}")
        expect(popup.locator("#progress")).to_have_attribute("data-state", "complete", timeout=30000)
        expect(popup.locator("#outbox-count")).to_have_text("0", timeout=15000)
        stored = wait_for(popup, lambda: walk.service.rows(runs, k=kind), f"the {kind} run")  # noqa: B023
        assert stored == [(1,)]
        shot(popup, f"06-popup-{kind}")
    popup.screenshot(path=str(SHOTS / "docs" / "extension-popup.png"))
    popup.close()


def live_events(walk: Walk) -> None:
    """A broadcast on the Events API: she went live 40 minutes ago, a fan tipped, someone tipped
    anonymously; now a new follower arrives and a follower from the list leaves."""
    script = walk.upstreams.events
    since = int(time.time() * 1000) - 40 * 60 * 1000
    script.add("broadcastStart", {}, at_ms=since)
    script.add("userEnter", {"user": {"username": TIPPER}}, at_ms=since + 60_000)
    tip = {"tokens": 1500, "isAnon": False, "message": "hi"}
    script.add("tip", {"tip": tip, "user": {"username": TIPPER}}, at_ms=since + 120_000)
    anonymous = {"tokens": 25, "isAnon": True, "message": ""}
    script.add("tip", {"tip": anonymous, "user": {"username": "shy_fan"}}, at_ms=since + 180_000)
    # Follows change after the list runs read them (an older event would contradict the lists).
    now = int(time.time() * 1000)
    script.add("follow", {"user": {"username": "new_fan"}}, at_ms=now)
    script.add("unfollow", {"user": {"username": LEAVER}}, at_ms=now + 1)
    page = walk.page
    page.goto(walk.base + "/users/unfollowed")

    def unfollow_shown() -> int:
        page.reload()
        return page.locator(FILLED["unfollowed"][1]).count()

    wait_for(page, unfollow_shown, "the unfollow")
    doc_shot(page, "unfollowed")


def scrape_a_profile(walk: Walk) -> None:
    """A room page open in a tab, read by the extension (what the popup's Scrape This Profile sends)."""
    walk.site.serve(f"{CB}/harbor_lights/", PROFILES / "profile-followed-offline.html")
    room_tab = walk.context.new_page()
    room_tab.goto(f"{CB}/harbor_lights/")
    popup = walk.extension_page("popup/popup.html")
    find = "() => chrome.tabs.query({url: 'https://chaturbate.com/harbor_lights/'}).then(t => t[0].id)"
    scrape = "(tabId) => chrome.runtime.sendMessage({type: 'profile/scrape', payload: {tabId}})"
    reply = popup.evaluate(scrape, popup.evaluate(find))
    assert reply["ok"], reply
    scraped = "SELECT count(*) FROM profile_scrapes"
    wait_for(popup, lambda: walk.service.rows(scraped) == [(1,)], "the profile scrape")
    popup.close()
    room_tab.close()


def every_page_has_data(walk: Walk) -> None:
    """The checklist is complete (home is the Directory now); every page shows data and fits the
    window; every Admin tab opens."""
    page = walk.page
    page.goto(walk.base + "/admin")
    expect(page.locator("[data-testid=checklist]")).to_have_attribute("data-complete", "yes")
    shot(page, "08-admin-checklist-done")
    page.goto(walk.base + "/")
    expect(page).to_have_url(re.compile(r"/users/directory"))
    for name, (path, rows) in FILLED.items():
        page.goto(walk.base + path)
        expect(page.locator(rows).first).to_be_visible()
        shot(page, f"09-{name}")
        assert fits(page), f"{path} is wider than a 1280 px window"
    for name, path in {"directory": "/users/directory", "room": "/room", "events": "/events"}.items():
        page.goto(walk.base + path)
        doc_shot(page, name)
    page.goto(walk.base + "/profile/harbor_lights")
    page.locator("[data-testid=scraped-profile]").evaluate("(el) => window.scrollTo(0, el.offsetTop - 16)")
    doc_shot(page, "profile")  # what the extension read on the room page, as a section of the profile
    # System Stats records hourly; the admin runs it now from Admin › Jobs rather than wait.
    page.goto(walk.base + "/admin/jobs")
    page.click("tr[data-job=system_stats] >> text=Run now")
    page.goto(walk.base + "/admin/system")
    wait_for(page, lambda: page.reload() and page.locator("[data-testid=latest]").count(), "system stats")
    for tab in ADMIN_TABS:
        answer = page.goto(f"{walk.base}/admin/{tab}")
        assert answer is not None and answer.status == 200, tab
        shot(page, f"10-admin-{tab.replace('/', '-')}")
        assert fits(page), f"/admin/{tab} is wider than a 1280 px window"


def each_role_sees_what_it_may(walk: Walk) -> None:
    """The admin adds a subscriber and a viewer on Admin › Users; both read every page, only the
    subscriber may queue work for the extension, neither opens an Admin tab."""
    page = walk.page
    page.goto(walk.base + "/admin/users")
    form = page.locator("form[action='/admin/users']")
    for name, role in (("sub", "subscriber"), ("watcher", "viewer")):
        form.locator("input[name=username]").fill(name)
        form.locator("input[name=password]").fill(PASSWORD)
        for box in form.locator("input[name=roles]").all():
            box.set_checked(box.get_attribute("value") == role)
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=system-users]")).to_contain_text(name)
    page.click("text=Sign out")
    for name, may_queue in (("sub", True), ("watcher", False)):
        sign_in(page, walk.base, name)
        expect(page.locator("nav.mainnav a")).to_have_text(["Users", "Profile", ACCOUNT, "Events"])
        for path, rows in FILLED.values():
            page.goto(walk.base + path)
            expect(page.locator(rows).first).to_be_visible()
        page.goto(walk.base + "/users/followers")
        expect(page.locator("button:has-text('Update Followers List')")).to_have_count(1 if may_queue else 0)
        page.goto(walk.base + "/profile/harbor_lights")
        expect(page.locator("button:has-text('Scrape Profile')")).to_have_count(1 if may_queue else 0)
        shot(page, f"11-{name}-profile")
        for tab in ADMIN_TABS:
            answer = page.goto(f"{walk.base}/admin/{tab}")
            assert answer is not None and answer.status == 403, (name, tab)
        shot(page, f"11-{name}-admin-refused")
        page.goto(walk.base + "/")
        page.click("text=Sign out")


def test_the_first_hour(
    context: BrowserContext,
    site: Site,
    extension_id: str,
    fresh_service: ServiceProcess,
    upstreams: Upstreams,
) -> None:
    """Setup link → checklist → sources → extension → both lists → live events → a profile →
    checklist complete → data on every page → each role."""
    for url, body in SITE_PAGES.items():
        site.serve(url, body)
    walk = Walk(context, site, extension_id, fresh_service, upstreams)
    setup_and_checklist(walk)
    configure_and_test_sources(walk)
    pair_the_extension(walk)
    run_both_lists(walk)
    live_events(walk)
    scrape_a_profile(walk)
    every_page_has_data(walk)
    each_role_sees_what_it_may(walk)
    # Leave the panel before closing: closing the tab straight from a panel page now and then never
    # returned (1 run in ~6), with the test already passed.
    walk.page.goto("about:blank")
    walk.page.close()
