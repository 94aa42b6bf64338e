"""Building DESIGN.md list snapshots and talking to the extension API like the extension does."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from service.ingest import pairing
from service.web.keys import db_key

EXT_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
PAGE_SIZE = 90


def snapshot(
    kind: str,
    names: Sequence[str],
    *,
    complete: bool = True,
    expected_total: int | str | None = "auto",
    abort_reason: str | None = None,
    account: str = "example_viewer",
    drop_page: int | None = None,
    started_at: str = "2026-01-05T10:00:00Z",
) -> dict[str, Any]:
    """A snapshot whose pages hold `names` 90 a page (following: all on the offline list)."""
    lst = "followers" if kind == "followers" else "offline"
    base = "/accounts/followers/" if kind == "followers" else "/followed-cams/offline/"
    pages = []
    if kind == "following":
        pages.append({"list": "online", "page": 1, "url": "https://chaturbate.com/followed-cams/",
                      "final_url": "https://chaturbate.com/followed-cams/", "usernames": []})  # fmt: skip
    chunks = [list(names[i : i + PAGE_SIZE]) for i in range(0, len(names), PAGE_SIZE)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        if number == drop_page:
            continue
        url = f"https://chaturbate.com{base}?page={number}"
        pages.append({"list": lst, "page": number, "url": url, "final_url": url, "usernames": chunk})
    total = (len(set(names)) if kind == "following" else None) if expected_total == "auto" else expected_total
    return {"kind": kind, "account": account, "started_at": started_at,
            "finished_at": started_at.replace("10:00", "10:05"), "expected_total": total,
            "complete": complete, "abort_reason": abort_reason, "pages": pages}  # fmt: skip


def in_parts(
    body: dict[str, Any], pages_per_part: int, upload: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A whole snapshot as the extension sends a long one: its parts (POST lists/parts), then the
    finish (POST lists/finish)."""
    run = {key: body[key] for key in ("kind", "account", "started_at")}
    pages = body["pages"]
    parts = [
        {"upload": upload, "part": number, **run, "pages": pages[start : start + pages_per_part]}
        for number, start in enumerate(range(0, len(pages), pages_per_part), start=1)
    ]
    finish = {"upload": upload, "parts": len(parts), **run, "finished_at": body["finished_at"],
              "expected_total": body["expected_total"], "complete": body["complete"],
              "abort_reason": body["abort_reason"]}  # fmt: skip
    return parts, finish


class Ext:
    """The extension's side of the protocol, over the aiohttp test client."""

    def __init__(self, client: TestClient[Any, Any], token: str = "") -> None:
        self.client = client
        self.token = token

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Origin": EXT_ORIGIN, "X-MHC-Protocol": "1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra)
        return headers

    async def pair(self, app: web.Application) -> str:
        code, _ = await pairing.new_pairing_code(app[db_key], by="test", minutes=5)
        response = await self.client.post(
            "/api/ext/v1/pair", json={"code": code, "extension_id": "testext"}, headers={"Origin": EXT_ORIGIN}
        )
        assert response.status == 200, await response.text()
        self.token = (await response.json())["token"]
        return self.token

    async def post(self, path: str, body: Any, **headers: str) -> tuple[int, Any]:
        # A stream, not bytes: aiohttp warns about big in-memory bodies (and warnings are errors here).
        data = io.BytesIO(json.dumps(body).encode())
        sent = self.headers(**{"Content-Type": "application/json", **headers})
        response = await self.client.post(f"/api/ext/v1/{path}", data=data, headers=sent)
        return response.status, await response.json()

    async def get(self, path: str, **headers: str) -> tuple[int, Any]:
        response = await self.client.get(f"/api/ext/v1/{path}", headers=self.headers(**headers))
        return response.status, await response.json()
