"""The extension API (DESIGN.md protocol 1): ping, pair, lists (whole or in parts), profiles, tasks,
desktop alerts.

web/ext_guard.py has already checked origin, protocol header, body size and (except for ping and
pair) the bearer token by the time these run.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from aiohttp import web
from pydantic import TypeAdapter

from service import __version__
from service.clock import utcnow
from service.errors import Conflict, InvalidInput, NotAuthenticated
from service.ingest import list_parts, lists, pairing, profiles
from service.ingest.models import (
    AlertAckRequest,
    ListFinishRequest,
    ListPartRequest,
    ListSnapshotRequest,
    PairRequest,
    ProfileScrapeIn,
    TaskReportRequest,
)
from service.store import alert_inbox
from service.store import extension as ext_store
from service.web.access import Access, requires
from service.web.alert_links import absolute_link
from service.web.ext_guard import CLIENT_ID, PROTOCOL
from service.web.forms import parse_body, parse_json
from service.web.keys import config_key, db_key, events_hub_key, settings_key
from service.web.query_params import route_id, whole_number

# A running task nobody reported on for this long is offered again (its worker was probably killed).
STALE_RUNNING = timedelta(minutes=30)
MAX_PROFILES_PER_REQUEST = 100
# Desktop alerts: at most this many a call; older ones than DESKTOP_MAX_AGE are passed over (a browser
# closed for a week gets today's alerts, not the week's); a call may wait this long for a new one.
DESKTOP_BATCH = 20
DESKTOP_MAX_AGE = timedelta(hours=24)
MAX_WAIT_SECONDS = 25

_SNAPSHOT = TypeAdapter(ListSnapshotRequest)
_PART = TypeAdapter(ListPartRequest)
_FINISH = TypeAdapter(ListFinishRequest)
_PROFILES = TypeAdapter(list[ProfileScrapeIn] | ProfileScrapeIn)


@requires(Access.PUBLIC)
async def ext_ping(request: web.Request) -> web.StreamResponse:
    # `list_parts` (added within protocol 1): this service takes a list in parts of at most this many
    # pages (POST lists/parts, then lists/finish); an extension that sees no such field sends lists whole.
    parts = {"max_pages": request.app[settings_key].ext_list_part_pages}
    return web.json_response(
        {"service": "mhc", "version": __version__, "protocol": int(PROTOCOL), "list_parts": parts}
    )


@requires(Access.PUBLIC)
async def ext_pair(request: web.Request) -> web.StreamResponse:
    body = await parse_json(request, PairRequest)
    token = await pairing.pair(request.app[db_key], code=body.code, extension_id=body.extension_id)
    if token is None:
        raise NotAuthenticated(
            "That pairing code is unknown, used or expired; get a new one in Admin › Extension."
        )
    # Whose lists the extension reads: the broadcaster the service is set up for (the extension
    # uses it unless its user chose another), so nobody has to type the name twice.
    broadcaster = request.app[config_key].current.broadcaster or None
    return web.json_response({"token": token, "broadcaster": broadcaster})


def _idempotency_key(request: web.Request, body: bytes) -> str:
    """The extension's key for this snapshot; without one, the body itself names it."""
    sent = request.headers.get("Idempotency-Key", "").strip()
    if sent:
        if len(sent) > 200:
            raise InvalidInput(
                "Idempotency-Key is too long", details=["Idempotency-Key: at most 200 characters"]
            )
        return f"key:{sent}"
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


def _check_account(request: web.Request, account: str) -> None:
    broadcaster = request.app[config_key].current.broadcaster.strip().lower()
    if broadcaster and account != broadcaster:
        raise Conflict(
            f"The snapshot was read while signed in as {account!r}, but this service is set up for "
            f"{broadcaster!r}; nothing was stored."
        )


@requires(Access.EXTENSION)
async def ext_lists(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    snap = parse_body(body, _SNAPSHOT, "The snapshot has errors; nothing was stored")
    _check_account(request, snap.account)
    outcome = await lists.ingest_list_snapshot(
        request.app[db_key], snap, key=_idempotency_key(request, body), client_id=request[CLIENT_ID]
    )
    return _snapshot_answer(request, outcome)


def _snapshot_answer(request: web.Request, outcome: lists.SnapshotOutcome) -> web.StreamResponse:
    """A stored snapshot's answer (whole or finished from parts); its alerts are committed by now, so
    the live pages and alert listeners are woken."""
    if outcome.alerts:
        request.app[events_hub_key].notify()
    return web.json_response(outcome.as_json())


@requires(Access.EXTENSION)
async def ext_list_part(request: web.Request) -> web.StreamResponse:
    """Some pages of a list run too long for one request; they count when the run is finished."""
    part = parse_body(await request.read(), _PART, "The list part has errors; nothing was stored")
    limit = request.app[settings_key].ext_list_part_pages
    if len(part.pages) > limit:
        raise InvalidInput(
            f"A list part holds at most {limit} pages (list_parts.max_pages in the ping answer); "
            "nothing was stored.",
            details=[f"pages: at most {limit}"],
        )
    _check_account(request, part.account)
    outcome = await list_parts.receive_part(request.app[db_key], part, client_id=request[CLIENT_ID])
    return web.json_response(outcome.as_json())


@requires(Access.EXTENSION)
async def ext_list_finish(request: web.Request) -> web.StreamResponse:
    """A run sent in parts is over: its parts become one snapshot, answered like POST lists."""
    body = parse_body(await request.read(), _FINISH, "The end of the list run has errors; nothing was stored")
    _check_account(request, body.account)
    outcome = await list_parts.finish_upload(request.app[db_key], body, client_id=request[CLIENT_ID])
    return _snapshot_answer(request, outcome)


@requires(Access.EXTENSION)
async def ext_profiles(request: web.Request) -> web.StreamResponse:
    parsed = parse_body(await request.read(), _PROFILES, "The profiles have errors; nothing was stored")
    batch = parsed if isinstance(parsed, list) else [parsed]
    if not batch or len(batch) > MAX_PROFILES_PER_REQUEST:
        raise InvalidInput(f"Send 1 to {MAX_PROFILES_PER_REQUEST} profiles per request.")
    outcomes = await profiles.ingest_profiles(request.app[db_key], batch, client_id=request[CLIENT_ID])
    return web.json_response({"ok": True, "profiles": [o.as_json() for o in outcomes]})


def _task_json(task: ext_store.ScrapeTask) -> dict[str, object]:
    return {"id": task.id, "kind": task.kind, "username": task.username, "state": task.state,
            "created_at": task.created_at.isoformat()}  # fmt: skip


@requires(Access.EXTENSION)
async def ext_tasks(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        tasks = await ext_store.pending_tasks(
            conn, client_id=request[CLIENT_ID], stale_before=utcnow() - STALE_RUNNING
        )
    return web.json_response({"ok": True, "tasks": [_task_json(t) for t in tasks]})


@requires(Access.EXTENSION)
async def ext_task_report(request: web.Request) -> web.StreamResponse:
    task_id = route_id(request, "task_id")
    report = await parse_json(request, TaskReportRequest)
    changed, task = await pairing.report_task(
        request.app[db_key], task_id, report, client_id=request[CLIENT_ID]
    )
    return web.json_response({"ok": True, "changed": changed, "task": _task_json(task)})


async def _desktop_batch(request: web.Request) -> alert_inbox.DesktopBatch:
    async with request.app[db_key].read() as conn:
        return await alert_inbox.desktop_batch(
            conn, request[CLIENT_ID], not_before=utcnow() - DESKTOP_MAX_AGE, limit=DESKTOP_BATCH
        )


@requires(Access.EXTENSION)
async def ext_alerts(request: web.Request) -> web.StreamResponse:
    """The alerts this extension has not shown yet, oldest first, each with the panel URL it opens.

    `?wait=N` (at most 25 s) holds the call open until an alert is raised, so a notification shows
    seconds after its alert and not at the next poll. The extension shows them, then acknowledges
    `last_id`, which also passes over the alerts it is not to show.
    """
    wait = whole_number(request.query.get("wait"), "wait", minimum=0, maximum=MAX_WAIT_SECONDS) or 0
    hub = request.app[events_hub_key]
    mark = hub.mark()  # before the read: an alert committed after it still ends the wait
    batch = await _desktop_batch(request)
    if not batch.alerts and wait and not hub.closed and await hub.wait(wait, since=mark):
        batch = await _desktop_batch(request)
    origin = str(request.url.origin())
    alerts = [{"id": a.id, "kind": a.kind, "raised_at": a.raised_at.isoformat().replace("+00:00", "Z"),
               "title": a.title, "body": a.body, "username": a.username, "url": absolute_link(a, origin)}
              for a in batch.alerts]  # fmt: skip
    return web.json_response(
        {"ok": True, "cursor": batch.cursor, "last_id": batch.last_id, "more": batch.more, "alerts": alerts}
    )


@requires(Access.EXTENSION)
async def ext_alerts_ack(request: web.Request) -> web.StreamResponse:
    """Advance this extension's cursor to `last_id` (never backwards): those alerts are never sent again."""
    ack = await parse_json(request, AlertAckRequest)
    async with request.app[db_key].transaction() as conn:
        newest = await alert_inbox.latest_id(conn)
        if ack.last_id > newest:
            raise InvalidInput(
                f"There is no alert {ack.last_id} yet (the newest is {newest}); nothing was changed.",
                details=[f"last_id: at most {newest}"],
            )
        cursor = await alert_inbox.advance_desktop_cursor(conn, request[CLIENT_ID], ack.last_id)
    return web.json_response({"ok": True, "cursor": cursor})
