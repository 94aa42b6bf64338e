"""Fake upstream servers on loopback: real paths and shapes, a request log, scripted faults.

Each `tests/fakes/<name>.py` has a state class (a `FakeUpstream` subclass holding the data it
serves) and `make_app(fake=None) -> web.Application`. Tests keep the state object to script
faults and read `fake.requests`; `app[FAKE]` gives it back when only the app is at hand.

    fake = StatsFake()
    server = await aiohttp_server(make_app(fake))
    fake.script(Fault.rate_limited(retry_after="1"), Fault.server_error())
    ...
    assert [r.path for r in fake.requests] == [...]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Pacing happens where requests start, in the client; arrival at the fake also varies with
# connection set-up (the first request opens the socket) and scheduling on a busy machine. Tests
# check spacing at the client exactly and at the fake with this allowance.
ARRIVAL_SLACK = 0.04

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def load_fixture(source: str, name: str) -> Any:
    """Parsed JSON of tests/fixtures/<source>/<name>."""
    return json.loads((FIXTURES / source / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RecordedRequest:
    """What the fake received, as the upstream would have seen it."""

    method: str
    path: str
    query: list[tuple[str, str]]  # in order, repeated keys kept
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival; same clock as the client in-process

    def param(self, key: str) -> str | None:
        """First value of a query parameter."""
        return next((v for k, v in self.query if k == key), None)

    def params(self, key: str) -> list[str]:
        """All values of a repeatable query parameter."""
        return [v for k, v in self.query if k == key]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Fault:
    """One scripted answer that replaces (status set) or delays (status None) the real one."""

    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def rate_limited(cls, retry_after: str | None = None) -> Fault:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(429, b'{"detail": "Too many requests"}', headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(status, b"<html><body>Internal Server Error</body></html>", {"Content-Type": "text/html"})

    @classmethod
    def malformed(cls, body: bytes = b'{"count": 3, "results": [{"username": ') -> Fault:
        return cls(200, body)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds)

    @classmethod
    def answer(cls, status: int, payload: Any) -> Fault:
        return cls(status, json.dumps(payload).encode())


class FakeUpstream:
    """Request log plus a queue of faults, consumed one per incoming request."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault] = deque()
        self.delay = 0.0  # applied to every request: a persistently slow upstream

    def script(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in order; later requests are answered normally."""
        self.faults.extend(faults)

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        times = [r.at for r in self.requests]
        return [b - a for a, b in itertools.pairwise(times)]


FAKE = web.AppKey("fake", FakeUpstream)


def build_app(fake: FakeUpstream, routes: list[web.RouteDef]) -> web.Application:
    """An app serving `routes`, recording each request and applying scripted faults first."""

    @web.middleware
    async def record_and_fault(request: web.Request, handler: Handler) -> web.StreamResponse:
        fake.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=list(request.query.items()),
                headers=dict(request.headers),
                body=await request.read(),
                at=time.monotonic(),
            )
        )
        fault = fake.faults.popleft() if fake.faults else None
        delay = fake.delay + (fault.delay if fault else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None and fault.status is not None:
            headers = {"Content-Type": "application/json", **fault.headers}
            return web.Response(status=fault.status, body=fault.body, headers=headers)
        return await handler(request)

    app = web.Application(middlewares=[record_and_fault])
    app[FAKE] = fake
    app.add_routes(routes)
    return app


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)
