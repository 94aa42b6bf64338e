"""Fake "Tally API", an upstream the service does not ship: GET /v1/readings with a Bearer token.

It exists to prove that a new upstream needs only its spec, its client and its job
(tests/web/test_new_upstream.py). A wrong token is answered with a body that echoes it back,
as careless APIs do, so the test can check that the one error path masks it.
"""

from __future__ import annotations

from aiohttp import web

from . import FakeUpstream, build_app, json_response

PATH = "/v1/readings"
DEFAULT_TOKEN = "tally-token-5e1f0c7a9b"


class TallyFake(FakeUpstream):
    def __init__(self, *, token: str = DEFAULT_TOKEN, readings: list[int] | None = None) -> None:
        super().__init__()
        self.token = token
        self.readings = readings if readings is not None else [3, 5, 8]

    async def readings_handler(self, request: web.Request) -> web.Response:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if sent != self.token:
            return json_response({"detail": f"unknown token {sent}"}, status=401)
        return json_response({"readings": [{"value": value} for value in self.readings]})


def make_app(fake: TallyFake | None = None) -> web.Application:
    fake = fake if fake is not None else TallyFake()
    return build_app(fake, [web.get(PATH, fake.readings_handler)])
