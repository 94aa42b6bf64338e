"""Fake Chaturbate Stats API: GET /statsapi/?username=&token=."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import FakeUpstream, build_app, json_response, load_fixture

PATH = "/statsapi/"
DEFAULT_TOKEN = "s3cr3t-stats-token-000001"


class StatsFake(FakeUpstream):
    """Serves `snapshot` to its owner with the right token: 401 on a bad token, 404 on another name."""

    def __init__(
        self, *, token: str = DEFAULT_TOKEN, snapshot: dict[str, Any] | None = None, echo_url: bool = False
    ) -> None:
        super().__init__()
        self.token = token
        self.snapshot = snapshot if snapshot is not None else load_fixture("stats", "statsapi.json")
        # Answer a bad token with an HTML error page that echoes the request URL, as sent
        # (percent-encoded) and decoded, the way proxies and framework debug pages do.
        self.echo_url = echo_url

    async def statsapi(self, request: web.Request) -> web.Response:
        if request.query.get("token") != self.token:
            if self.echo_url:
                page = f"<h1>401</h1><p>GET {request.raw_path}</p><p>token={request.query.get('token')}</p>"
                return web.Response(status=401, text=page, content_type="text/html")
            return json_response({"detail": "Invalid token"}, status=401)
        if request.query.get("username", "").lower() != self.snapshot["username"]:
            return json_response({"detail": "Not found"}, status=404)
        return json_response(self.snapshot)


def make_app(fake: StatsFake | None = None) -> web.Application:
    """The fake Stats API app; keep `fake` (or read `app[FAKE]`) for requests and faults."""
    fake = fake if fake is not None else StatsFake()
    return build_app(fake, [web.get(PATH, fake.statsapi)])
