"""The data-source job tests' kit: a job context over the fake upstreams, fast retries, the real runner."""

from __future__ import annotations

from typing import Any

import httpx

from service.jobs.base import JobContext, JobSpec
from service.jobs.runner import JobRunner
from service.jobs.scheduler import Scheduler
from service.settings import all_fields
from service.sources.http import RateLimiter, RetryPolicy
from service.sources.spec import SourceConfig
from service.store import jobs as job_store
from service.store.db import Database

# Retries without the waiting: Retry-After and backoff are capped at 10 ms.
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
NO_PACING = RateLimiter(0)

BLANK = SourceConfig(
    dict.fromkeys(all_fields(), ""), [key for key, field in all_fields().items() if field.secret]
)


def context(db: Database, http: httpx.AsyncClient, **config: str) -> JobContext:
    return JobContext(db=db, config=BLANK.replace(**config), data_dir=db.path.parent, http=http)


async def run_via_runner(spec: JobSpec, ctx: JobContext) -> tuple[str, str, str | None]:
    """Run through the real runner: (status, message, job_state.last_error)."""

    async def make() -> JobContext:
        return ctx

    runner = JobRunner(ctx.db, {spec.name: spec}, make)
    await Scheduler(runner, enabled=False).ensure_states()
    outcome = await runner.run(spec.name, trigger="manual")
    async with ctx.db.read() as conn:
        state = await job_store.get_state(conn, spec.name)
    return outcome.status, outcome.message, state.last_error if state else None


async def rows(db: Database, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    async with db.read() as conn, conn.execute(sql, params or {}) as cursor:
        return [dict(row) for row in await cursor.fetchall()]
