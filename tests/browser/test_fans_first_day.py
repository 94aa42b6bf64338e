"""Issue 10's whole story in real Chromium against a real `mhc serve` and the fake Events API: import
last year's token history, watch a broadcast's events arrive, and see the Fans page rank the fans truly,
with tiers, lists and notes; a tip both in the file and in the stream counts once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fakes.events import EventsScript
from tests.support.room_service import PASSWORD, fake_events, room_service

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret
NOW = datetime.now(UTC).replace(microsecond=0)
DUPLICATE_AT = NOW - timedelta(minutes=10)  # regular_rita's tip, in the file and in the stream


def _csv_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


HISTORY = "User,Token change,Timestamp,Note\n" + "".join(
    [f"whale_wendy,{amount},2025-12-{day:02d} 21:00:00,Tip\n" for day, amount in ((1, 20000), (8, 10000))]
    + ["regular_rita,1500,2025-11-20 20:00:00,Private show\n",
       f"regular_rita,100,{_csv_time(DUPLICATE_AT + timedelta(seconds=40))},Tip\n",
       "whale_wendy,-500,2025-12-09 10:00:00,Chargeback\n"]
)  # fmt: skip


@pytest.fixture
def events() -> Iterator[tuple[EventsScript, str]]:
    with fake_events() as found:
        yield found


@pytest.fixture
def service(tmp_path: Path, events: tuple[EventsScript, str]) -> Iterator[str]:
    with room_service(tmp_path / "data", *events) as url:
        yield url


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _broadcast(script: EventsScript) -> None:
    start = NOW - timedelta(minutes=30)
    script.add("broadcastStart", {}, at_ms=_ms(start))
    for minute, method, who, tokens in [
        (1, "userEnter", "whale_wendy", 0), (2, "tip", "whale_wendy", 500), (3, "userEnter", "new_nick", 0),
        (4, "tip", "new_nick", 6000), (5, "userEnter", "regular_rita", 0),
        (20, "tip", "regular_rita", 100), (21, "follow", "new_nick", 0),
    ]:  # fmt: skip
        at = _ms(DUPLICATE_AT) if minute == 20 else _ms(start + timedelta(minutes=minute))
        user = {"user": {"username": who}}
        body = (
            {**user, "tip": {"tokens": tokens, "isAnon": False, "message": ""}} if method == "tip" else user
        )
        script.add(method, body, at_ms=at)


def _sign_in(page: Page, service: str, then: str) -> None:
    page.goto(f"{service}/login?next={then}")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(service + then)


def _fans_json(page: Page, service: str) -> dict[str, dict[str, Any]]:
    body = json.loads(page.evaluate(f"fetch('{service}/users/fans.json').then(r => r.text())"))
    return {row["username"]: row for row in body["fans"]}


def test_imported_history_and_a_live_broadcast_rank_the_fans_truly(
    browser: Browser, service: str, events: tuple[EventsScript, str], tmp_path: Path
) -> None:
    script, _ = events
    SHOTS.mkdir(exist_ok=True)
    history = tmp_path / "token_history.csv"
    history.write_text(HISTORY)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, service, "/admin/import")
        page.set_input_files("[data-testid=import-file]", str(history))
        page.click("[data-testid=import-submit]")
        expect(page.locator("[data-testid=imports] tr[data-status=done]")).to_have_count(1, timeout=30_000)

        _broadcast(script)  # the stream picks the broadcast up from the fake's backlog
        # Lifetime = room + imported; rita's 100-token tip is in the file and the stream: counted once.
        expected = {"whale_wendy": 30500, "new_nick": 6000, "regular_rita": 1600}
        deadline = time.monotonic() + 30
        while True:
            fans = _fans_json(page, service)
            lifetimes = {name: row["lifetime_tokens"] for name, row in fans.items()}
            # the last event stored: new_nick's follow (the stream stores batches whole)
            if fans.get("new_nick", {}).get("follower_since") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert lifetimes == expected
        assert {name: (row["tier"] or {}).get("name") for name, row in fans.items()} == {
            "whale_wendy": "Diamond",
            "new_nick": "Gold",
            "regular_rita": "Silver",
        }

        page.goto(service + "/profile/whale_wendy")
        page.select_option("[data-testid=add-to-list] select", label="VIP")
        page.click("[data-testid=add-to-list] button")
        page.fill("[data-testid=add-note] textarea", "Birthday in March; loves the 99 menu")
        page.check("[data-testid=add-note] input[name=pinned]")
        page.click("[data-testid=add-note] button[type=submit]")
        expect(page.locator("[data-testid=fan-card] [data-testid=fan-lists]")).to_have_text("VIP")

        page.goto(service + "/users/fans")
        names = page.locator("table tbody tr td.who a").all_inner_texts()
        assert names[:3] == ["whale_wendy", "new_nick", "regular_rita"]
        whale = page.locator("table tbody tr").first
        expect(whale.locator("[data-testid=fan-badge]")).to_contain_text("Diamond")
        expect(whale.locator("[data-testid=fan-badge]")).to_contain_text("VIP")
        expect(whale.locator("[data-testid=pinned-mark]")).to_be_visible()
        page.screenshot(path=str(SHOTS / "fans-first-day.png"), full_page=True)
    finally:
        context.close()
