"""Pairing tells the extension whose lists it reads: the service's broadcaster, when one is set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.ingest import pairing
from service.settings import Settings
from service.web.keys import db_key
from tests.support.extension_api import EXT_ORIGIN


@pytest.mark.parametrize(("broadcaster", "answered"), [("my_room", "my_room"), ("", None)])
async def test_pairing_answers_the_broadcaster(
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    broadcaster: str,
    answered: str | None,
) -> None:
    """The extension uses this name unless its user chose another, so nobody types it twice."""
    app = create_app(settings.model_copy(update={"broadcaster": broadcaster}), announce=lambda _line: None)
    client = await aiohttp_client(app)
    code, _ = await pairing.new_pairing_code(app[db_key], by="t", minutes=5)
    response = await client.post(
        "/api/ext/v1/pair", json={"code": code, "extension_id": "abc"}, headers={"Origin": EXT_ORIGIN}
    )
    assert response.status == 200
    body = await response.json()
    assert body["broadcaster"] == answered
    assert set(body) == {"token", "broadcaster"}
