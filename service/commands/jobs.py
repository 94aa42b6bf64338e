"""`mhc job list` and `mhc job run NAME`: the service's own wiring (app.wire_services), so a run
from the command line is recorded exactly as a scheduled one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.app import Services, wire_services
from service.commands.database import command_database
from service.jobs.registry import job_specs
from service.logs import SecretRegistry, configure_logging
from service.settings import Settings
from service.store import jobs as job_store


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


@asynccontextmanager
async def command_services(
    settings: Settings, *, secrets: SecretRegistry | None = None
) -> AsyncIterator[Services]:
    """The services over the shared database, with the settings saved in the panel loaded."""
    async with command_database(settings) as db:
        services = wire_services(settings, db, secrets=secrets)
        await services.config.reload(db)
        async with services.http:
            yield services


async def list_(settings: Settings) -> int:
    async with command_services(settings) as services, services.db.read() as conn:
        states = await job_store.list_states(conn)
    config, specs = services.config.current, services.runner.specs
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
    if name not in (known := job_specs()):
        print(f"mhc: no job named {name!r}; known jobs: {', '.join(known)}")
        return 2
    secrets = SecretRegistry()
    configure_logging(settings.log_level, secrets)
    async with command_services(settings, secrets=secrets) as services:
        await services.scheduler.ensure_states()
        outcome = await services.runner.run(name, trigger="cli")
    print(f"{outcome.job}: {outcome.status}: {outcome.message}")
    return 0 if outcome.status == "ok" else 1
