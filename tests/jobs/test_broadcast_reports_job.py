"""Broadcast summaries written by the Events stream right after the batch that ends a broadcast, and by
the broadcast_reports job for anything left stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from service.fan_tiers import DEFAULT_RULES
from service.jobs import broadcast_reports
from service.jobs.base import JobContext
from service.jobs.events_stream import EventsStream
from service.store.db import Database
from tests.fakes.events import EventsScript
from tests.support.events import ROOM, Feed, ingest, scalar
from tests.support.events_stream import ConfigBox, eventually


async def _written(db: Database) -> bool:
    return bool(await scalar(db, "SELECT count(*) FROM broadcast_reports WHERE generated_at IS NOT NULL"))


async def test_the_stream_writes_the_summary_after_the_batch_that_ends_a_broadcast(
    db: Database, script: EventsScript, make_stream: Callable[[], EventsStream]
) -> None:
    """Start, a 250-token tip and the stop through the fake Events API: the summary is stored at once,
    and with an enabled summary_ready rule its alert is raised (once)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO alert_rules (kind, name, created_at) VALUES ('summary_ready', 'Summaries', "
            "'2026-01-01T00:00:00.000Z')"
        )
    script.add("broadcastStart", {})
    script.add("tip", {"user": {"username": "alice"}, "tip": {"tokens": 250, "isAnon": False}})
    script.add("broadcastStop", {})
    stream = make_stream()
    stream.start()
    try:
        await eventually(lambda: _written(db))
    finally:
        await stream.stop()
    sentences = await scalar(db, "SELECT sentences FROM broadcast_reports")
    assert '{"num": 250}' in sentences
    assert await scalar(db, "SELECT stale FROM broadcast_reports") == 0
    broadcast_id = await scalar(db, "SELECT broadcast_id FROM broadcast_reports")
    assert await scalar(db, "SELECT group_concat(trigger_key) FROM alerts") == f"summary:{broadcast_id}"


async def test_the_job_catches_up_on_stale_reports(
    db: Database, http: httpx.AsyncClient, config: ConfigBox, tmp_path: Path
) -> None:
    """Two ended broadcasts stored without the stream: one run writes both; the next writes nothing."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(30, "broadcastStop", ROOM),
                      f.event(60, "broadcastStart", ROOM), f.event(90, "broadcastStop", ROOM)])  # fmt: skip
    context = JobContext(db=db, config=config.current, data_dir=tmp_path, http=http)
    assert await broadcast_reports.run(context) == "generated 2 broadcast summaries, 0 alerts"
    assert await broadcast_reports.run(context) == "generated 0 broadcast summaries, 0 alerts"
    assert await scalar(db, "SELECT count(*) FROM broadcast_reports WHERE stale = 0") == 2


def test_the_job_reads_the_fans_settings(config: ConfigBox) -> None:
    """The lapsed-days setting reaches the summaries; settings that do not parse give the defaults."""
    assert broadcast_reports.fan_rules(config.current.replace(fan_lapsed_days="12")).lists.lapsed_days == 12
    broken = config.current.replace(fan_tiers="Gold 10, Silver 5")
    assert broadcast_reports.fan_rules(broken) == DEFAULT_RULES
