"""Admin › Import in real Chromium against the real `mhc serve`: upload, progress, refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/mhc-pages")  # noqa: S108 — screenshots for a human to look at, nothing secret
HEADER = "User,Token change,Timestamp,Note\n"
ROWS = 60_000


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = ServiceProcess(tmp_path_factory.mktemp("import") / "data")
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


def test_upload_shows_progress_then_the_import_and_a_refusal(
    browser: Browser, service: str, tmp_path: Path
) -> None:
    """A 60,000-row file goes through the bar to 'Done' and the list; a bad file shows its sentence."""
    SHOTS.mkdir(exist_ok=True)
    good = tmp_path / "token_history.csv"
    good.write_text(HEADER + "".join(f"fan_{i % 5000},{1 + i % 90},2025-06-{1 + i % 28:02d} "
                                     f"{i % 24:02d}:{i % 60:02d}:00,Tip\n" for i in range(ROWS)))  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "fan_1,10,2025-06-01 10:00:00,Tip\nfan_2,ten,2025-06-01 11:00:00,Tip\n")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(service + "/login?next=/admin/import")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(service + "/admin/import")
        page.screenshot(path=str(SHOTS / "import-empty.png"), full_page=True)

        page.set_input_files("[data-testid=import-file]", str(good))
        page.click("[data-testid=import-submit]")
        expect(page.locator("[data-testid=import-progress]")).to_be_visible()
        page.screenshot(path=str(SHOTS / "import-progress.png"), full_page=True)
        expect(page.locator("#import-phase")).to_contain_text("Done: 60,000 rows read", timeout=60_000)
        page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
        row = page.locator("[data-testid=imports] tr[data-status=done]")
        expect(row).to_have_count(1, timeout=10_000)  # the page reloads with the list
        expect(row).to_contain_text("token_history.csv")
        expect(row).to_contain_text("60,000")

        page.set_input_files("[data-testid=import-file]", str(bad))
        page.click("[data-testid=import-submit]")
        error = page.locator("[data-testid=import-error]")
        expect(error).to_have_text(
            "The file was not imported: Line 3: the Token change 'ten' is not a whole number.", timeout=20_000
        )
        page.screenshot(path=str(SHOTS / "import-refused.png"), full_page=True)
    finally:
        context.close()
