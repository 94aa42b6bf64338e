"""Admin › Alert destinations: add, edit (secrets write-only), validate, send a test, health, access."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from pytest_aiohttp import AiohttpServer

from service.clock import now_db
from service.store import alert_destinations, alerts
from service.store.alerts import NewAlert
from service.web.keys import db_key, secrets_key
from tests.fakes.alert_receivers import ReceiverFake, make_app
from tests.support.panel import Panel, add_user

TOKEN = "SeCrEtHoOkToKeN99"
URL = f"https://hooks.example.org/hook/{TOKEN}"


async def _stored(panel: Panel) -> list[alert_destinations.Destination]:
    async with panel.app[db_key].read() as conn:
        return await alert_destinations.list_destinations(conn)


def _rows(html: str) -> dict[str, Any]:
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.select("table[data-testid=destinations] tr[data-destination]")
    return {tr["data-destination"]: tr for tr in rows}  # type: ignore[misc]


async def _add(panel: Panel, **fields: Any) -> Any:
    await panel.get("/admin/alerts/destinations")
    data = [("kind", "webhook"), ("name", "Zapier"), ("target", URL), ("signing_secret", "sig-secret-123"),
            ("enabled", "1")]  # fmt: skip
    data = [(k, v) for k, v in data if k not in fields] + [
        (k, item) for k, v in fields.items() for item in (v if isinstance(v, list) else [v]) if v is not None
    ]
    return await panel.post("/admin/alerts/destinations", data)


async def test_a_destination_is_added_and_shown_without_its_url_or_secret(admin_panel: Panel) -> None:
    """The table shows the host and "URL set"; neither the URL's token nor the secret reach the page."""
    response = await _add(admin_panel, kinds=["big_tip", "fan_enters"])
    assert response.status == 303
    [stored] = await _stored(admin_panel)
    assert (stored.kind, stored.target, stored.signing_secret) == ("webhook", URL, "sig-secret-123")
    assert stored.kinds == ("big_tip", "fan_enters") and stored.enabled
    status, html = await admin_panel.get("/admin/alerts/destinations")
    assert status == 200
    assert "Destination “Zapier” added." in html
    row = _rows(html)[str(stored.id)]
    assert " ".join(row.select_one(".target").text.split()) == "hooks.example.org URL set"
    assert "a big tip" in row.text and "signed" in row.text
    assert TOKEN not in html and "sig-secret-123" not in html
    _, edit = await admin_panel.get(f"/admin/alerts/destinations/{stored.id}")
    assert TOKEN not in edit and "sig-secret-123" not in edit


async def test_the_logs_mask_a_new_destinations_url(admin_panel: Panel) -> None:
    """Saving a destination registers its URL and secret with the log masker at once."""
    await _add(admin_panel)
    values = admin_panel.app[secrets_key].values()
    assert URL in values and "sig-secret-123" in values and f"hook/{TOKEN}" in values


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"target": "ftp://hooks.example.org/x"}, "The URL must start with http:// or https:// and name a"),
        ({"target": "javascript:alert(1)"}, "The URL must start with http:// or https://"),
        ({"target": "https://" + "a" * 2000 + ".org/"}, "URL or address must have at most 2000 characters."),
        ({"target": "https:///nohost"}, "name a host"),
        ({"kind": "email", "target": "not an address"}, "Give one e-mail address, e.g. me@example.org."),
        ({"kind": "pager"}, "Kind:"),
        ({"name": ""}, "Name must not be empty."),
        ({"kinds": ["big_tip", "everything"]}, "Alert kinds"),
        ({"surprise": "1"}, "“surprise” is not part of this form."),
        ({"signing_secret": "has spaces"}, "The signing secret must be printable characters without spaces."),
    ],
)
async def test_bad_input_is_refused_with_a_sentence_and_changes_nothing(
    admin_panel: Panel, fields: dict[str, Any], sentence: str
) -> None:
    response = await _add(admin_panel, **fields)
    assert response.status == 400
    assert sentence in await response.text()
    assert await _stored(admin_panel) == []


async def test_editing_without_retyping_keeps_the_url_and_secret(admin_panel: Panel) -> None:
    """An empty URL and secret keep them; "clear" removes the secret; the kind cannot change."""
    await _add(admin_panel)
    [before] = await _stored(admin_panel)
    path = f"/admin/alerts/destinations/{before.id}"
    await admin_panel.get(path)
    response = await admin_panel.post(path, [("name", "Renamed"), ("target", ""), ("signing_secret", ""),
                                             ("kinds", "summary_ready")])  # fmt: skip
    assert response.status == 303
    [after] = await _stored(admin_panel)
    assert (after.name, after.target, after.signing_secret) == ("Renamed", URL, "sig-secret-123")
    assert after.kinds == ("summary_ready",) and not after.enabled
    await admin_panel.post(path, [("name", "Renamed"), ("clear_secret", "1"), ("enabled", "1")])
    [cleared] = await _stored(admin_panel)
    assert cleared.signing_secret is None and cleared.enabled and cleared.target == URL
    response = await admin_panel.post(path, [("name", "X"), ("kind", "discord")])
    assert response.status == 400
    assert "A destination’s kind cannot change; add a new one." in await response.text()


async def test_send_test_shows_the_outcome(admin_panel: Panel, aiohttp_server: AiohttpServer) -> None:
    """One test message, now; the page says whether the receiver took it."""
    receiver = ReceiverFake(secret="sig-secret-123")
    server = await aiohttp_server(make_app(receiver), host="127.0.0.1")
    await _add(admin_panel, target=f"http://127.0.0.1:{server.port}/hook/{TOKEN}")
    [destination] = await _stored(admin_panel)
    await admin_panel.get("/admin/alerts/destinations")
    response = await admin_panel.post(f"/admin/alerts/destinations/{destination.id}/test")
    assert response.status == 303
    _, html = await admin_panel.get("/admin/alerts/destinations")
    assert "The test message to “Zapier” was accepted (HTTP 200)." in html
    assert [m.json()["test"] for m in receiver.accepted] == [True]
    await server.close()
    await admin_panel.post(f"/admin/alerts/destinations/{destination.id}/test")
    _, html = await admin_panel.get("/admin/alerts/destinations")
    assert "The test message to “Zapier” failed: could not connect" in html
    assert TOKEN not in html


async def test_the_table_shows_pending_deliveries_and_the_last_error(admin_panel: Panel) -> None:
    """Per destination: pending count and last error (as the delivery job stored them)."""
    await _add(admin_panel)
    [destination] = await _stored(admin_panel)
    async with admin_panel.app[db_key].transaction() as conn:
        for n in range(3):
            await alerts.raise_alert(conn, NewAlert(1, "big_tip", f"e{n}", f"tip {n}"), at=now_db())
        await conn.execute("UPDATE alert_deliveries SET last_error = 'HTTP 503: down', last_attempt_at = :at "
                           "WHERE alert_id = 1", {"at": now_db()})  # fmt: skip
    _, html = await admin_panel.get("/admin/alerts/destinations")
    row = _rows(html)[str(destination.id)]
    assert row.select_one(".pending").text.strip() == "3"
    assert row.select_one(".last-error").text.startswith("HTTP 503: down (")


async def test_delete_removes_the_destination(admin_panel: Panel) -> None:
    await _add(admin_panel)
    [destination] = await _stored(admin_panel)
    await admin_panel.get("/admin/alerts/destinations")
    response = await admin_panel.post(f"/admin/alerts/destinations/{destination.id}/delete")
    assert response.status == 303
    assert await _stored(admin_panel) == []
    assert URL not in admin_panel.app[secrets_key].values()


@pytest.mark.parametrize("role", ["subscriber", "viewer"])
async def test_only_managers_of_jobs_reach_the_page(panel: Panel, role: str) -> None:
    await add_user(panel.app, "someone", role)
    await panel.login("someone")
    status, _ = await panel.get("/admin/alerts/destinations")
    assert status == 403
    response = await panel.post("/admin/alerts/destinations", {"kind": "webhook", "name": "x", "target": URL})
    assert response.status == 403
    assert await _stored(panel) == []


async def test_a_post_without_the_csrf_token_is_refused(admin_panel: Panel) -> None:
    response = await admin_panel.post("/admin/alerts/destinations", {"kind": "webhook", "name": "x",
                                                                     "target": URL}, csrf=False)  # fmt: skip
    assert response.status == 403
    assert await _stored(admin_panel) == []


async def test_the_settings_page_offers_smtp_with_a_write_only_password(admin_panel: Panel) -> None:
    """SMTP settings are in the Settings page's "Alert delivery" group; the password is never shown."""
    await admin_panel.get("/admin/settings")
    response = await admin_panel.post("/admin/settings", {
        "smtp_host": "smtp.example.org", "smtp_port": "2525", "smtp_starttls": "off",
        "smtp_password": "pass word 1", "smtp_from": "panel@example.org", "alert_give_up_hours": "6",
    })  # fmt: skip
    assert response.status == 303, await response.text()
    _, html = await admin_panel.get("/admin/settings")
    soup = BeautifulSoup(html, "html.parser")
    group = next(f for f in soup.select("fieldset") if f.legend and f.legend.text == "Alert delivery")
    keys = [div["data-key"] for div in group.select("div.field[data-key]")]
    assert keys == ["alert_give_up_hours", "smtp_host", "smtp_port", "smtp_starttls", "smtp_user",
                    "smtp_password", "smtp_from"]  # fmt: skip
    assert "pass word 1" not in html
    assert group.select_one("[data-key=smtp_port] input")["value"] == "2525"  # type: ignore[index]
    response = await admin_panel.post("/admin/settings", {"smtp_port": "70000", "alert_give_up_hours": "0"})
    text = await response.text()
    assert response.status == 400
    assert "use a port number from 1 to 65535" in text and "use more than 0 and at most 720 hours" in text
