"""The Admin index: one entry for every Admin tab the user may open, each with what it is for."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.support.panel import Panel


async def test_the_index_lists_every_admin_tab(admin_panel: Panel) -> None:
    """An admin finds every tab of the Admin bar on the index too (Events stream was missing)."""
    status, html = await admin_panel.get("/admin")
    assert status == 200
    page = BeautifulSoup(html, "html.parser")
    tabs = [a["href"] for a in page.select("nav.subnav a")]
    listed = [a["href"] for a in page.select("ul.sections a")]
    assert len(tabs) == 10
    assert listed == tabs
    for item in page.select("ul.sections li"):
        assert "—" in item.get_text()  # every entry says what the section is for
