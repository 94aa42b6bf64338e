"""A long list sent in parts, end to end: the real extension reads the followers pages and, because
the service announces parts of one page (MHC_EXT_LIST_PART_PAGES=1, an ordinary setting), sends each
page as a part while it reads on, then the finish; the service makes them one complete snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, Worker, expect

from tests.support.extension_browser import ACCOUNT, LISTS, PROFILES, Service, Site, paired_options, wait_for
from tests.support.service_process import free_port

pytestmark = pytest.mark.e2e

CB = "https://chaturbate.com"
FOLLOWERS = {
    f"{CB}/accounts/followers/?page=1": "followers-p1.html",
    f"{CB}/accounts/followers/?page=2": "followers-p2.html",
}
# Before any list page a run reads the account's own room page to see who is logged in.
ACCOUNT_ROOM = f"{CB}/{ACCOUNT}/"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = Service(tmp_path_factory.mktemp("svc") / "data", free_port())
    svc.env["MHC_EXT_LIST_PART_PAGES"] = "1"
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def options(context: BrowserContext, extension_id: str, service: Service, worker: Worker) -> Page:
    """The options page, paired with the service by a code from `mhc pair`, at no human pace."""
    return paired_options(context, extension_id, service, human_pace=False)


def test_a_list_longer_than_a_part_lands_complete(
    options: Page, popup: Page, site: Site, service: Service
) -> None:
    """Two pages, parts of one page: two parts and a finish, one complete snapshot of every name."""
    site.serve(ACCOUNT_ROOM, PROFILES / "profile-followed-offline.html")  # its viewer is ACCOUNT
    for url, name in FOLLOWERS.items():
        site.serve(url, LISTS / name)
    expect(popup.locator("#connection")).to_have_attribute("data-state", "connected", timeout=15000)
    popup.click("#update-followers")
    snapshots = "SELECT id, idempotency_key, complete, abort_reason, names FROM list_snapshots"
    (snapshot,) = wait_for(popup, lambda: service.rows(snapshots), "the finished snapshot")
    snapshot_id, key, complete, reason, names = snapshot
    assert (complete, reason, names) == (1, None, 150)
    # It came as an upload in parts (a whole snapshot's key starts "key:"), and nothing is left over.
    assert key.startswith("upload:")
    assert service.rows("SELECT snapshot_id FROM list_uploads") == [(snapshot_id,)]
    assert service.rows("SELECT count(*) FROM list_upload_pages") == [(0,)]
    pages = service.rows("SELECT list, page FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq",
                         id=snapshot_id)  # fmt: skip
    assert pages == [("followers", 1), ("followers", 2)]
    assert service.rows("SELECT count(*) FROM follow_periods WHERE direction = 'follower'") == [(150,)]
    expect(popup.locator("#outbox-count")).to_have_text("0")
    expect(popup.locator("#progress")).to_have_attribute("data-state", "complete")
