"""Raising alerts for tests through the store's one path (raise_alert), then waking the live feeds."""

from __future__ import annotations

import itertools
from datetime import datetime

from aiohttp import web

from service.clock import now_db, to_db
from service.store import persons
from service.store.alerts import NewAlert, raise_alert
from service.web.keys import db_key, events_hub_key

_triggers = itertools.count(1)


async def raise_one(
    app: web.Application,
    kind: str = "big_tip",
    title: str = "A big tip",
    *,
    body: str = "",
    username: str | None = None,
    url: str | None = None,
    quiet: bool = False,
    at: datetime | None = None,
) -> int:
    """Store one alert (rule 0, a fresh trigger) as the rules would, and notify the hub after the commit."""
    async with app[db_key].transaction() as conn:
        person_id = (await persons.ensure_persons(conn, [username]))[username] if username else None
        alert = NewAlert(rule_id=0, kind=kind, trigger_key=f"test-{next(_triggers)}", title=title, body=body,
                         url=url, person_id=person_id, quiet=quiet)  # fmt: skip
        alert_id = await raise_alert(conn, alert, at=to_db(at) if at else now_db())
    assert alert_id is not None
    app[events_hub_key].notify()
    return alert_id
