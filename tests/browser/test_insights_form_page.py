"""Room › Insights form in real Chromium against the real `mhc serve`, the AI report pointed (by MHC_AI_*
settings) at a fake OpenAI-compatible server in a thread: fill in the form, save, preview what would be
sent, generate, read the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from service.store.db import open_database
from tests.fakes.openai_chat import DEFAULT_KEY, ChatFake, make_app
from tests.support.events import ROOM, Feed, ingest
from tests.support.service_process import ServiceProcess
from tests.support.threaded_app import ThreadedApp

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret
REPORT = (
    "Your Friday evenings earn twice your average per hour: go live then first.\n\n"
    "1. Start at 20:00 UTC on Fridays and Saturdays.\n"
    "2. Put the song request nearer the top of the menu."
)
FANS = ("alice", "bob", "carol", "dave")


async def _seed(path: Path) -> None:
    """Three weeks of broadcasts, Mondays and Fridays, 20:00–22:00 UTC; Fridays tip more."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with open_database(path) as db:
        for days_ago in range(21, 0, -1):
            day = today - timedelta(days=days_ago)
            if day.weekday() not in (0, 4):
                continue
            f = Feed(day.replace(hour=20))
            f.seq = days_ago * 100
            rich = day.weekday() == 4
            await ingest(db, [
                f.event(0, "broadcastStart", ROOM),
                f.event(10, "tip", "alice", tokens=500 if rich else 200),
                f.event(20, "follow", f"new_fan_{days_ago}"), f.event(50, "tip", "bob", tokens=100),
                f.event(70, "tip", "carol", tokens=300 if rich else 50),
                f.event(80, "tip", "dave", tokens=25),
                f.event(120, "broadcastStop", ROOM),
            ])  # fmt: skip


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[ChatFake, str]]:
    state = ChatFake(content=REPORT)
    served = ThreadedApp(make_app(state))
    base = served.start()
    try:
        yield state, base
    finally:
        served.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, fake: tuple[ChatFake, str]) -> Iterator[str]:
    _, base = fake
    env = {"MHC_AI_BASE_URL": f"{base}/v1", "MHC_AI_MODEL": "llama3.1:8b", "MHC_AI_API_KEY": DEFAULT_KEY,
           "MHC_BROADCASTER": ROOM}  # fmt: skip
    process = ServiceProcess(tmp_path_factory.mktemp("insights-form") / "data", env=env)
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    seeding = ThreadedApp(make_app())  # only for its event loop in a thread of its own
    seeding.thread.start()
    seeding.run(_seed(process.data_dir / "mhc.sqlite3"))
    seeding.loop.call_soon_threadsafe(seeding.loop.stop)
    seeding.thread.join(timeout=10)
    seeding.loop.close()
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


def test_fill_in_preview_and_generate(browser: Browser, service: str, fake: tuple[ChatFake, str]) -> None:
    state, _ = fake
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(service + "/login?next=/room")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("[data-testid=insights-form-link]")
        expect(page).to_have_url(service + "/room/insights-form")
        form = page.locator("[data-testid=insights-form]")
        form.locator("input[value=more_tokens]").check()
        form.locator("input[value=fewer_hours]").check()
        form.locator("textarea[name=schedule]").fill("Weekday evenings only, at most 12 hours a week.")
        form.locator("textarea[name=show_types]").fill("Chat and games\nDance")
        menu = [("Flash", "50"), ("Song request", "100"), ("Spin the wheel", "250")]
        for row, (item, price) in enumerate(menu):
            form.locator("input[name=tip_item]").nth(row).fill(item)
            form.locator("input[name=tip_price]").nth(row).fill(price)
        form.locator("textarea[name=room_rules]").fill("Be kind. No requests for personal details.")
        form.locator("textarea[name=improve]").fill("Keep the people who follow during a show.")
        form.locator("textarea[name=never_suggest]").fill("Private shows. Longer hours.")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Saved as revision 1.")
        expect(form.locator("input[name=tip_item]")).to_have_count(8)  # three items and five empty rows
        page.screenshot(path=str(SHOTS / "insights-form-first.png"), full_page=True)

        page.click("[data-testid=preview-form] button")
        body = page.locator("[data-testid=preview-body]")
        shown = body.text_content() or ""
        sent = json.loads(shown)
        assert sent["model"] == "llama3.1:8b"
        assert not any(name in shown for name in FANS)
        messages = page.locator("[data-testid=preview-message]")
        assert messages.all_text_contents() == [m["content"] for m in sent["messages"]]
        stats = page.locator("[data-testid=preview-statistics]")
        expect(stats).to_contain_text("Best weekday")
        page.screenshot(path=str(SHOTS / "insights-preview.png"), full_page=True)

        page.click("[data-testid=generate-form] button")
        expect(page.locator(".flash")).to_have_text("Report 1 generated.")
        expect(page.locator("[data-testid=report-content]")).to_have_text(REPORT)
        page.screenshot(path=str(SHOTS / "insights-report.png"), full_page=True)
        assert [r.json() for r in state.requests] == [sent]
        assert DEFAULT_KEY not in page.content()

        # A revision: the form shows it, the first is listed as earlier, the report stays listed.
        page.click("text=Insights form")
        improve = page.locator("textarea[name=improve]")
        improve.fill("Keep the people who follow during a show; fewer late nights.")
        page.click("[data-testid=insights-form] button[type=submit]")
        expect(page.locator(".flash")).to_have_text("Saved as revision 2.")
        expect(page.locator("[data-testid=earlier-revisions] a")).to_have_text(["Revision 1"])
        expect(page.locator("[data-testid=reports] a").first).to_have_text("Report 1")
        page.screenshot(path=str(SHOTS / "insights-form.png"), full_page=True)
        page.click("[data-testid=earlier-revisions] a")
        first = page.locator("[data-testid=answers]")
        expect(first).to_contain_text("Keep the people who follow during a show.")
    finally:
        context.close()
