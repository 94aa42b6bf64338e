"""Alert destinations and alerts for the delivery tests: stored through the real store functions."""

from __future__ import annotations

from pathlib import Path

import httpx

from service.clock import now_db
from service.ingest.live_feed import EventsHub
from service.jobs.alert_delivery import AlertDelivery, DeliveryOptions
from service.logs import SecretRegistry
from service.settings import Settings, resolve
from service.sources.spec import SourceConfig
from service.store import alert_destinations, alert_outbox, alerts
from service.store.alerts import NewAlert
from service.store.db import Database

FAST = DeliveryOptions(retry_first=0.05, retry_max=0.2, send_timeout=2, poll_seconds=0.2,
                       panel_url="http://127.0.0.1:8756")  # fmt: skip


def config_of(tmp_path: Path, **changes: str) -> SourceConfig:
    return resolve(Settings(data_dir=tmp_path), {}).replace(**changes)


async def add_destination(
    db: Database, kind: str, target: str, *, secret: str | None = None, kinds: list[str] | None = None,
    enabled: bool = True,
) -> int:  # fmt: skip
    async with db.transaction() as conn:
        return await alert_destinations.insert_destination(
            conn, kind=kind, name=f"my {kind}", target=target, signing_secret=secret, kinds=kinds or [],
            enabled=enabled, at=now_db(),
        )  # fmt: skip


async def raise_one(db: Database, n: int, kind: str = "big_tip", title: str = "whale tipped 5,000") -> int:
    async with db.transaction() as conn:
        alert_id = await alerts.raise_alert(
            conn, NewAlert(rule_id=1, kind=kind, trigger_key=f"event-{n}", title=title,
                           body="That is their biggest tip.", url="/profile/whale"), at=now_db(),
        )  # fmt: skip
    assert alert_id is not None
    return alert_id


async def deliveries(db: Database) -> list[alert_outbox.DeliveryRow]:
    async with db.read() as conn:
        return await alert_outbox.list_deliveries(conn)


def sender(
    db: Database, http: httpx.AsyncClient, config: SourceConfig, options: DeliveryOptions = FAST,
    secrets: SecretRegistry | None = None,
) -> AlertDelivery:  # fmt: skip
    return AlertDelivery(db, http, lambda: config, EventsHub(), secrets or SecretRegistry(), options)
