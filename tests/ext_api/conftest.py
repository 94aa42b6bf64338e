"""An app with a paired extension."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.ext_api.support import Ext


@pytest.fixture
async def ext(aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], app: web.Application) -> Ext:
    client = Ext(await aiohttp_client(app))
    await client.pair(app)
    return client
