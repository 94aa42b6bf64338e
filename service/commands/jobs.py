"""`mhc job list` and `mhc job run NAME`: the same runner and records as the service's."""

from __future__ import annotations

from service.app import new_http_client
from service.commands.database import command_database
from service.jobs.base import JobContext
from service.jobs.registry import job_specs
from service.jobs.runner import JobRunner
from service.jobs.scheduler import Scheduler
from service.logs import SecretRegistry, configure_logging
from service.settings import ConfigHolder, Settings
from service.store import jobs as job_store


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


async def list_(settings: Settings) -> int:
    specs = job_specs()
    async with command_database(settings) as db:
        holder = ConfigHolder(settings, SecretRegistry())
        config = await holder.reload(db)
        async with db.read() as conn:
            states = await job_store.list_states(conn)
    print(f"{'JOB':20} {'STATE':14} {'EVERY':>8} {'LAST OK (UTC)':17} LAST ERROR")
    for name, spec in specs.items():
        state = states.get(name)
        missing = spec.missing_configuration(config)
        status = "not configured" if missing else ("paused" if state and state.paused else "scheduled")
        every = f"{(state.interval_seconds if state else int(spec.default_interval.total_seconds())) // 60}m"
        error = (state.last_error or "-") if state else "-"
        print(f"{name:20} {status:14} {every:>8} {_when(state.last_ok_at if state else None):17} {error}")
    return 0


async def run(settings: Settings, name: str) -> int:
    specs = job_specs()
    if name not in specs:
        print(f"mhc: no job named {name!r}; known jobs: {', '.join(specs)}")
        return 2
    secrets = SecretRegistry()
    configure_logging(settings.log_level, secrets)
    async with command_database(settings) as db:
        holder = ConfigHolder(settings, secrets)
        await holder.reload(db)

        async with new_http_client() as http:

            async def context() -> JobContext:
                return JobContext(db=db, config=holder.current, data_dir=settings.data_dir, http=http)

            runner = JobRunner(db, specs, context)
            await Scheduler(runner, enabled=False).ensure_states()
            outcome = await runner.run(name, trigger="cli")
    print(f"{outcome.job}: {outcome.status}: {outcome.message}")
    return 0 if outcome.status == "ok" else 1
