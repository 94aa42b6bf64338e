"""Admin › Sources: each data source's configuration, job health, stored rows and a connection test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from service.errors import NotFound
from service.jobs.base import JobContext, JobSpec
from service.jobs.source_checks import test_connection, testable
from service.models import JobState
from service.permissions import Permission
from service.settings import SourceSpec
from service.store import jobs as job_store
from service.store.source_counts import row_counts
from service.web import sessions
from service.web.access import requires
from service.web.keys import config_key, db_key, http_key, runner_key, scheduler_key, settings_key
from service.web.render import render

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SourceView:
    source: SourceSpec
    missing: str | None
    jobs: list[JobSpec]
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_status: str | None  # of the job whose error is shown: "partial" is shown as a warning
    next_run_at: datetime | None
    rows: dict[str, int]


def _view(
    source: SourceSpec, request: web.Request, states: dict[str, JobState], rows: dict[str, int]
) -> SourceView:
    specs = [s for s in request.app[runner_key].specs.values() if s.upstream == source]
    mine = [states[s.name] for s in specs if s.name in states]
    errors = [s for s in mine if s.last_error]
    latest_error = max(errors, key=lambda s: s.last_error_at or _EPOCH) if errors else None
    return SourceView(
        source=source,
        missing=source.missing_configuration(request.app[config_key].current),
        jobs=specs,
        last_ok_at=max((s.last_ok_at for s in mine if s.last_ok_at), default=None),
        last_error=latest_error.last_error if latest_error else None,
        last_error_at=latest_error.last_error_at if latest_error else None,
        last_status=latest_error.last_status if latest_error else None,
        next_run_at=min((s.next_run_at for s in mine if s.next_run_at and not s.paused), default=None),
        rows={table: rows[table] for table in source.tables},
    )


@requires(Permission.MANAGE_JOBS)
async def admin_sources(request: web.Request) -> web.StreamResponse:
    sources = testable(request.app[config_key].sources)
    async with request.app[db_key].read() as conn:
        states = await job_store.list_states(conn)
        rows = await row_counts(conn, [t for source in sources for t in source.tables])
    views = [_view(source, request, states, rows) for source in sources]
    context = {"sources": views, "active": "admin", "admin_section": "sources"}
    return await render(request, "admin/sources.html", context)


@requires(Permission.MANAGE_JOBS)
async def admin_source_test(request: web.Request) -> web.StreamResponse:
    app = request.app
    by_key = {source.key: source for source in testable(app[config_key].sources)}
    source = by_key.get(request.match_info["source"])
    if source is None:
        raise NotFound("No such data source.")
    context = JobContext(
        db=app[db_key],
        config=app[config_key].current,
        data_dir=app[settings_key].data_dir,
        http=app[http_key],
    )
    ok, message = await test_connection(source, context)
    started = await app[scheduler_key].run_upstream_jobs(source.key, context.config) if ok else []
    titles = [app[runner_key].specs[name].title for name in started]
    note = f" Running now: {', '.join(titles)}." if titles else ""
    outcome = "OK" if ok else "failed"
    await sessions.flash(request, f"{source.label}: {outcome} — {message.rstrip('.')}.{note}")
    raise web.HTTPSeeOther(app.router["admin_sources"].url_for())
