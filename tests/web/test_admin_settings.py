"""Admin › Settings: credentials stored in the database, secrets write-only, intervals."""

from __future__ import annotations

import re

from service.store import jobs as job_store
from service.store import saved_settings
from service.web.keys import config_key, db_key
from tests.support.panel import Panel

TOKEN = "stats-token-7f3a9c2e1b"


async def _stored(panel: Panel) -> dict[str, str]:
    async with panel.app[db_key].read() as conn:
        return await saved_settings.get_all(conn)


async def test_secret_is_stored_but_never_shown(admin_panel: Panel) -> None:
    """After saving a token the page says 'set' and never contains the token."""
    response = await admin_panel.post("/admin/settings", {"stats_token": TOKEN, "broadcaster": "My_Room"})
    assert response.status == 303
    status, html = await admin_panel.get("/admin/settings")
    assert status == 200
    assert TOKEN not in html
    assert 'data-key="stats_token"' in html
    assert '<span class="state set">set</span>' in html
    assert (await _stored(admin_panel))["stats_token"] == TOKEN
    assert admin_panel.app[config_key].current.stats_token == TOKEN


async def test_broadcaster_names_the_room_in_the_navigation(admin_panel: Panel) -> None:
    """The third navigation item shows the configured broadcaster, 'My Room' before."""
    _, html = await admin_panel.get("/users/directory")
    assert 'data-testid="nav-room">My Room<' in html
    await admin_panel.post("/admin/settings", {"broadcaster": "Sunny_Day"})
    _, html = await admin_panel.get("/users/directory")
    assert 'data-testid="nav-room">sunny_day<' in html


async def test_empty_secret_keeps_it_and_clear_removes_it(admin_panel: Panel) -> None:
    """Leaving the field empty keeps the token; 'clear' removes it."""
    await admin_panel.post("/admin/settings", {"statbate_token": TOKEN})
    await admin_panel.get("/admin/settings")
    await admin_panel.post("/admin/settings", {"statbate_token": ""})
    assert (await _stored(admin_panel))["statbate_token"] == TOKEN
    await admin_panel.get("/admin/settings")
    await admin_panel.post("/admin/settings", {"clear__statbate_token": "1"})
    assert "statbate_token" not in await _stored(admin_panel)
    assert admin_panel.app[config_key].current.statbate_token == ""


async def test_invalid_settings_change_nothing(admin_panel: Panel) -> None:
    """One bad field rejects the whole form with 400 and each reason."""
    response = await admin_panel.post(
        "/admin/settings",
        {"stats_token": TOKEN, "stats_url": "ftp://nowhere", "broadcaster": "bad name!", "surprise": "1"},
    )
    assert response.status == 400
    text = await response.text()
    assert "stats_url: must be an http:// or https:// URL" in text
    assert "broadcaster: use 1–40 letters" in text
    assert "surprise: unknown setting" in text
    assert TOKEN not in text
    assert await _stored(admin_panel) == {}


async def test_job_interval_is_saved(admin_panel: Panel) -> None:
    """Intervals of jobs are edited here and persisted in job state."""
    response = await admin_panel.post("/admin/settings", {"interval__maintenance": "90"})
    assert response.status == 303
    async with admin_panel.app[db_key].read() as conn:
        state = await job_store.get_state(conn, "maintenance")
    assert state is not None and state.interval_seconds == 90 * 60
    response = await admin_panel.post("/admin/settings", {"interval__maintenance": "0"})
    assert response.status == 400


async def test_settings_override_environment(aiohttp_client, settings, announcements) -> None:
    """An environment value is used until the panel saves another one."""
    from service.app import create_app
    from tests.support.panel import add_user

    app = create_app(settings.model_copy(update={"cbhours_url": "http://127.0.0.1:1/api.php"}),
                     announce=announcements.append)  # fmt: skip
    panel = Panel(await aiohttp_client(app))
    await add_user(app, "owner", "admin")
    await panel.login("owner")
    _, html = await panel.get("/admin/settings")
    assert 'value="http://127.0.0.1:1/api.php"' in html and "from the environment" in html
    await panel.post("/admin/settings", {"cbhours_url": "http://127.0.0.1:2/api.php"})
    assert app[config_key].current.cbhours_url == "http://127.0.0.1:2/api.php"


async def test_resubmitting_unchanged_defaults_stores_nothing(admin_panel: Panel) -> None:
    """Saving the form as shown pins no default: later environment changes still apply."""
    _, html = await admin_panel.get("/admin/settings")
    fields = dict(re.findall(r'<input name="([a-z_]+)" value="([^"]*)"', html))
    assert fields["stats_url"] == "https://chaturbate.com/statsapi/"
    response = await admin_panel.post("/admin/settings", fields)
    assert response.status == 303
    assert await _stored(admin_panel) == {}


async def test_fans_group_saves_tiers_and_rules(admin_panel: Panel) -> None:
    """The Fans group stores tiers and list thresholds; the rules in memory follow at once."""
    _, html = await admin_panel.get("/admin/settings")
    assert "<legend>Fans</legend>" in html
    assert 'value="Bronze 100, Silver 1000, Gold 5000, Diamond 25000"' in html
    response = await admin_panel.post(
        "/admin/settings",
        {
            "fan_tiers": "Fan 10, Big Fan 500",
            "fan_recent_tier": "big fan 200 in 7 days",
            "fan_regulars": "2 of 4",
        },
    )
    assert response.status == 303, await response.text()
    stored = await _stored(admin_panel)
    assert stored["fan_tiers"] == "Fan 10, Big Fan 500"
    assert stored["fan_recent_tier"] == "big fan 200 in 7 days"
    rules = admin_panel.app[config_key].fans
    assert [t.name for t in rules.tiers.tiers] == ["Fan", "Big Fan"]
    assert rules.tiers.tier_for(20, 200) is not None and rules.tiers.tier_for(20, 200).name == "Big Fan"  # type: ignore[union-attr]
    assert (rules.lists.regulars_k, rules.lists.regulars_n) == (2, 4)


async def test_fans_rules_that_do_not_fit_change_nothing(admin_panel: Panel) -> None:
    """A bad tier text, or a recent rule naming a tier that is not there, is refused with 400."""
    await admin_panel.get("/admin/settings")
    response = await admin_panel.post("/admin/settings", {"fan_tiers": "Gold 5000, Silver 1000"})
    assert response.status == 400
    assert "fan_tiers: thresholds must rise" in await response.text()
    await admin_panel.get("/admin/settings")
    response = await admin_panel.post(
        "/admin/settings", {"fan_tiers": "Fan 10, Big Fan 500", "fan_recent_tier": "Gold 1000 in 30 days"}
    )
    assert response.status == 400
    assert "Fans: the recent rule names “Gold”, which is not a tier (Fan, Big Fan)" in await response.text()
    assert await _stored(admin_panel) == {}
    assert admin_panel.app[config_key].fans.tiers.tiers[0].name == "Bronze"
