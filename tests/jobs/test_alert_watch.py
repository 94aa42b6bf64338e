"""Alerts no event raises: a failing job or Events stream, a silent extension — once per failure."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.clock import to_db, utcnow
from service.jobs.alert_watch import watch
from service.jobs.base import JobContext, JobSpec
from service.jobs.runner import JobRunner
from service.security import hash_token
from service.settings import Settings, resolve
from service.store import extension, stream_state
from service.store import jobs as job_store
from service.store.db import Database

FIVE_MIN = timedelta(minutes=5)


async def add_rule(db: Database, kind: str, params: dict[str, object], **quiet: object) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO alert_rules (kind, name, params, quiet_start_minute, quiet_end_minute, quiet_tz, "
            "created_at) VALUES (:kind, :kind, :params, :start, :end, :tz, :at)",
            {"kind": kind, "params": json.dumps(params), "start": quiet.get("start"), "end": quiet.get("end"),
             "tz": quiet.get("tz"), "at": to_db(utcnow())},
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def alert_rows(db: Database) -> list[tuple[str, str, str, int]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT kind, trigger_key, title, quiet FROM alerts ORDER BY id")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


class Woken:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def woken() -> Woken:
    return Woken()


@pytest.fixture
async def context(db: Database, tmp_path: Path, woken: Woken) -> JobContext:
    config = resolve(Settings(data_dir=tmp_path), {})
    return JobContext(db=db, config=config, data_dir=tmp_path, http=httpx.AsyncClient(), alerts_raised=woken)


class Flaky:
    """A job that fails while `failing` is set."""

    def __init__(self) -> None:
        self.failing = True

    async def __call__(self, _context: JobContext) -> str:
        if self.failing:
            raise RuntimeError("upstream answered 503")
        return "fine"


async def runner_for(db: Database, context: JobContext, job: Flaky) -> JobRunner:
    """The runner as the scheduler drives it (the scheduler creates each job's state row first)."""
    spec = JobSpec(name="affiliate", title="Affiliate", description="", default_interval=FIVE_MIN, run=job)
    async with db.transaction() as conn:
        await job_store.ensure_state(conn, "affiliate", interval_seconds=300)

    async def make() -> JobContext:
        return context

    return JobRunner(db, {"affiliate": spec}, make)


async def test_a_failing_job_alerts_once_after_the_rules_minutes(
    db: Database, context: JobContext, woken: Woken
) -> None:
    """Failing for less than the rule's minutes: nothing; past it: one alert, however often the
    watch runs; after a success, a new failure alerts again."""
    await add_rule(db, "source_failing", {"minutes": 10})
    job = Flaky()
    runner = await runner_for(db, context, job)
    await runner.run("affiliate", trigger="schedule")
    await runner.run("affiliate", trigger="schedule")
    started = utcnow()  # the failure began just before: at most a few seconds (a busy machine)
    assert await watch(context, started + FIVE_MIN) == "1 rule checked; 0 alerts raised"
    assert await watch(context, started + timedelta(minutes=11)) == "1 rule checked; 1 alert raised"
    await watch(context, started + timedelta(minutes=30))
    [(kind, trigger, title, quiet)] = await alert_rows(db)
    assert kind == "source_failing" and trigger.startswith("job:affiliate:") and not quiet
    assert title == "The job “affiliate” has been failing for 11 min"
    assert woken.count == 1
    job.failing = False
    await runner.run("affiliate", trigger="schedule")
    assert await watch(context, utcnow() + timedelta(hours=1)) == "1 rule checked; 0 alerts raised"
    job.failing = True
    await runner.run("affiliate", trigger="schedule")
    await watch(context, utcnow() + timedelta(hours=1))
    assert len(await alert_rows(db)) == 2 and woken.count == 2


async def test_a_rule_watches_only_its_sources(db: Database, context: JobContext) -> None:
    """`sources: ["cbhours"]` ignores a failing affiliate job."""
    await add_rule(db, "source_failing", {"minutes": 1, "sources": ["cbhours", "events"]})
    await (await runner_for(db, context, Flaky())).run("affiliate", trigger="schedule")
    await watch(context, utcnow() + timedelta(hours=2))
    assert await alert_rows(db) == []


async def _stream(db: Database, state: str, *, polled_at: datetime) -> None:
    async with db.transaction() as conn:
        await stream_state.record_cursor(
            conn, "https://x/events/me/{token}/?i=1", fingerprint=None, last_event_id=None,
            last_event_at=None, at=to_db(polled_at),
        )  # fmt: skip
        await stream_state.set_status(conn, state=state, detail="HTTP 502", until=None, at=to_db(polled_at))


@pytest.mark.parametrize(
    ("state", "title_ends", "body"),
    [
        ("connected", "stored nothing for 20 min", "it is stalled: no poll has completed."),
        ("backing_off", "stored nothing for 20 min", "it is backing off (HTTP 502)."),
        ("stopped", "stored nothing for 20 min", "it is stopped (HTTP 502)."),
    ],
)
async def test_a_stalled_or_failing_stream_raises_its_alert_once(
    db: Database, context: JobContext, state: str, title_ends: str, body: str
) -> None:
    await add_rule(db, "source_failing", {"minutes": 15})
    polled = utcnow()
    await _stream(db, state, polled_at=polled)
    await watch(context, polled + timedelta(minutes=10))
    assert await alert_rows(db) == []
    await watch(context, polled + timedelta(minutes=20))
    await watch(context, polled + timedelta(minutes=25))
    [(_, trigger, title, _)] = await alert_rows(db)
    assert trigger == f"events:{to_db(polled)}" and title.endswith(title_ends)
    async with db.read() as conn:
        [(stored_body,)] = await conn.execute_fetchall("SELECT body FROM alerts")
    assert stored_body == f"The Events API stream needs attention: {body}"


async def test_an_unconfigured_stream_is_not_a_failure(db: Database, context: JobContext) -> None:
    await add_rule(db, "source_failing", {"minutes": 1})
    await _stream(db, "not_configured", polled_at=utcnow() - timedelta(days=2))
    await watch(context, utcnow())
    assert await alert_rows(db) == []


async def _pair(db: Database, *, last_used: datetime | None) -> None:
    async with db.transaction() as conn:
        expires = utcnow() + FIVE_MIN
        await extension.insert_pairing_code(conn, code_hash=hash_token("code"), expires_at=expires,
                                            created_by=None)  # fmt: skip
        client = await extension.use_pairing_code(conn, code_hash=hash_token("code"), extension_id="abc",
                                                  token_hash=hash_token("token"))  # fmt: skip
        assert client is not None
        if last_used is not None:
            await conn.execute("UPDATE ext_clients SET last_used_at = :at WHERE id = :id",
                               {"at": to_db(last_used), "id": client})  # fmt: skip


async def test_a_silent_extension_alerts_once_per_silence(db: Database, context: JobContext) -> None:
    await add_rule(db, "extension_silent", {"days": 3})
    last = utcnow() - timedelta(days=2)
    await _pair(db, last_used=last)
    await watch(context, utcnow())
    assert await alert_rows(db) == []
    await watch(context, utcnow() + timedelta(days=2))
    await watch(context, utcnow() + timedelta(days=3))
    [(kind, trigger, title, _)] = await alert_rows(db)
    assert (kind, trigger) == ("extension_silent", f"extension:{to_db(last)}")
    assert title == "The extension has not reported for 4 days"


async def test_no_paired_extension_is_not_silence(db: Database, context: JobContext) -> None:
    await add_rule(db, "extension_silent", {"days": 1})
    await watch(context, utcnow() + timedelta(days=30))
    assert await alert_rows(db) == []


async def test_quiet_hours_keep_the_alert_but_push_it_nowhere(db: Database, context: JobContext) -> None:
    """Raised during the rule's quiet hours (spanning midnight): stored quiet, without deliveries."""
    await add_rule(db, "extension_silent", {"days": 1}, start=22 * 60, end=7 * 60, tz="Europe/Lisbon")
    await _pair(db, last_used=utcnow() - timedelta(days=5))
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO alert_destinations (kind, name, target, created_at) "
                           "VALUES ('ntfy', 'phone', 'http://127.0.0.1:9/t', 'x')")  # fmt: skip
    night = datetime.fromisoformat("2026-12-07T02:30:00+00:00")  # 02:30 in Lisbon (UTC+0 in winter)
    await watch(context, night)
    [(_, _, _, quiet)] = await alert_rows(db)
    assert quiet == 1
    async with db.read() as conn:
        assert await conn.execute_fetchall("SELECT * FROM alert_deliveries") == []
