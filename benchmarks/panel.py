"""Signing a benchmark's client in to the real panel: an admin account in the benchmark's
database and the real login form (CSRF token and Origin), as a browser does."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from service.store import system_users
from service.web.keys import db_key, passwords_key

PASSWORD = "benchmark password"  # noqa: S105 — a throwaway account in a temp database
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(client: TestClient[Any, Any], username: str = "bench") -> None:
    app = client.app
    assert app is not None
    async with app[db_key].transaction() as conn:
        # A cached benchmark database keeps the account from its last run.
        if not await system_users.username_taken(conn, username):
            await system_users.insert_user(
                conn, username=username, password_hash=app[passwords_key].hash(PASSWORD), roles=["admin"]
            )
    csrf = _CSRF.search(await (await client.get("/login")).text())
    assert csrf
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
        headers={"Origin": f"http://{client.host}:{client.port}"}, allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303, await response.text()
