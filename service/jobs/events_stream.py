"""The Events API consumer: one long-running task per process that follows the room's feed.

Each batch, its quarantined elements and the `nextUrl` after it are stored in one transaction
(`ingest.events_batch.ingest_events`), so cancelling this task at any moment loses and doubles nothing:
the next start resumes at the stored cursor. A cursor that does not belong to the configured
username and token (they were changed) is recorded as a gap and the feed restarts from the backlog.
The token is in every URL: only `client.redact()`ed text reaches logs, the status and the pages,
and the stored cursor holds a placeholder instead of it (`sources.events.cursor`).

No error ends the task. A batch that cannot be stored (the database locked by another process for
longer than the busy timeout, a full disk…) is logged at once, shown as "store_error" with its reason
and retried with backoff from the stored cursor: the batch was not committed, so nothing is lost or
doubled. The current state is also kept in memory (`live_status()`), because while the database
refuses writes the stored status cannot say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx

from service.clock import now_db, to_db, utcnow
from service.fan_tiers import DEFAULT_RULES, FanRules
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.event_rows import to_incoming
from service.ingest.events_batch import ingest_events
from service.ingest.live_feed import EventsHub
from service.jobs.broadcast_reports import fan_rules, regenerate_due
from service.jobs.events_ahead import FeedAhead, PollFailed
from service.redaction import mask
from service.sources.base import SourceAuthError, SourceError, SourceNotFoundError
from service.sources.events import (
    Backoff,
    EventsClient,
    ForeignNextUrlError,
    holds_placeholder,
    is_fatal,
    retry_after,
    token_fingerprint,
    with_token,
    without_token,
)
from service.sources.events.spec import SPEC as EVENTS
from service.sources.spec import SourceConfig
from service.store import stream_state
from service.store.db import Database
from service.store.room_events import IncomingEvent, QuarantineItem
from service.tasks import stop_task

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """The running stream's state as it is now, whether or not the database could record it."""

    state: str
    detail: str | None
    until: datetime | None
    since: datetime  # when this state began
    last_poll_at: datetime | None  # the last poll whose batch was stored, by this process
    started_at: datetime  # when this process started the stream


class StreamStoppedError(Exception):
    """A fatal upstream answer: the stream waits for new settings instead of retrying."""


@dataclass(frozen=True, slots=True)
class StreamOptions:
    server_timeout: int = 30
    # With no completed poll for server_timeout + this, the stream shows as "stalled".
    stall_margin: int = 30
    policy: StitchPolicy = field(default_factory=StitchPolicy)
    backoff: Callable[[], Backoff] = Backoff
    # The spend tiers and smart-list thresholds the alert rules read (the Settings page's Fans group).
    fan_rules: Callable[[], FanRules] = lambda: DEFAULT_RULES
    # Polls made ahead of the store, and the most events it stores in one transaction when several
    # polled batches wait (a backlog): see jobs/events_ahead.py.
    polls_ahead: int = 8
    events_per_commit: int = 500


def _identity(config: SourceConfig) -> tuple[str, str, str]:
    return config.broadcaster, config.events_url, config.events_token


def stop_reason(error: SourceError) -> str:
    if isinstance(error, SourceAuthError):
        return f"token rejected ({error})"
    if isinstance(error, SourceNotFoundError):
        return f"no such events feed: check the broadcaster username ({error})"
    if isinstance(error, ForeignNextUrlError):
        return f"refused a nextUrl outside the events host ({error})"
    return str(error)


@dataclass(frozen=True, slots=True)
class _Polled:
    """A polled batch as the store takes it. The parsed models (and the JSON they hold) are not kept:
    freed as soon as they are mapped, they never outlive the collector's youngest generation."""

    next_url: str
    events: list[IncomingEvent]  # the batch's valid events as store rows
    invalid: list[QuarantineItem]  # … and what goes to the quarantine

    @property
    def size(self) -> int:
        return len(self.events) + len(self.invalid)


class _StoreFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class EventsStream:
    """Start with `start()`, stop with `await stop()`; `config_changed()` after Settings are saved."""

    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        config: Callable[[], SourceConfig],
        hub: EventsHub,
        options: StreamOptions | None = None,
    ) -> None:
        self._db, self._http, self._config, self.hub = db, http, config, hub
        self.options = options or StreamOptions()
        self._changed = asyncio.Event()
        self._identity = _identity(config())
        self._task: asyncio.Task[None] | None = None
        self._live = LiveStatus("starting", None, None, utcnow(), None, utcnow())

    @property
    def stall_after(self) -> timedelta:
        """How long without a completed poll before the stream counts as stalled."""
        return timedelta(seconds=self.options.server_timeout + self.options.stall_margin)

    def start(self) -> None:
        now = utcnow()
        self._live = LiveStatus("starting", None, None, now, None, now)
        self._task = asyncio.create_task(self.run(), name="events-stream")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    @property
    def state(self) -> str:
        return self._live.state

    def live_status(self) -> LiveStatus | None:
        """The state of the running task; None when it is not running in this process."""
        if self._task is None or self._task.done():
            return None
        return self._live

    def config_changed(self, config: SourceConfig | None = None) -> None:
        """Restart the feed if the username, URL or token changed (it is cheap when they did not)."""
        if _identity(config or self._config()) != self._identity:
            self._changed.set()

    async def run(self) -> None:
        backoff = self.options.backoff()
        while True:
            try:
                await self._run_once()
                backoff.reset()
            except Exception as error:  # the task must never end silently
                # Anything not handled below (a bug, a failing status write): log it now, show it,
                # and start over from the stored cursor after a pause.
                log.exception("events stream failed; restarting from the stored cursor")
                # The detail reaches the pages: never with the token in it, in any encoding.
                detail = mask(f"unexpected error: {error!r}", [self._config().events_token])
                await self._pause("backing_off", detail, backoff.next_delay())

    async def _run_once(self) -> None:
        self._changed.clear()
        config = self._config()
        self._identity = _identity(config)
        missing = EVENTS.missing_configuration(config)
        if missing:
            await self._status("not_configured", missing)
            await self._changed.wait()
            return
        client = EventsClient(
            self._http,
            config.events_url,
            config.broadcaster,
            config.events_token,
            self.options.server_timeout,
        )
        try:
            await self._consume(client, config.broadcaster, config.events_token)
        except StreamStoppedError as stopped:
            await self._status("stopped", str(stopped))
            await self._changed.wait()

    async def _consume(self, client: EventsClient, broadcaster: str, token: str) -> None:
        url = await self._resume_url(client, token)
        backoff = self.options.backoff()
        while not self._changed.is_set():
            feed = FeedAhead(lambda at: self._poll(client, at), url, depth=self.options.polls_ahead)
            try:
                ended: PollFailed | _StoreFailed | None = await self._store_from(
                    feed, broadcaster, token, backoff
                )
            except _StoreFailed as failed:
                ended = failed
            finally:
                await feed.close()  # what it polled ahead is dropped, never stored
            if isinstance(ended, _StoreFailed):
                await self._store_failed(ended.error, backoff.next_delay())
                # Nothing of those batches was committed: poll the stored cursor again.
                url = await self._resume_url(client, token)
                continue
            if ended is None:
                return  # the settings changed
            if is_fatal(ended.error):
                raise StreamStoppedError(stop_reason(ended.error)) from None
            delay = backoff.next_delay(retry_after(ended.error))
            await self._pause("backing_off", str(ended.error), delay)
            url = ended.url

    async def _store_from(
        self, feed: FeedAhead[_Polled], broadcaster: str, token: str, backoff: Backoff
    ) -> PollFailed | None:
        """Store what the feed polls until it ends: a poll that failed, or None when the settings
        change. A store that fails raises _StoreFailed."""
        while True:
            taken = await feed.take(most=self.options.events_per_commit)
            if taken is None or isinstance(taken, PollFailed):
                return taken
            if self._changed.is_set():
                return None  # polled under the old settings: the new ones start from the stored cursor
            try:
                await self._commit(taken, broadcaster, token)
            except Exception as error:  # any storage fault: shown, and the batches polled again
                raise _StoreFailed(error) from error
            backoff.reset()
            if self.state != "connected":
                await self._status("connected", None)

    async def _store_failed(self, error: Exception, delay: float) -> None:
        reason = f"could not store a batch: {error}"
        if isinstance(error, sqlite3.Error | OSError):
            log.warning("events stream: %s; retrying from the stored cursor in %.1f s", reason, delay)
        else:
            log.exception("events stream: %s; retrying from the stored cursor", reason)
        await self._pause("store_error", reason, delay)

    async def _pause(self, state: str, detail: str, delay: float) -> None:
        """Show `state` until the retry, then wait `delay` seconds (less if the settings change)."""
        await self._status(state, detail, until=utcnow() + timedelta(seconds=delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), delay)

    async def _resume_url(self, client: EventsClient, token: str) -> str:
        async with self._db.read() as conn:
            stored = await stream_state.stored_cursor(conn)
        if stored is None:
            return client.first_url()
        url = with_token(stored.cursor, token)
        # A converted old cursor has no fingerprint: the configured token adopts it.
        same_token = stored.token_fingerprint in (None, token_fingerprint(token))
        if same_token and holds_placeholder(stored.cursor) and client.is_own_url(url):
            return url
        async with self._db.transaction() as conn:
            await stream_state.record_gap(
                conn,
                reason="the stored cursor belongs to another username or token; restarted from the backlog",
                at=now_db(),
            )
        log.warning(
            "events cursor did not match the configured feed; restarting at %s",
            client.redact(client.first_url()),
        )
        return client.first_url()

    async def _poll(self, client: EventsClient, url: str) -> _Polled | None:
        """One long poll and its batch mapped to store rows (while the batch before is stored), or None
        if the settings change while it waits."""
        poll = asyncio.ensure_future(client.poll(url))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({poll, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poll, changed):
                task.cancel()
            await asyncio.gather(poll, changed, return_exceptions=True)
        if poll.cancelled():
            return None
        batch = poll.result()
        return _Polled(batch.next_url, *to_incoming(batch.events, batch.invalid))

    async def _commit(self, polled: list[_Polled], broadcaster: str, token: str) -> None:
        """The batches in one transaction, with the cursor after the last."""
        events = [event for one in polled for event in one.events]
        invalid = [item for one in polled for item in one.invalid]
        cursor, fingerprint = without_token(polled[-1].next_url), token_fingerprint(token)
        received_at, rules = now_db(), self.options.fan_rules()
        # One trip to the writer's thread for the whole batch instead of one per statement.
        result = await self._db.write_on_thread(
            lambda conn: ingest_events(
                conn, events, invalid, cursor, cursor_fingerprint=fingerprint, broadcaster=broadcaster,
                policy=self.options.policy, received_at=received_at, fan_rules=rules,
            )
        )  # fmt: skip
        self._live = replace(self._live, last_poll_at=utcnow())
        if result.quarantined:
            log.warning("quarantined %d invalid events", result.quarantined)
        if result.stored or result.broadcast_ids or result.alerts:
            self.hub.notify()
        if result.summaries_due:
            await self._write_summaries(result.summaries_due)

    async def _write_summaries(self, broadcast_ids: frozenset[int]) -> None:
        """A broadcast the batch closed (or changed after it ended) gets its written summary now; older
        stale ones are the broadcast_reports job's. A failure leaves it stale for the job and never
        stops the stream."""
        try:
            _, raised = await regenerate_due(self._db, fan_rules(self._config()), among=broadcast_ids)
            if raised:
                self.hub.notify()  # the alert deliveries and the panel's pop-ups wake on it
        except (sqlite3.Error, OSError) as error:
            log.warning("events stream: broadcast summaries left for the job: %s", error)

    async def _status(self, state: str, detail: str | None, *, until: datetime | None = None) -> None:
        """Show the state at once (in memory), then record it; a failed record is logged, not fatal."""
        self._live = replace(self._live, state=state, detail=detail, until=until, since=utcnow())
        log.info("events stream %s%s", state.replace("_", " "), f": {detail}" if detail else "")
        try:
            async with self._db.transaction() as conn:
                await stream_state.set_status(
                    conn, state=state, detail=detail, until=to_db(until) if until else None, at=now_db()
                )
        except (sqlite3.Error, OSError) as error:
            log.warning("events stream: could not record its state %r: %s", state, error)
