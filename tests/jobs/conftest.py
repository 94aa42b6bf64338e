"""Fixtures for the job tests: the Events stream on its fake (db comes from the root)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from service.ingest.live_feed import EventsHub
from service.jobs.events_stream import EventsStream, StreamOptions
from service.settings import Settings, resolve
from service.store.db import Database
from tests.fakes.events import EventsScript, events_base_url, make_app
from tests.support.events_stream import TOKEN, ConfigBox, fast_backoff


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: a proxy from the environment must never see loopback traffic with the token.
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        yield client


@pytest.fixture
def script() -> EventsScript:
    # A caught-up poll is held briefly, as the real server holds it, so idle consumers do not spin.
    return EventsScript(token=TOKEN, hold_empty=0.2)


@pytest.fixture
async def server(aiohttp_server: AiohttpServer, script: EventsScript) -> TestServer:
    return await aiohttp_server(make_app(script))


@pytest.fixture
def config(server: TestServer, script: EventsScript, tmp_path: Path) -> ConfigBox:
    settings = Settings(data_dir=tmp_path, broadcaster=script.username)
    base = resolve(settings, {})
    return ConfigBox(base.replace(events_url=events_base_url(server), events_token=script.token))


@pytest.fixture
def make_stream(db: Database, http: httpx.AsyncClient, config: ConfigBox) -> Callable[[], EventsStream]:
    def build() -> EventsStream:
        options = StreamOptions(server_timeout=1, backoff=fast_backoff)
        return EventsStream(db, http, lambda: config.current, EventsHub(), options)

    return build
