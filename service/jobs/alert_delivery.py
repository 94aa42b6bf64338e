"""Sends the alert outbox: every pending delivery whose time has come, to its webhook or mailbox.

One task runs beside the web server (started and stopped like the Events stream). It wakes when a
committed transaction raised alerts (the EventsHub) and on a timer (the next retry, or the poll
interval), reads the due deliveries from the table, so a restart simply resumes, and sends each
destination's in alert order, destinations side by side (a hanging one delays only its own).

Exactly once per alert and destination: a delivery is recorded as sent in its own transaction right
after the receiver accepted it, and a sent delivery is never due again. A crash between the
receiver's answer and that record sends it once more after the restart, with the same idempotency
key, so the receiver can drop the repeat. A failure counts the attempt and sets the next one with
exponential backoff (doubling, capped, jittered; a receiver's Retry-After is honoured); the
destination's other due deliveries wait with it. After the give-up time (the panel's
"alert_give_up_hours") a delivery is given up, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

import httpx

from service.clock import to_db, utcnow
from service.ingest.live_feed import EventsHub
from service.jobs.alert_senders import Message, SendError, SmtpSettings, send
from service.logs import SecretRegistry
from service.redaction import mask
from service.sources.spec import SourceConfig
from service.store import alert_destinations, alert_outbox
from service.store.alert_destinations import Destination
from service.store.alert_outbox import DueDelivery
from service.store.db import Database
from service.tasks import stop_task

log = logging.getLogger(__name__)

SECRETS_GROUP = "alert_destinations"
MAX_ERROR_LENGTH = 500
_BATCH = 200


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    retry_first: float = 30.0  # seconds before the first retry; doubles per attempt
    retry_max: float = 3600.0  # the longest pause between two attempts
    send_timeout: float = 15.0
    poll_seconds: float = 60.0  # with nothing due, look again after this long
    panel_url: str = "http://127.0.0.1:8756"  # alert links (profile paths) are made absolute with it

    def retry_delay(self, attempts: int, draw: Callable[[], float] = random.random) -> float:
        """The pause after the `attempts`-th failed attempt: doubling from the first, capped, jittered
        (between half and all of it, so destinations that failed together do not retry together)."""
        doublings: int = min(max(attempts - 1, 0), 30)
        full = min(self.retry_max, self.retry_first * float(2**doublings))
        return full / 2 + draw() * full / 2


def give_up_after(config: SourceConfig) -> timedelta:
    try:
        return timedelta(hours=float(config.alert_give_up_hours))
    except (AttributeError, ValueError):
        return timedelta(hours=24)


def absolute_url(panel_url: str, url: str | None) -> str | None:
    if not url:
        return None
    return panel_url.rstrip("/") + url if url.startswith("/") else url


def message_of(delivery: DueDelivery, panel_url: str) -> Message:
    return Message(
        idempotency_key=delivery.idempotency_key, alert_id=delivery.alert_id, kind=delivery.kind,
        title=delivery.title, body=delivery.body, url=absolute_url(panel_url, delivery.url),
        raised_at=delivery.raised_at, person=delivery.person,
    )  # fmt: skip


def _duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


async def refresh_secrets(db: Database, registry: SecretRegistry) -> None:
    """Let the logs mask every destination's URL and signing secret (at start, after each change)."""
    async with db.read() as conn:
        registry.replace(await alert_destinations.all_secrets(conn), group=SECRETS_GROUP)


class AlertDelivery:
    """The outbox sender task."""

    def __init__(  # noqa: PLR0917 - the task's collaborators, as app.py wires them
        self,
        db: Database,
        http: httpx.AsyncClient,
        config: Callable[[], SourceConfig],
        hub: EventsHub,
        secrets: SecretRegistry,
        options: DeliveryOptions,
    ) -> None:
        self._db = db
        self._http = http
        self._config = config
        self._hub = hub
        self._secrets = secrets
        self.options = options
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="alert-delivery")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look at the outbox now (a destination was enabled or changed)."""
        self._woken.set()

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def run(self) -> None:
        while not self._hub.closed:
            mark = self._hub.mark()  # before looking: alerts committed meanwhile still wake the sleep
            try:
                handled = await self.deliver_due()
                wait = 0.0 if handled >= _BATCH else await self._until_next()
            except Exception:  # the task must never end silently; the table keeps every delivery
                log.exception("alert delivery failed; trying again shortly")
                wait = self.options.poll_seconds
            if wait > 0:
                await self._sleep(wait, mark)

    async def _sleep(self, seconds: float, mark: asyncio.Event) -> None:
        """Until `seconds` pass, alerts are committed (the hub, since `mark`) or someone calls wake()."""
        woken = asyncio.ensure_future(self._woken.wait())
        notified = asyncio.ensure_future(self._hub.wait(seconds, since=mark))
        try:
            await asyncio.wait({woken, notified}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (woken, notified):
                task.cancel()
            await asyncio.gather(woken, notified, return_exceptions=True)
        self._woken.clear()

    async def _until_next(self) -> float:
        async with self._db.read() as conn:
            next_at = await alert_outbox.next_due_at(conn)
        if next_at is None:
            return self.options.poll_seconds
        seconds = (next_at - utcnow()).total_seconds()
        return min(max(seconds, 0.05), self.options.poll_seconds)

    async def deliver_due(self) -> int:
        """Send (or give up) every delivery due now; how many were handled."""
        now = utcnow()
        async with self._db.read() as conn:
            due = await alert_outbox.due(conn, now=to_db(now), limit=_BATCH)
            destinations = {d.id: d for d in await alert_destinations.list_destinations(conn)}
        if not due:
            return 0
        config = self._config()
        work = [
            self._deliver_to(destinations[destination_id], list(items), config)
            for destination_id, items in groupby(due, key=lambda d: d.destination_id)
            if destination_id in destinations
        ]
        await asyncio.gather(*work)
        return len(due)

    async def _deliver_to(
        self, destination: Destination, due: list[DueDelivery], config: SourceConfig
    ) -> None:
        give_up = give_up_after(config)
        smtp = SmtpSettings.of(config)
        secrets = [*destination.secrets(), *config.secrets()]
        for delivery in due:
            now = utcnow()
            deadline = delivery.created_at + give_up
            if now >= deadline:
                await self._gave_up(delivery, give_up, delivery.last_error, attempted=False)
                continue
            failure = await self._attempt(destination, delivery, smtp, secrets)
            if failure is not None:
                error, retry_after = failure
                await self._failed(delivery, destination, error, retry_after=retry_after,
                                   deadline=deadline, give_up=give_up)  # fmt: skip
                return  # the destination's other due deliveries wait for its next attempt

    async def _attempt(
        self, destination: Destination, delivery: DueDelivery, smtp: SmtpSettings, secrets: list[str]
    ) -> tuple[str, float | None] | None:
        """Send one delivery and record it sent; None on success, else (masked error, Retry-After)."""
        message = message_of(delivery, self.options.panel_url)
        try:
            outcome = await send(
                self._http, destination, message, smtp=smtp, seconds=self.options.send_timeout
            )
        except SendError as exc:
            return mask(str(exc), secrets)[:MAX_ERROR_LENGTH], exc.retry_after
        except Exception as exc:  # a bug costs an attempt and shows; it never loops unseen on one delivery
            log.exception("alert %d to destination %d: unexpected error", delivery.alert_id, destination.id)
            return mask(f"{type(exc).__name__}: {exc}", secrets)[:MAX_ERROR_LENGTH], None
        async with self._db.transaction() as conn:
            await alert_outbox.mark_sent(conn, delivery.id, at=to_db(utcnow()))
        log.info("alert %d sent to destination %d (%s)", delivery.alert_id, destination.id, outcome)
        return None

    async def _failed(
        self,
        delivery: DueDelivery,
        destination: Destination,
        error: str,
        *,
        retry_after: float | None,
        deadline: datetime,
        give_up: timedelta,
    ) -> None:
        now = utcnow()
        if now >= deadline:
            await self._gave_up(delivery, give_up, error, attempted=True)
            return
        delay = max(self.options.retry_delay(delivery.attempts + 1), retry_after or 0.0)
        next_at = min(now + timedelta(seconds=delay), deadline)
        log.warning(
            "alert %d to destination %d failed (attempt %d): %s; next attempt at %s",
            delivery.alert_id, destination.id, delivery.attempts + 1, error, to_db(next_at),
        )  # fmt: skip
        async with self._db.transaction() as conn:
            await alert_outbox.mark_failed(
                conn, delivery.id, error=error, next_attempt_at=to_db(next_at), at=to_db(now)
            )
            await alert_outbox.postpone(conn, destination.id, until=to_db(next_at), now=to_db(now))

    async def _gave_up(
        self, delivery: DueDelivery, give_up: timedelta, error: str | None, *, attempted: bool
    ) -> None:
        attempts = delivery.attempts + int(attempted)
        reason = f"gave up after {_duration(give_up)} and {attempts} attempt{'s' if attempts != 1 else ''}"
        reason += f": {error}" if error else " (the destination was disabled or never reachable)"
        log.warning("alert %d to destination %d: %s", delivery.alert_id, delivery.destination_id, reason)
        async with self._db.transaction() as conn:
            await alert_outbox.mark_gave_up(conn, delivery.id, reason=reason[:MAX_ERROR_LENGTH],
                                            at=to_db(utcnow()), attempted=attempted)  # fmt: skip


def sample_message(destination: Destination, panel_url: str) -> Message:
    now = utcnow()
    return Message(
        idempotency_key=f"mhc-test-{destination.id}-{int(now.timestamp())}", alert_id=None, kind="test",
        title="Test from MHC Control Panel", body=f"If you read this, alerts reach “{destination.name}”.",
        url=absolute_url(panel_url, "/admin/alerts/destinations"), raised_at=to_db(now), person=None,
    )  # fmt: skip


async def send_test(
    http: httpx.AsyncClient, destination: Destination, config: SourceConfig, options: DeliveryOptions
) -> tuple[bool, str]:
    """Send one test message now (not through the outbox): (ok, a sentence for the page)."""
    try:
        outcome = await send(
            http, destination, sample_message(destination, options.panel_url),
            smtp=SmtpSettings.of(config), seconds=options.send_timeout,
        )  # fmt: skip
    except SendError as exc:
        error = mask(str(exc), [*destination.secrets(), *config.secrets()])[:MAX_ERROR_LENGTH]
        return False, f"The test message to “{destination.name}” failed: {error}."
    return True, f"The test message to “{destination.name}” was accepted ({outcome})."
