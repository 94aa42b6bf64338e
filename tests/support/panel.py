"""Test helpers shared by the web tests: a browser-like client and account creation."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from service.store import system_users
from service.web.keys import db_key, passwords_key

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Panel:
    """A test client that behaves like the browser: same-origin headers and the page's CSRF token."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.csrf = ""

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    @property
    def app(self) -> web.Application:
        app = self.client.app
        assert app is not None
        return app

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=kwargs.pop("allow_redirects", True), **kwargs)
        text = await response.text()
        if found := _CSRF.search(text):
            self.csrf = found.group(1)
        return response.status, text

    async def get_json(self, path: str) -> tuple[int, Any]:
        response = await self.client.get(path, allow_redirects=False)
        return response.status, await response.json()

    async def post(
        self,
        path: str,
        data: dict[str, Any] | list[tuple[str, str]] | None = None,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
        follow: bool = False,
    ) -> ClientResponse:
        fields: list[tuple[str, str]] = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            fields.append(("csrf_token", self.csrf))
        sent = {"Origin": self.origin, **(headers or {})}
        return await self.client.post(path, data=fields, headers=sent, allow_redirects=follow)

    async def login(self, username: str, password: str = PASSWORD) -> None:
        await self.get("/login")
        response = await self.post("/login", {"username": username, "password": password})
        assert response.status == 303, await response.text()
        await self.get("/account")  # picks up the session's CSRF token


async def add_user(app: web.Application, username: str, role: str, password: str = PASSWORD) -> int:
    async with app[db_key].transaction() as conn:
        return await system_users.insert_user(
            conn, username=username, password_hash=app[passwords_key].hash(password), roles=[role]
        )
