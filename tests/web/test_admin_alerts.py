"""Admin › Alerts: rules created, edited, switched and deleted through the forms, refused in sentences,
and a rule made on the page raising its alert through the real ingest path."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from service.alert_rules import Rule
from service.store import alert_rules, fan_lists
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel, add_user


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _rules(panel: Panel) -> list[Rule]:
    async with panel.app[db_key].read() as conn:
        return await alert_rules.list_rules(conn)


async def _vip(panel: Panel) -> int:
    async with panel.app[db_key].read() as conn:
        return next(lst.id for lst in await fan_lists.list_lists(conn) if lst.builtin == "vip")


async def test_create_a_fan_enters_rule_and_read_it_in_words(admin_panel: Panel) -> None:
    vip = await _vip(admin_panel)
    status, html = await admin_panel.get("/admin/alerts/new?kind=fan_enters")
    assert status == 200 and soup(html).select_one("select[name=min_tier]") is not None
    response = await admin_panel.post("/admin/alerts/new?kind=fan_enters", [
        ("name", "Whales and VIPs"), ("min_tier", "Gold"), ("list_ids", str(vip)), ("smart", "regulars"),
        ("cooldown_minutes", "5"), ("quiet_start", "23:00"), ("quiet_end", "07:00"),
        ("quiet_tz", "Europe/Berlin"),
    ])  # fmt: skip
    assert response.status == 303
    (rule,) = await _rules(admin_panel)
    assert rule.cooldown_seconds == 300 and rule.quiet is not None and rule.quiet.tz == "Europe/Berlin"
    _, html = await admin_panel.get("/admin/alerts")
    text = soup(html).select_one("[data-testid=rule-text]").get_text()  # type: ignore[union-attr]
    assert text == (
        "Someone of tier Gold or higher, on “VIP” or in “Regulars” enters the room "
        "(at most once per person every 5 minutes; quiet 23:00–07:00 (Europe/Berlin))."
    )
    # The edit form shows what was saved.
    _, html = await admin_panel.get(f"/admin/alerts/{rule.id}")
    form = soup(html)
    assert form.select_one("option[selected]")["value"] == "Gold"  # type: ignore[index]
    assert form.select_one(f"input[name=list_ids][value='{vip}']").has_attr("checked")  # type: ignore[union-attr]
    assert form.select_one("input[name=quiet_start]")["value"] == "23:00"  # type: ignore[index]


@pytest.mark.parametrize(
    ("kind", "fields", "sentence"),
    [
        (
            "fan_enters",
            [("name", "x")],
            "Choose a tier, a list or a smart list: whom should this rule announce?",
        ),
        ("fan_enters", [("name", "x"), ("min_tier", "Platinum")], "“Platinum” is not a tier"),
        ("big_tip", [("name", "x"), ("min_tokens", "0")], "greater than or equal to 1"),
        ("new_follower", [("name", "x"), ("quiet_start", "23:00")], "need both a start and an end"),
        (
            "new_follower",
            [("name", "x"), ("quiet_start", "23:00"), ("quiet_end", "06:00"), ("quiet_tz", "Mars/Olympus")],
            "is not a time zone",
        ),
        ("new_follower", [("name", "")], "must not be empty"),
        ("new_follower", [("name", "x"), ("surprise", "1")], "is not part of this form"),
    ],
)
async def test_refusals_are_sentences_and_change_nothing(
    admin_panel: Panel, kind: str, fields: list[tuple[str, str]], sentence: str
) -> None:
    await admin_panel.get("/admin/alerts")
    response = await admin_panel.post(f"/admin/alerts/new?kind={kind}", fields)
    assert response.status == 400
    errors = soup(await response.text()).select_one(".errors")
    assert errors is not None and sentence in errors.get_text()
    assert await _rules(admin_panel) == []


async def test_edit_switch_and_delete(admin_panel: Panel) -> None:
    await admin_panel.get("/admin/alerts")
    await admin_panel.post("/admin/alerts/new?kind=big_tip", {"name": "Big", "min_tokens": "500"})
    (rule,) = await _rules(admin_panel)
    await admin_panel.get(f"/admin/alerts/{rule.id}")
    response = await admin_panel.post(f"/admin/alerts/{rule.id}", {"name": "Bigger", "min_tokens": "1000",
                                                                  "cooldown_minutes": "0"})  # fmt: skip
    assert response.status == 303
    (rule,) = await _rules(admin_panel)
    assert (rule.name, rule.params.model_dump(), rule.cooldown_seconds) == ("Bigger", {"min_tokens": 1000}, 0)
    assert (await admin_panel.post(f"/admin/alerts/{rule.id}/disable")).status == 303
    assert not (await _rules(admin_panel))[0].enabled
    assert (await admin_panel.post(f"/admin/alerts/{rule.id}/enable")).status == 303
    assert (await _rules(admin_panel))[0].enabled
    assert (await admin_panel.post(f"/admin/alerts/{rule.id}/delete")).status == 303
    assert await _rules(admin_panel) == []
    assert (await admin_panel.post(f"/admin/alerts/{rule.id}/delete")).status == 404


async def test_only_admins_and_only_with_the_csrf_token(panel: Panel) -> None:
    await add_user(panel.app, "sub", "subscriber")
    await panel.login("sub")
    assert (await panel.get("/admin/alerts"))[0] == 403
    await add_user(panel.app, "owner", "admin")
    await panel.login("owner")
    await panel.get("/admin/alerts")
    response = await panel.post("/admin/alerts/new?kind=new_follower", {"name": "x"}, csrf=False)
    assert response.status == 403
    assert await _rules(panel) == []


async def test_a_rule_made_on_the_page_alerts_from_the_ingest(admin_panel: Panel) -> None:
    await admin_panel.get("/admin/alerts")
    await admin_panel.post("/admin/alerts/new?kind=big_tip", {"name": "Big", "min_tokens": "100"})
    f = Feed()
    db = admin_panel.app[db_key]
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(1, "tip", "alice", tokens=250)])
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT title FROM alerts")
    assert [row[0] for row in rows] == ["alice tipped 250 tokens"]


async def test_failure_rules_store_the_params_the_alert_watch_reads(admin_panel: Panel) -> None:
    """source_failing keeps `sources` and `minutes`, extension_silent `days` (service/jobs/alert_watch.py)."""
    await admin_panel.get("/admin/alerts")
    await admin_panel.post(
        "/admin/alerts/new?kind=source_failing",
        [("name", "Sources"), ("sources", "events"), ("sources", "cbhours"), ("minutes", "20")],
    )
    await admin_panel.post("/admin/alerts/new?kind=extension_silent", {"name": "Extension", "days": "2"})
    async with admin_panel.app[db_key].read() as conn:
        rows = await conn.execute_fetchall("SELECT kind, params FROM alert_rules ORDER BY id")
    assert [(row[0], json.loads(row[1])) for row in rows] == [
        ("source_failing", {"sources": ["events", "cbhours"], "minutes": 20}),
        ("extension_silent", {"days": 2}),
    ]
