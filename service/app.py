"""create_app(): the composition root, and the only place the layers are wired together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from aiohttp import web

from service import __version__
from service.clock import utcnow
from service.ingest.broadcast_stitching import StitchPolicy
from service.ingest.live_feed import EventsHub
from service.jobs.alert_delivery import AlertDelivery, DeliveryOptions, refresh_secrets
from service.jobs.base import JobContext, JobSpec
from service.jobs.events_stream import EventsStream, StreamOptions
from service.jobs.registry import ALL_JOBS
from service.jobs.runner import JobRunner
from service.jobs.scheduler import Scheduler
from service.logs import SecretRegistry
from service.ratelimit import LoginThrottle
from service.security import Passwords, hash_token, new_token
from service.settings import ConfigHolder, Settings
from service.sources.registry import SOURCES
from service.sources.spec import SourceSpec
from service.store import system_users, token_history, web_sessions
from service.store.db import Database
from service.web.ext_guard import ext_guard
from service.web.fan_counts import FanCounts
from service.web.import_tasks import ImportTasks
from service.web.keys import (
    alert_delivery_key,
    announce_key,
    config_key,
    db_key,
    events_hub_key,
    events_stream_key,
    fan_counts_key,
    http_key,
    import_tasks_key,
    login_limiter_key,
    passwords_key,
    runner_key,
    scheduler_key,
    secrets_key,
    settings_key,
    templates_key,
)
from service.web.middlewares import (
    add_headers,
    auth_middleware,
    csrf_middleware,
    error_middleware,
    host_guard,
)
from service.web.render import create_environment
from service.web.routes import setup_routes

log = logging.getLogger(__name__)


def _print_announcement(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - the console is where the owner reads the setup link


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[db_key]
    await db.open()
    async with db.transaction() as conn:
        await system_users.sync_roles_and_permissions(conn)
    await app[config_key].reload(db)
    yield
    await db.close()


async def setup_link_ctx(app: web.Application) -> AsyncIterator[None]:
    """With no account yet, print a one-time link that lets the owner create the first admin."""
    settings = app[settings_key]
    db = app[db_key]
    async with db.read() as conn:
        needs_setup = await system_users.count_users(conn) == 0
    if needs_setup:
        token = new_token()
        async with db.transaction() as conn:
            await web_sessions.replace_setup_token(
                conn,
                token_hash=hash_token(token),
                expires_at=utcnow() + timedelta(minutes=settings.setup_link_minutes),
            )
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        app[announce_key](
            "No account exists yet. Open this link within "
            f"{settings.setup_link_minutes} minutes to create the admin account:\n"
            f"  http://{host}:{settings.port}/setup?token={token}"
        )
    yield


def new_http_client() -> httpx.AsyncClient:
    """The upstream HTTP client: modest pool, explicit timeouts, never following redirects blindly."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        headers={"User-Agent": f"mhc-control-panel/{__version__}"},
        follow_redirects=False,
    )


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[http_key].aclose()


async def import_tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    """Token history imports started from the panel end (cancelled) before the database closes;
    one a stopped service left 'running' is recorded as failed when it starts again."""
    async with app[db_key].transaction() as conn:
        await token_history.fail_unfinished(conn)
    yield
    await app[import_tasks_key].shutdown()


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    scheduler = app[scheduler_key]
    await scheduler.start()
    yield
    await scheduler.shutdown()


async def events_stream_ctx(app: web.Application) -> AsyncIterator[None]:
    """The Events API consumer runs beside the web server when jobs are enabled."""
    stream = app[events_stream_key]
    if app[settings_key].jobs_enabled:
        stream.start()
    yield
    await stream.stop()


async def alert_delivery_ctx(app: web.Application) -> AsyncIterator[None]:
    """The alert outbox's sender runs beside the web server when jobs are enabled; the logs mask the
    destinations' URLs either way."""
    delivery = app[alert_delivery_key]
    await refresh_secrets(app[db_key], app[secrets_key])
    if app[settings_key].jobs_enabled:
        delivery.start()
    yield
    await delivery.stop()


def new_alert_delivery(settings: Settings, services: Services) -> AlertDelivery:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    options = DeliveryOptions(
        retry_first=settings.alert_retry_first_seconds,
        retry_max=settings.alert_retry_max_seconds,
        send_timeout=settings.alert_send_timeout_seconds,
        poll_seconds=settings.alert_outbox_poll_seconds,
        panel_url=f"http://{host}:{settings.port}",
    )
    config = services.config
    return AlertDelivery(
        services.db, services.http, lambda: config.current, services.hub, services.secrets, options
    )


async def close_live_feeds(app: web.Application) -> None:
    """Live feeds (server-sent events) end at shutdown instead of holding the server open."""
    app[events_hub_key].close()


def new_events_stream(
    settings: Settings, db: Database, http: httpx.AsyncClient, config: ConfigHolder, hub: EventsHub
) -> EventsStream:
    policy = StitchPolicy(
        merge_gap=timedelta(minutes=settings.broadcast_merge_minutes),
        timeout=timedelta(minutes=settings.broadcast_timeout_minutes),
    )
    options = StreamOptions(
        server_timeout=settings.events_server_timeout,
        stall_margin=settings.events_stall_margin_seconds,
        policy=policy,
        fan_rules=lambda: config.fans,
    )
    stream = EventsStream(db, http, lambda: config.current, hub, options)
    config.listeners.append(stream.config_changed)
    return stream


@dataclass(frozen=True, slots=True)
class Services:
    """What runs jobs, in the service and in `mhc job`: one wiring, so a command records its runs
    exactly as the service does. The caller opens `db`, reloads `config` and closes `http`."""

    db: Database
    secrets: SecretRegistry
    config: ConfigHolder
    http: httpx.AsyncClient
    runner: JobRunner
    scheduler: Scheduler
    # Notified after each commit that stored events or raised alerts: live pages and the outbox wake.
    hub: EventsHub


def wire_services(
    settings: Settings,
    db: Database,
    *,
    secrets: SecretRegistry | None = None,
    sources: Sequence[SourceSpec] = SOURCES,
    jobs: Sequence[JobSpec] = ALL_JOBS,
) -> Services:
    """`secrets` is the registry the logs already mask with, when logging started first; `sources`
    are the upstreams whose settings are offered, `jobs` what runs."""
    secrets = secrets or SecretRegistry()
    config = ConfigHolder(settings, secrets, sources)
    http = new_http_client()
    hub = EventsHub()

    async def job_context() -> JobContext:
        return JobContext(
            db=db, config=config.current, data_dir=settings.data_dir, http=http, alerts_raised=hub.notify
        )

    runner = JobRunner(db, {spec.name: spec for spec in jobs}, job_context)
    scheduler = Scheduler(
        runner,
        enabled=settings.jobs_enabled,
        first_run_delay=timedelta(seconds=settings.jobs_first_run_delay_seconds),
        first_run_stagger=timedelta(seconds=settings.jobs_first_run_stagger_seconds),
    )
    return Services(db, secrets, config, http, runner, scheduler, hub)


def create_app(
    settings: Settings,
    *,
    announce: Callable[[str], None] = _print_announcement,
    sources: Sequence[SourceSpec] = SOURCES,
    jobs: Sequence[JobSpec] = ALL_JOBS,
) -> web.Application:
    """The service: `sources` are the upstreams whose settings it offers, `jobs` what it schedules."""
    app = web.Application(
        middlewares=[error_middleware, host_guard, ext_guard, auth_middleware, csrf_middleware],
        client_max_size=settings.max_body_bytes,
    )
    db = Database(settings.database_path, busy_timeout_ms=settings.db_busy_timeout_ms, checkpoint_beside=True)
    services = wire_services(settings, db, sources=sources, jobs=jobs)
    config, http = services.config, services.http
    app[settings_key] = settings
    app[db_key] = db
    app[secrets_key] = services.secrets
    app[config_key] = config
    app[passwords_key] = Passwords(
        time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
    )
    app[templates_key] = create_environment()
    app[runner_key] = services.runner
    app[scheduler_key] = services.scheduler
    app[login_limiter_key] = LoginThrottle(
        free_attempts=settings.login_max_failures_per_account,
        first_lock_seconds=settings.login_first_lock_seconds,
        max_lock_seconds=settings.login_max_lock_minutes * 60,
        forget_after_seconds=settings.login_forget_hours * 3600,
    )
    app[announce_key] = announce
    app[http_key] = http
    app[events_stream_key] = new_events_stream(settings, db, http, config, services.hub)
    app[events_hub_key] = app[events_stream_key].hub
    app[alert_delivery_key] = new_alert_delivery(settings, services)
    app[fan_counts_key] = FanCounts()
    app[import_tasks_key] = ImportTasks(db, settings.data_dir / "uploads")
    app.cleanup_ctx.extend(
        [database_ctx, import_tasks_ctx, http_ctx, setup_link_ctx, scheduler_ctx, events_stream_ctx,
         alert_delivery_ctx]
    )  # fmt: skip
    app.on_response_prepare.append(add_headers)
    app.on_shutdown.append(close_live_feeds)
    setup_routes(app)
    return app
