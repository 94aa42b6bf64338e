"""Fixtures for the room tests: a real database file, the fake Events API and a consumer on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from fakes.events import EventsScript, events_base_url, make_app
from pytest_aiohttp import AiohttpServer

from service.config import SourceConfig, resolve
from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.settings import Settings
from service.sources.events import Backoff
from service.store.db import Database

TOKEN = "s3cr3t-T0KEN-9f8e7d"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "room.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
def script() -> EventsScript:
    # A caught-up poll is held briefly, as the real server holds it, so idle consumers do not spin.
    return EventsScript(token=TOKEN, hold_empty=0.2)


@pytest.fixture
async def server(aiohttp_server: AiohttpServer, script: EventsScript) -> TestServer:
    return await aiohttp_server(make_app(script))


class ConfigBox:
    """The mutable configuration a test hands the consumer (the app hands it ConfigHolder.current)."""

    def __init__(self, config: SourceConfig) -> None:
        self.current = config

    def set(self, **changes: Any) -> None:
        self.current = replace(self.current, **changes)


@pytest.fixture
def config(server: TestServer, script: EventsScript, tmp_path: Path) -> ConfigBox:
    settings = Settings(data_dir=tmp_path, broadcaster=script.username)
    base = resolve(settings, {})
    return ConfigBox(replace(base, events_url=events_base_url(server), events_token=script.token))


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05, jitter=False)


@pytest.fixture
def make_stream(db: Database, http: httpx.AsyncClient, config: ConfigBox) -> Callable[[], EventsStream]:
    def build() -> EventsStream:
        options = StreamOptions(server_timeout=1, backoff=fast_backoff)
        return EventsStream(db, http, lambda: config.current, EventsHub(), options)

    return build


async def eventually(check: Callable[[], Awaitable[bool]], *, seconds: float = 10.0) -> None:
    """Wait until `check()` holds; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def scalar(db: Database, sql: str, params: dict[str, Any] | None = None) -> Any:
    async with db.read() as conn, conn.execute(sql, params or {}) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def stored_ids(db: Database) -> list[str]:
    async with db.read() as conn, conn.execute("SELECT id FROM room_events ORDER BY ms, seq") as cursor:
        return [row[0] for row in await cursor.fetchall()]
