"""Fake alert receivers: a generic webhook that verifies the HMAC signature, a Discord-shaped webhook
and an ntfy-shaped topic, each recording what it accepted (faults scripted as for the upstreams).

    fake = ReceiverFake(secret="s3cret")
    server = await aiohttp_server(make_app(fake))
    url = f"http://127.0.0.1:{server.port}/hook/TOKEN123"
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import FakeUpstream, build_app

IDEMPOTENCY = "X-MHC-Idempotency-Key"


@dataclass(frozen=True)
class Accepted:
    """One message a receiver accepted (answered 2xx)."""

    format: str  # webhook | discord | ntfy
    idempotency_key: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ReceiverFake(FakeUpstream):
    """`secret`: the generic webhook refuses (401) a body whose signature does not match it."""

    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.accepted: list[Accepted] = []

    def keys(self) -> list[str]:
        return [message.idempotency_key for message in self.accepted]


def _decode_header(value: str) -> str:
    """ntfy's reading of a header: RFC 2047 `=?UTF-8?B?…?=` or plain."""
    if value.startswith("=?UTF-8?B?") and value.endswith("?="):
        return base64.b64decode(value[10:-2]).decode()
    return value


def make_app(fake: ReceiverFake | None = None) -> web.Application:
    fake = fake or ReceiverFake()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        if fake.secret is not None:
            expected = "sha256=" + hmac.new(fake.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(request.headers.get("X-MHC-Signature", ""), expected):
                return web.json_response({"error": "bad signature"}, status=401)
        payload = json.loads(body)
        if payload["idempotency_key"] != request.headers[IDEMPOTENCY]:
            return web.json_response({"error": "key mismatch"}, status=400)
        fake.accepted.append(Accepted("webhook", payload["idempotency_key"], dict(request.headers), body))
        return web.json_response({"ok": True})

    async def discord(request: web.Request) -> web.Response:
        body = await request.read()
        payload = json.loads(body)
        if not isinstance(payload.get("content"), str) or not isinstance(payload.get("embeds"), list):
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400)
        fake.accepted.append(Accepted("discord", request.headers[IDEMPOTENCY], dict(request.headers), body))
        return web.Response(status=204)

    async def ntfy(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {**dict(request.headers), "Title": _decode_header(request.headers.get("Title", ""))}
        fake.accepted.append(Accepted("ntfy", request.headers[IDEMPOTENCY], headers, body))
        topic = request.match_info["topic"]
        return web.json_response({"id": "abc", "event": "message", "topic": topic, "message": body.decode()})

    routes = [
        web.post("/hook/{token}", webhook),
        web.post("/api/webhooks/{id}/{token}", discord),
        web.post("/{topic}", ntfy),
    ]
    return build_app(fake, routes)
