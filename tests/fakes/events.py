"""A fake Chaturbate Events API on loopback, driven by an `EventsScript`.

It serves `/events/{username}/{token}/?timeout=N&i=<last id>` like the real one: the events after
`i` (up to `batch_size`), a `nextUrl` on the request's own host, an empty batch when caught up (or the
real 400 "waited too long for events"). Faults are queued per request number or per cursor. The
script is plain data shared with the test, so events can be appended while a consumer is polling and
the same script can outlive a killed and restarted consumer.

    script = EventsScript()
    script.add("tip", {"user": {"username": "fan_42"}, "tip": {"tokens": 50, "isAnon": False}})
    script.fail_request(1, Fault.rate_limited("3"))
    server = await aiohttp_server(make_app(script))
    base_url = events_base_url(server)   # pass to EventsClient
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import BaseTestServer
from yarl import URL

ID_START_MS = 1_767_312_000_000  # 2026-01-02T00:00:00Z, the epoch of the apis.md samples
WAITED_TOO_LONG = "waited too long for events"
_HOLD_STEP = 0.01

FaultKind = Literal["status", "slow", "invalid_json", "foreign_next_url", "waited_too_long", "malformed"]


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour; build it with the class methods."""

    kind: FaultKind
    status: int = 200
    body: str | dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    host: str = "evil.example"
    payload: Any = None
    position: int = 0

    @classmethod
    def http_status(
        cls, status: int, body: str | dict[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Fault:
        """Answer with this status (401, 403, 404, 500, 503, 520…) and a JSON or text body."""
        return cls("status", status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def rate_limited(cls, retry_after: str | None = "2") -> Fault:
        """429, with a Retry-After header unless `retry_after` is None."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls("status", status=429, body={"status": "rate limited"}, headers=headers)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds`, then answer normally; longer than the client's read timeout, it times out."""
        return cls("slow", delay=seconds)

    @classmethod
    def invalid_json(cls) -> Fault:
        """A 200 whose JSON body is cut off."""
        return cls("invalid_json")

    @classmethod
    def foreign_next_url(cls, host: str = "evil.example") -> Fault:
        """A normal batch whose nextUrl points at another host (same path, token included)."""
        return cls("foreign_next_url", host=host)

    @classmethod
    def waited_too_long(cls) -> Fault:
        """The real empty-poll 400 with a nextUrl for the same cursor, even if events are waiting."""
        return cls("waited_too_long")

    @classmethod
    def malformed(cls, payload: Any, position: int = 0) -> Fault:
        """Insert `payload` into this response's events at `position` (not into the stored stream)."""
        return cls("malformed", payload=payload, position=position)


@dataclass
class RecordedRequest:
    """What the fake saw: the path, the query, when, and what it answered."""

    number: int
    path: str
    query: dict[str, str]
    at: datetime
    monotonic: float
    status: int = 0
    fault: FaultKind | None = None

    @property
    def cursor(self) -> str | None:
        return self.query.get("i")


@dataclass
class _Entry:
    key: tuple[int, int]  # the server-side position, also when the payload's own id is broken
    cursor_id: str
    payload: Any


@dataclass
class EventsScript:
    """The fake's state: the room, its ordered events, queued faults and the request log."""

    username: str = "my_room"
    token: str = "fake-token-0123456789"
    batch_size: int = 100
    empty_as_400: bool = False  # answer a caught-up poll with the real 400 instead of 200 + []
    hold_empty: float = 0.0  # hold a caught-up poll this long (at most ?timeout=), ended by new events
    requests: list[RecordedRequest] = field(default_factory=list)
    _entries: list[_Entry] = field(default_factory=list)
    _by_request: dict[int, Fault] = field(default_factory=dict)
    _by_cursor: dict[str, list[Fault]] = field(default_factory=dict)

    def add(self, method: str, obj: Mapping[str, Any], *, at_ms: int | None = None) -> dict[str, Any]:
        """Append a well-formed event (broadcaster filled in) with the next id; returns its payload."""
        key = self._next_key(at_ms)
        payload = {"method": method, "id": _format_id(key), "object": {"broadcaster": self.username, **obj}}
        self._entries.append(_Entry(key, _format_id(key), payload))
        return payload

    def add_raw(self, payload: Any, *, at_ms: int | None = None) -> str:
        """Append any payload verbatim. Its own id is used as the position when it is a valid, later
        id; otherwise (malformed ids, non-objects) a fresh server-side id is made. Returns that id."""
        own = payload.get("id") if isinstance(payload, dict) else None
        key = _parse_id(own) if isinstance(own, str) and at_ms is None else None
        if key is None or (self._entries and key <= self._entries[-1].key):
            key = self._next_key(at_ms)
        self._entries.append(_Entry(key, _format_id(key), payload))
        return _format_id(key)

    def extend_raw(self, payloads: Iterable[Any]) -> list[str]:
        return [self.add_raw(payload) for payload in payloads]

    def fail_request(self, number: int, fault: Fault) -> None:
        """Apply `fault` to the `number`-th request this server receives (1-based)."""
        self._by_request[number] = fault

    def fail_cursor(self, cursor: str | None, fault: Fault, *, times: int = 1) -> None:
        """Apply `fault` to the next `times` requests with `?i=cursor` (None: requests without i)."""
        self._by_cursor.setdefault(cursor or "", []).extend([fault] * times)

    @property
    def events(self) -> list[Any]:
        """All payloads in stream order, as a consumer should end up storing them."""
        return [entry.payload for entry in self._entries]

    @property
    def ids(self) -> list[str]:
        return [entry.cursor_id for entry in self._entries]

    @property
    def path(self) -> str:
        return f"/events/{self.username}/{self.token}/"

    def _next_key(self, at_ms: int | None) -> tuple[int, int]:
        last = self._entries[-1].key if self._entries else (ID_START_MS - 1, 0)
        ms = last[0] + 1 if at_ms is None else at_ms
        if ms < last[0]:
            raise ValueError("event ids must increase")
        return (ms, last[1] + 1) if ms == last[0] else (ms, 0)

    def _take_fault(self, number: int, cursor: str | None) -> Fault | None:
        if number in self._by_request:
            return self._by_request.pop(number)
        queued = self._by_cursor.get(cursor or "")
        return queued.pop(0) if queued else None

    def _after(self, cursor: tuple[int, int] | None) -> list[_Entry]:
        if cursor is None:
            return list(self._entries[: self.batch_size])
        pending = [entry for entry in self._entries if entry.key > cursor]
        return pending[: self.batch_size]


SCRIPT_KEY = web.AppKey("events_script", EventsScript)


def make_app(script: EventsScript) -> web.Application:
    """The fake Events API application serving `script`."""
    app = web.Application()
    app[SCRIPT_KEY] = script
    app.router.add_get("/events/{username}/{token}/", _events)
    return app


def events_base_url(server: BaseTestServer) -> str:
    """The `base_url` to hand to EventsClient for a running fake."""
    return str(server.make_url("/events/"))


def _format_id(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]}"


def _parse_id(value: str) -> tuple[int, int] | None:
    ms, dash, sequence = value.partition("-")
    if not (dash and ms.isdigit() and sequence.isdigit()):
        return None
    return int(ms), int(sequence)


async def _events(request: web.Request) -> web.StreamResponse:
    script = request.app[SCRIPT_KEY]
    record = RecordedRequest(
        number=len(script.requests) + 1,
        path=request.path,
        query=dict(request.query),
        at=datetime.now(UTC),
        monotonic=time.monotonic(),
    )
    script.requests.append(record)
    fault = script._take_fault(record.number, record.cursor)
    record.fault = fault.kind if fault else None
    response = await _answer(request, script, fault)
    record.status = response.status
    return response


async def _answer(request: web.Request, script: EventsScript, fault: Fault | None) -> web.Response:
    if fault is not None and fault.kind == "status":
        return _fault_response(fault)
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    refusal = _refusal(request, script)
    if refusal is not None:
        return refusal
    timeout = int(request.query.get("timeout", "10"))
    cursor = _parse_id(request.query["i"]) if "i" in request.query else None
    if fault is not None and fault.kind == "invalid_json":
        return web.Response(text='{"events": [{"method": "tip", "id": ', content_type="application/json")
    if fault is not None and fault.kind == "waited_too_long":
        return _waited_too_long(request, timeout)
    entries = script._after(cursor) or await _hold(script, cursor, min(timeout, script.hold_empty))
    return _batch(request, script, entries, timeout, fault)


def _refusal(request: web.Request, script: EventsScript) -> web.Response | None:
    """The real server's own errors: bad token 401, unknown room 404, bad query 400."""
    if request.match_info["token"] != script.token:
        return web.json_response({"status": "Unauthorized"}, status=401)
    if request.match_info["username"] != script.username:
        return web.json_response({"status": "Not found"}, status=404)
    timeout = request.query.get("timeout", "10")
    cursor = request.query.get("i")
    if not (timeout.isdigit() and int(timeout) <= 90) or (cursor is not None and _parse_id(cursor) is None):
        return web.json_response({"status": "bad request"}, status=400)
    return None


def _fault_response(fault: Fault) -> web.Response:
    if isinstance(fault.body, str):
        return web.Response(status=fault.status, text=fault.body, headers=fault.headers)
    body = fault.body if fault.body is not None else {"status": f"scripted {fault.status}"}
    return web.json_response(body, status=fault.status, headers=fault.headers)


async def _hold(script: EventsScript, cursor: tuple[int, int] | None, seconds: float) -> list[_Entry]:
    # The real server keeps an empty poll open until events arrive or ?timeout= passes.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(_HOLD_STEP)
        entries = script._after(cursor)
        if entries:
            return entries
    return []


def _next_url(request: web.Request, last_id: str | None, timeout: int) -> URL:
    query = {"i": last_id, "timeout": str(timeout)} if last_id else {"timeout": str(timeout)}
    return request.url.with_query(query)


def _waited_too_long(request: web.Request, timeout: int) -> web.Response:
    next_url = _next_url(request, request.query.get("i"), timeout)
    return web.json_response({"status": WAITED_TOO_LONG, "nextUrl": str(next_url)}, status=400)


def _batch(
    request: web.Request, script: EventsScript, entries: list[_Entry], timeout: int, fault: Fault | None
) -> web.Response:
    if not entries and script.empty_as_400:
        return _waited_too_long(request, timeout)
    last_id = entries[-1].cursor_id if entries else request.query.get("i")
    next_url = _next_url(request, last_id, timeout)
    events = [entry.payload for entry in entries]
    if fault is not None and fault.kind == "foreign_next_url":
        next_url = next_url.with_host(fault.host)
    if fault is not None and fault.kind == "malformed":
        events.insert(fault.position, fault.payload)
    return web.json_response({"events": events, "nextUrl": str(next_url)})
