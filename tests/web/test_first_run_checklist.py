"""The first-run checklist: where a new admin lands, and how each step's state follows the data."""

from __future__ import annotations

from bs4 import BeautifulSoup

from service.store import jobs as job_store
from service.web.keys import db_key
from tests.support.extension_api import Ext, snapshot
from tests.support.panel import Panel, add_user


def _steps(html: str) -> dict[str, tuple[str, str]]:
    """step title → (its class: done / todo / optional, its state text)."""
    page = BeautifulSoup(html, "html.parser")
    steps = {}
    for li in page.select("[data-testid=checklist] li"):
        state = li.select_one(".state")
        assert state is not None
        steps[str(li["data-step"])] = (str(li["class"][0]), state.get_text(strip=True))
    return steps


async def test_a_new_admin_lands_on_the_checklist(admin_panel: Panel) -> None:
    """Right after setup nothing is done; unconfigured sources are optional, with where to set them."""
    status, html = await admin_panel.get("/")
    assert status == 200
    steps = _steps(html)
    assert steps["Your broadcaster username"] == ("todo", "not set yet")
    assert steps["Affiliate API"][0] == "optional" and "not set up" in steps["Affiliate API"][1]
    assert steps["Pair the Chrome extension"] == ("todo", "not paired yet")
    assert steps["First list run (following or followers)"][0] == "todo"
    assert steps["First data"] == ("todo", "nobody stored yet")
    links = {
        a.get_text(): a["href"]
        for a in BeautifulSoup(html, "html.parser").select("[data-testid=checklist] a")
    }
    assert links["Your broadcaster username"] == "/admin/settings"
    assert links["Pair the Chrome extension"] == "/admin/extension"


async def test_the_checklist_follows_the_data_and_then_gives_way_to_the_directory(admin_panel: Panel) -> None:
    """Broadcaster set, a configured source that worked, a paired extension and a list run: done,
    and / leads to the Directory again (the Admin index keeps the checklist, marked all done)."""
    response = await admin_panel.post("/admin/settings", {"broadcaster": "my_room", "affiliate_wm": "AbCdE"})
    assert response.status in (200, 303), await response.text()
    _, html = await admin_panel.get("/")
    steps = _steps(html)
    assert steps["Your broadcaster username"] == ("done", "set: my_room")
    assert steps["Affiliate API"] == ("todo", "configured; waiting for its first successful run")

    async with admin_panel.app[db_key].transaction() as conn:
        run = await job_store.start_run(conn, "affiliate", trigger="manual")
        await job_store.finish_run(
            conn, run, "affiliate", status="error", summary=None, error="HTTP 400: bad wm"
        )
    _, html = await admin_panel.get("/")
    assert _steps(html)["Affiliate API"] == ("todo", "failing: HTTP 400: bad wm")
    async with admin_panel.app[db_key].transaction() as conn:
        run = await job_store.start_run(conn, "affiliate", trigger="manual")
        await job_store.finish_run(conn, run, "affiliate", status="ok", summary="0 rooms", error=None)

    ext = Ext(admin_panel.client)  # the extension's calls, over the same test server
    await ext.pair(admin_panel.app)
    status, _ = await ext.post(
        "lists", snapshot("followers", ["fan_one", "fan_two"], account="my_room"), **{"Idempotency-Key": "k1"}
    )
    assert status == 200
    response = await admin_panel.client.get("/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/users/directory"
    _, html = await admin_panel.get("/admin")
    card = BeautifulSoup(html, "html.parser").select_one("[data-testid=checklist]")
    assert card is not None and card["data-complete"] == "yes"


async def test_a_viewer_is_not_shown_the_checklist(panel: Panel) -> None:
    """Only those who can act on it (manage_jobs) see it; others go straight to the Directory."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    response = await panel.client.get("/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/users/directory"
