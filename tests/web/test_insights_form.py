"""Room › Insights form: saving and revising the questionnaire, who may do what, and its refusals."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from service.store import insights_form
from service.web.keys import db_key
from tests.support.panel import Panel, add_user

FORM = "/room/insights-form"


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _answers(**changes: Any) -> list[tuple[str, str]]:
    """A filled-in form as the browser posts it (repeated fields in order; two empty tip rows)."""
    fields = {
        "goals": ["more_followers", "more_tokens"],
        "schedule": "Weekdays after 20:00 UTC.\r\nNever on Sundays.",
        "show_types": "chat\r\n games \r\n\r\ndance",
        "tip_item": ["Flash", "Song request", "", ""],
        "tip_price": ["50", "1,000", "", ""],
        "room_rules": "Be kind.",
        "improve": "Keep new followers.",
        "never_suggest": "Private shows.",
        **changes,
    }
    posted: list[tuple[str, str]] = []
    for key, value in fields.items():
        posted += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return posted


async def _revisions(panel: Panel) -> list[insights_form.Revision]:
    async with panel.app[db_key].read() as conn:
        return await insights_form.list_revisions(conn)


async def test_the_form_saves_and_each_save_is_a_revision(admin_panel: Panel) -> None:
    """Two saves: two revisions (who, when); the page shows the latest, lists the earlier one, which opens."""
    await admin_panel.get(FORM)
    response = await admin_panel.post(FORM, _answers())
    assert response.status == 303 and response.headers["Location"] == FORM
    [first] = await _revisions(admin_panel)
    assert first.saved_by == "owner"
    assert first.answers.goals == ["more_followers", "more_tokens"]
    assert first.answers.schedule == "Weekdays after 20:00 UTC.\nNever on Sundays."
    assert first.answers.show_types == ["chat", "games", "dance"]
    assert [(t.item, t.price) for t in first.answers.tip_menu] == [("Flash", 50), ("Song request", 1000)]

    response = await admin_panel.post(
        FORM, _answers(goals=["fewer_hours"], tip_item=["Flash"], tip_price=["60"])
    )
    assert response.status == 303
    latest, earlier = await _revisions(admin_panel)
    assert (latest.id, earlier.id) == (2, 1)
    status, html = await admin_panel.get(FORM)
    assert status == 200
    page = _soup(html)
    assert "Saved as revision 2." in html
    checked = [box["value"] for box in page.select("[data-testid=insights-form] input[name=goals][checked]")]
    assert checked == ["fewer_hours"]
    items = [i.get("value") for i in page.select("input[name=tip_item]")]
    assert items == ["Flash", "", "", "", "", ""]  # the saved row and five empty ones
    assert page.select_one("input[name=tip_price]")["value"] == "60"  # type: ignore[index]
    assert page.select_one("textarea[name=never_suggest]").text == "Private shows."  # type: ignore[union-attr]
    assert "Revision 2, saved" in page.select_one("[data-testid=latest-meta]").text  # type: ignore[union-attr]
    links = [a["href"] for a in page.select("[data-testid=earlier-revisions] a")]
    assert links == ["/room/insights-form/revisions/1"]

    status, html = await admin_panel.get("/room/insights-form/revisions/1")
    assert status == 200
    shown = _soup(html).select_one("[data-testid=answers]")
    assert shown is not None and "More followers, More tokens" in shown.text
    cells = [td.text for td in shown.select("[data-testid=tip-menu-table] td")]
    assert cells == ["Flash", "50", "Song request", "1,000"]
    assert "The latest is" in html
    status, data = await admin_panel.get_json("/room/insights-form.json")
    assert status == 200
    assert data["latest"]["id"] == 2 and data["latest"]["answers"]["tip_menu"] == [
        {"item": "Flash", "price": 60}
    ]
    assert [r["id"] for r in data["earlier"]] == [1]
    assert data["ai_report"]["configured"] is False
    assert (await admin_panel.get("/room/insights-form/revisions/9"))[0] == 404


async def test_bad_answers_are_refused_with_sentences_and_nothing_is_saved(admin_panel: Panel) -> None:
    await admin_panel.get(FORM)
    cases = {
        "Tip menu, row 1: the price must be a whole number of tokens from 1 to 100,000.":
            _answers(tip_item=["Flash"], tip_price=["0"]),
        "Tip menu, row 2: the price must be a whole number of tokens from 1 to 100,000.":
            _answers(tip_item=["Flash", "Dance"], tip_price=["10", "100001"]),
        "Tip menu, row 1: the item must have at most 80 characters.":
            _answers(tip_item=["x" * 81], tip_price=["5"]),
        "Tip menu, row 1: the item is missing.": _answers(tip_item=[""], tip_price=["5"]),
        "The tip menu can have at most 50 items.":
            _answers(tip_item=[f"item {i}" for i in range(51)], tip_price=["5"] * 51),
        "Schedule constraints must have at most 2000 characters.": _answers(schedule="x" * 2001),
        "Show types must have at most 80 characters.": _answers(show_types="y" * 81),
        "“colour” is not part of this form.": [*_answers(), ("colour", "red")],
    }  # fmt: skip
    for sentence, posted in cases.items():
        response = await admin_panel.post(FORM, posted)
        text = await response.text()
        assert response.status == 400, sentence
        assert sentence in text, (sentence, _soup(text).select_one(".errors"))
    response = await admin_panel.post(FORM, _answers(goals=["more_fame"]))
    assert response.status == 400
    assert await _revisions(admin_panel) == []
    # What was typed comes back beside the errors.
    response = await admin_panel.post(
        FORM, _answers(tip_item=["Flash"], tip_price=["0"], improve="Retention")
    )
    page = _soup(await response.text())
    assert page.select_one("textarea[name=improve]").text == "Retention"  # type: ignore[union-attr]
    assert page.select_one("input[name=tip_item]")["value"] == "Flash"  # type: ignore[index]


async def test_a_viewer_reads_a_subscriber_saves_only_an_admin_generates(admin_panel: Panel) -> None:
    """view_stats reads; edit_fans saves (a subscriber); a report needs manage_jobs (admins)."""
    await admin_panel.get(FORM)
    assert (await admin_panel.post(FORM, _answers())).status == 303
    for name, role in (("vera", "viewer"), ("sam", "subscriber")):
        await add_user(admin_panel.app, name, role)
    assert (await admin_panel.post("/logout")).status == 303
    await admin_panel.login("vera")
    status, html = await admin_panel.get(FORM)
    assert status == 200
    assert _soup(html).select_one("[data-testid=insights-form]") is None  # read-only: the answers, no form
    assert "Song request" in _soup(html).select_one("[data-testid=answers]").text  # type: ignore[union-attr]
    assert (await admin_panel.post(FORM, _answers())).status == 403
    assert (await admin_panel.post("/logout")).status == 303
    await admin_panel.login("sam")
    await admin_panel.get(FORM)
    assert (await admin_panel.post(FORM, _answers(improve="More regulars"))).status == 303
    generate = {"revision_id": "2", "as_of": "2026-01-01T00:00:00.000Z", "digest": "0" * 64}
    assert (await admin_panel.post("/room/insights-form/reports", generate)).status == 403
    assert [r.saved_by for r in await _revisions(admin_panel)] == ["sam", "owner"]


async def test_without_a_base_url_the_page_says_not_configured(admin_panel: Panel) -> None:
    """Off by default: the page says so and links the deterministic insights; the preview still shows what
    would be sent, with no Generate button."""
    status, html = await admin_panel.get(FORM)
    page = _soup(html)
    assert "AI reports are not configured" in page.select_one("[data-testid=ai-not-configured]").text  # type: ignore[union-attr]
    assert page.select_one("[data-testid=insights-link]")["href"] in ("/room/insights", "/room")  # type: ignore[index, operator]
    assert page.select_one("[data-testid=preview-form]") is None  # nothing to preview before a save
    await admin_panel.post(FORM, _answers())
    status, html = await admin_panel.get("/room/insights-form/preview")
    assert status == 200
    page = _soup(html)
    assert page.select_one("[data-testid=ai-not-configured]") is not None
    assert page.select_one("[data-testid=generate-form]") is None
    assert "Song request" in page.select_one("[data-testid=preview-body]").text  # type: ignore[union-attr]
