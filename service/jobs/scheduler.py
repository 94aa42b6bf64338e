"""APScheduler (3.x) wrapper: interval jobs whose paused state and interval live in the database.

The scheduler only decides *when*; every run goes through JobRunner, so a scheduled run, a
"Run now" in the panel and `mhc job run` are recorded the same way.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from service.errors import InvalidInput, NotFound
from service.jobs.runner import JobRunner, RunOutcome
from service.sources.spec import SourceConfig
from service.store import jobs as job_store

log = logging.getLogger(__name__)

MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 24 * 3600


class Scheduler:
    """Each job first runs when it is due: soon after start if it never ran or is overdue (a new
    user sees data within a minute, not after a whole interval), else one interval after its last
    run (a restart does not repeat work). Jobs due at start are staggered so they do not all
    reach their upstreams in the same second."""

    def __init__(
        self,
        runner: JobRunner,
        *,
        enabled: bool,
        first_run_delay: timedelta = timedelta(seconds=5),
        first_run_stagger: timedelta = timedelta(seconds=15),
    ) -> None:
        self.runner = runner
        self.enabled = enabled
        self._first_run_delay = first_run_delay
        self._first_run_stagger = first_run_stagger
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._tasks: set[asyncio.Task[RunOutcome]] = set()

    async def ensure_states(self) -> None:
        """Create the rows of jobs seen for the first time; existing rows keep the user's choices."""
        async with self.runner.db.transaction() as conn:
            for spec in self.runner.specs.values():
                await job_store.ensure_state(
                    conn, spec.name, interval_seconds=int(spec.default_interval.total_seconds())
                )

    async def start(self) -> None:
        await self.ensure_states()
        # Only the service does this: a CLI run beside it must not close the service's live runs.
        async with self.runner.db.transaction() as conn:
            interrupted = await job_store.mark_interrupted_runs(conn)
        if interrupted:
            log.warning("%d job runs were interrupted by the last shutdown", interrupted)
        if not self.enabled:
            log.info("scheduled jobs are disabled (MHC_JOBS_ENABLED=false)")
            return
        async with self.runner.db.read() as conn:
            states = await job_store.list_states(conn)
        now = datetime.now(UTC)
        soon = now + self._first_run_delay
        for name in self.runner.specs:
            state = states.get(name)
            if state is None:
                continue
            first: datetime | None = None
            if not state.paused:
                interval = timedelta(seconds=state.interval_seconds)
                due = state.last_run_at + interval if state.last_run_at else now
                first = max(due, soon)
                if first == soon:
                    soon += self._first_run_stagger
            self._scheduler.add_job(
                self._scheduled_run,
                IntervalTrigger(seconds=state.interval_seconds, timezone=UTC),
                args=[name],
                id=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=first,
            )
        self._scheduler.start()
        await self._persist_next_runs()

    async def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def next_run(self, name: str) -> datetime | None:
        job = self._scheduler.get_job(name) if self._scheduler.running else None
        next_time: datetime | None = job.next_run_time if job else None
        return next_time

    def _check(self, name: str) -> None:
        if name not in self.runner.specs:
            raise NotFound(f"no job named {name!r}")

    async def pause(self, name: str) -> None:
        self._check(name)
        async with self.runner.db.transaction() as conn:
            await job_store.set_paused(conn, name, paused=True)
        if self._scheduler.running:
            self._scheduler.pause_job(name)
        await self._persist_next_runs()

    async def resume(self, name: str) -> None:
        self._check(name)
        async with self.runner.db.transaction() as conn:
            await job_store.set_paused(conn, name, paused=False)
        if self._scheduler.running:
            self._scheduler.resume_job(name)
        await self._persist_next_runs()

    @staticmethod
    def check_interval(seconds: int) -> None:
        if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
            raise InvalidInput(
                "The interval is out of range",
                details=[
                    f"interval: must be between {MIN_INTERVAL_SECONDS // 60} minute and "
                    f"{MAX_INTERVAL_SECONDS // 86400} days"
                ],
            )

    async def set_interval(self, name: str, seconds: int) -> None:
        self._check(name)
        self.check_interval(seconds)
        async with self.runner.db.transaction() as conn:
            await job_store.set_interval(conn, name, seconds)
            state = await job_store.get_state(conn, name)
        if self._scheduler.running and state and not state.paused:
            self._scheduler.reschedule_job(name, trigger=IntervalTrigger(seconds=seconds, timezone=UTC))
        await self._persist_next_runs()

    def run_now(self, name: str, *, trigger: str = "manual") -> asyncio.Task[RunOutcome]:
        """Start a run in the background; the panel does not wait for slow jobs."""
        self._check(name)
        task = asyncio.create_task(self.runner.run(name, trigger=trigger), name=f"job:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def run_upstream_jobs(self, upstream: str, config: SourceConfig) -> list[str]:
        """Start the jobs of one upstream now (its settings were just saved, or its connection test
        passed), so the user sees data at once. Only while scheduled work is on, and never a paused
        job: both are the user's choice not to run things by themselves."""
        if not self.enabled:
            return []
        async with self.runner.db.read() as conn:
            states = await job_store.list_states(conn)
        started = []
        for name, spec in self.runner.specs.items():
            state = states.get(name)
            if spec.upstream is None or spec.upstream.key != upstream or (state and state.paused):
                continue
            if spec.missing_configuration(config) is None:
                self.run_now(name)
                started.append(name)
        return started

    async def _scheduled_run(self, name: str) -> None:
        await self.runner.run(name, trigger="schedule")
        await self._persist_next_runs()

    async def _persist_next_runs(self) -> None:
        async with self.runner.db.transaction() as conn:
            for name in self.runner.specs:
                await job_store.set_next_run(conn, name, self.next_run(name))
