"""A source's jobs run right after its settings are saved (or its connection test passes), not one
interval later, while scheduled work is on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from service.app import create_app
from service.settings import Settings
from service.store import jobs as job_store
from service.web.keys import db_key
from tests.fakes.affiliate import PATH, AffiliateFake, generate_rooms, make_app
from tests.support.panel import Panel, add_user


async def _panel(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], **changes: Any
) -> Panel:
    app = create_app(settings.model_copy(update=changes), announce=lambda _line: None)
    panel = Panel(await aiohttp_client(app))
    await add_user(app, "owner", "admin")
    await panel.login("owner")
    return panel


async def _runs(panel: Panel, name: str) -> list[Any]:
    async with panel.app[db_key].read() as conn:
        return await job_store.list_runs(conn, name)


async def test_saving_a_sources_settings_runs_its_job_at_once(
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    """The campaign slug saved → the affiliate sweep runs now and stores the rooms."""
    fake = AffiliateFake(generate_rooms(12))
    server = await aiohttp_server(make_app(fake))
    panel = await _panel(
        settings, aiohttp_client, jobs_enabled=True, jobs_first_run_delay_seconds=3600,
        affiliate_url=str(server.make_url(PATH)),
    )  # fmt: skip
    assert await _runs(panel, "affiliate") == []
    response = await panel.post("/admin/settings", {"affiliate_wm": "AbCdE"})
    assert response.status in (200, 303)
    for _ in range(100):
        runs = await _runs(panel, "affiliate")
        if runs and runs[0].status != "running":
            break
        await asyncio.sleep(0.05)
    assert [(run.trigger, run.status) for run in runs] == [("manual", "ok")]
    assert fake.requests, "the sweep reached the (fake) affiliate feed"


async def test_nothing_runs_by_itself_while_scheduled_work_is_off(
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    """MHC_JOBS_ENABLED=false is the user's choice: saving settings starts nothing."""
    fake = AffiliateFake(generate_rooms(3))
    server = await aiohttp_server(make_app(fake))
    panel = await _panel(settings, aiohttp_client, affiliate_url=str(server.make_url(PATH)))
    await panel.post("/admin/settings", {"affiliate_wm": "AbCdE"})
    await asyncio.sleep(0.3)
    assert await _runs(panel, "affiliate") == []
    assert fake.requests == []
