"""Shared fixtures: a real service on a temporary SQLite file, driven like a browser would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.settings import Settings
from service.store.db import Database, open_database
from tests.support.extension_api import Ext
from tests.support.panel import Panel, add_user


@pytest.fixture
def broadcaster() -> str:
    """Whose room the panel is set up for: nobody yet; a module about the room overrides this with its
    room (`tests.support.events.ROOM`)."""
    return ""


@pytest.fixture
def settings(tmp_path: Path, broadcaster: str) -> Settings:
    # Cheap argon2 parameters keep the suite fast; they are ordinary settings, not a test mode.
    return Settings(
        data_dir=tmp_path / "data",
        jobs_enabled=False,
        password_time_cost=1,
        password_memory_kib=8,
        broadcaster=broadcaster,
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite file with the current schema, for tests below the web layer."""
    async with open_database(tmp_path / "test.sqlite3") as database:
        yield database


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def announcements() -> list[str]:
    return []


@pytest.fixture
def app(settings: Settings, announcements: list[str]) -> web.Application:
    return create_app(settings, announce=announcements.append)


@pytest.fixture
async def panel(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], app: web.Application
) -> Panel:
    return Panel(await aiohttp_client(app))


@pytest.fixture
async def admin_panel(panel: Panel) -> Panel:
    await add_user(panel.app, "owner", "admin")
    await panel.login("owner")
    return panel


@pytest.fixture
async def ext(aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], app: web.Application) -> Ext:
    """The extension's side of the API, already paired."""
    client = Ext(await aiohttp_client(app))
    await client.pair(app)
    return client
