"""Runs one job once and records the run: the same path for the scheduler, the panel and the CLI."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from service.jobs.base import JobContext, JobResult, JobSpec
from service.redaction import mask
from service.sources import bounds
from service.sources.base import SourceError
from service.store import jobs as job_store
from service.store.db import Database

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class RunOutcome:
    job: str
    status: str  # ok | partial | error | skipped
    message: str


class JobRunner:
    def __init__(
        self,
        db: Database,
        specs: dict[str, JobSpec],
        context: Callable[[], Awaitable[JobContext]],
    ) -> None:
        self.db = db
        self.specs = specs
        self._context = context
        self._locks = {name: asyncio.Lock() for name in specs}

    def is_running(self, name: str) -> bool:
        return self._locks[name].locked()

    async def run(self, name: str, *, trigger: str) -> RunOutcome:
        spec = self.specs[name]
        lock = self._locks[name]
        if lock.locked():
            return RunOutcome(name, "skipped", "already running")
        async with lock:
            return await self._run_locked(spec, trigger)

    async def _run_locked(self, spec: JobSpec, trigger: str) -> RunOutcome:
        context = await self._context()
        async with self.db.transaction() as conn:
            run_id = await job_store.start_run(conn, spec.name, trigger=trigger)
        missing = spec.missing_configuration(context.config)
        secrets = context.config.secrets()
        if missing:
            status, summary, error = "skipped", f"not configured: {missing}", None
        else:
            try:
                with bounds.tally() as nulled:
                    result = await spec.run(context)
                status, summary, error = _finished(spec.name, result, nulled)
            except asyncio.CancelledError:
                await self._finish(run_id, spec.name, "error", None, "cancelled: the service stopped")
                raise
            except Exception as exc:  # a failing job must never take the scheduler down
                log.exception("job %s failed", spec.name)
                status, summary = "error", None
                # An upstream's failure is already worded for the page ("stats: HTTP 401 …"); the
                # class name only helps with what nobody anticipated.
                error = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
        # Upstream text (error pages echoing our URL) may carry a token in any encoding.
        summary = mask(summary, secrets)[:MAX_ERROR_LENGTH] if summary is not None else None
        error = mask(error, secrets)[:MAX_ERROR_LENGTH] if error is not None else None
        await self._finish(run_id, spec.name, status, summary, error)
        return RunOutcome(spec.name, status, summary or error or "")

    async def _finish(
        self, run_id: int, name: str, status: str, summary: str | None, error: str | None
    ) -> None:
        async with self.db.transaction() as conn:
            await job_store.finish_run(conn, run_id, name, status=status, summary=summary, error=error)


def _finished(
    name: str, result: str | JobResult, nulled: bounds.OutOfRangeTally
) -> tuple[str, str, str | None]:
    """(status, summary, error) of a run that returned: ok, or partial when some items failed."""
    result = result if isinstance(result, JobResult) else JobResult(result)
    summary = result.summary
    if nulled.total:
        log.warning("job %s: %s", name, nulled.describe())
        summary = f"{summary}; {nulled.describe()}"
    if not result.partial:
        return "ok", summary, None
    failed = f"{result.failed} of {result.total} failed"
    log.warning("job %s partial: %s; first: %s", name, failed, result.first_error)
    return "partial", f"{failed}; {summary}", f"partial: {failed}; first: {result.first_error or 'unknown'}"
