"""Admin index, Admin › Settings and Admin › Jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from service.errors import InvalidInput, NotFound
from service.fan_tiers import FanRules
from service.jobs.base import JobSpec
from service.models import JobState
from service.permissions import Permission
from service.settings import SettingField, SettingValue, field_groups, validate_value
from service.store import jobs as job_store
from service.store import saved_settings
from service.web import onboarding, sessions
from service.web.access import Access, requires
from service.web.forms import CSRF_FIELD
from service.web.handler_support import may
from service.web.keys import config_key, db_key, runner_key, scheduler_key
from service.web.render import render

log = logging.getLogger(__name__)

CLEAR_PREFIX = "clear__"
INTERVAL_PREFIX = "interval__"


@requires(Access.AUTHENTICATED)
async def admin(request: web.Request) -> web.StreamResponse:
    context: dict[str, object] = {"active": "admin", "admin_section": "", "checklist": None}
    if may(request, Permission.MANAGE_JOBS):
        async with request.app[db_key].read() as conn:
            context["checklist"] = await onboarding.checklist(request, conn)
    return await render(request, "admin/index.html", context)


@dataclass(frozen=True, slots=True)
class FieldView:
    field: SettingField
    value: str  # never a secret's value: for secrets only "set" / "not set" is shown
    is_set: bool
    origin: str  # "panel" | "environment" | "default"


def _field_view(setting: SettingValue) -> FieldView:
    shown = "" if setting.field.secret else setting.value
    return FieldView(setting.field, shown, bool(setting.value), setting.origin)


def _field_views(request: web.Request) -> dict[str, list[FieldView]]:
    holder = request.app[config_key]
    return {
        group: [_field_view(holder.values[f.key]) for f in fields]
        for group, fields in field_groups(holder.sources)
    }


async def _jobs_by_group(request: web.Request) -> dict[str, list[tuple[JobSpec, JobState | None]]]:
    async with request.app[db_key].read() as conn:
        states = await job_store.list_states(conn)
    groups: dict[str, list[tuple[JobSpec, JobState | None]]] = {}
    for spec in request.app[runner_key].specs.values():
        groups.setdefault(spec.source, []).append((spec, states.get(spec.name)))
    return groups


async def _settings_page(request: web.Request, *, errors: list[str], status: int = 200) -> web.Response:
    context = {"groups": _field_views(request), "job_groups": await _jobs_by_group(request),
               "errors": errors, "active": "admin", "admin_section": "settings"}  # fmt: skip
    return await render(request, "admin/settings.html", context, status=status)


@requires(Permission.MANAGE_JOBS)
async def admin_settings(request: web.Request) -> web.StreamResponse:
    return await _settings_page(request, errors=[])


def _parse_settings(
    form: dict[str, str], job_names: set[str], fields: dict[str, SettingField], defaults: dict[str, str]
) -> tuple[dict[str, str | None], dict[str, int]]:
    """Changes to apply: key → new value (None = remove the panel override), job → seconds.

    A value equal to the environment's is not stored: pinning it would hide later changes
    to the environment.
    """
    changes: dict[str, str | None] = {}
    intervals: dict[str, int] = {}
    errors: list[str] = []
    for key, raw in form.items():
        if key.startswith(INTERVAL_PREFIX) and key[len(INTERVAL_PREFIX) :] in job_names:
            try:
                intervals[key[len(INTERVAL_PREFIX) :]] = int(raw) * 60
            except ValueError:
                errors.append(f"{key}: a whole number of minutes")
        elif key.startswith(CLEAR_PREFIX) and key[len(CLEAR_PREFIX) :] in fields:
            changes[key[len(CLEAR_PREFIX) :]] = None
        elif key in fields:
            field = fields[key]
            if not raw.strip():
                # Empty keeps a secret as it is (it is never echoed back), and resets other fields.
                if not field.secret:
                    changes.setdefault(key, None)
                continue
            try:
                value = validate_value(field, raw)
            except ValueError as exc:
                errors.append(f"{key}: {exc}")
                continue
            changes.setdefault(key, None if value == defaults.get(key) else value)
        else:
            errors.append(f"{key}: unknown setting")
    if errors:
        raise InvalidInput("Nothing was saved: the form has errors", details=errors)
    return changes, intervals


def _check_fan_rules(
    values: dict[str, SettingValue], changes: dict[str, str | None], defaults: dict[str, str]
) -> None:
    """The Fans settings must fit together once saved (the recent rule names one of the tiers)."""
    after = {key: value.value for key, value in values.items()}
    after.update({key: defaults.get(key, "") if new is None else new for key, new in changes.items()})
    try:
        FanRules.parse(after)
    except ValueError as exc:
        raise InvalidInput("Nothing was saved: the form has errors", details=[f"Fans: {exc}"]) from None


@requires(Permission.MANAGE_JOBS)
async def admin_settings_save(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    form = {k: v for k, v in posted.items() if k != CSRF_FIELD and isinstance(v, str)}
    if len(form) + (CSRF_FIELD in posted) != len(posted):
        raise InvalidInput("File uploads are not accepted here.")
    scheduler = request.app[scheduler_key]
    try:
        holder = request.app[config_key]
        defaults = {key: value.value for key, value in holder.environment().items()}
        changes, intervals = _parse_settings(
            form, set(request.app[runner_key].specs), holder.fields, defaults
        )
        for seconds in intervals.values():
            scheduler.check_interval(seconds)
        _check_fan_rules(holder.values, changes, defaults)
    except InvalidInput as exc:
        return await _settings_page(request, errors=exc.details, status=400)
    session = sessions.current(request)
    by = session.user.username if session else None
    async with request.app[db_key].transaction() as conn:
        for key, value in changes.items():
            if value is None:
                await saved_settings.delete(conn, key)
            else:
                await saved_settings.upsert(conn, key, value, by=by)
    for name, seconds in intervals.items():
        await scheduler.set_interval(name, seconds)
    holder = request.app[config_key]
    await holder.reload(request.app[db_key])
    log.info("settings saved by %s: %s", by, ", ".join(sorted(changes)) or "intervals only")
    # A source whose settings just changed runs now, not one interval later: the user sees at once
    # whether it works.
    started: list[str] = []
    for source in holder.sources:
        if any(field.key in changes for field in source.fields):
            started += await scheduler.run_upstream_jobs(source.key, holder.current)
    note = f" Started: {', '.join(started)}." if started else ""
    await sessions.flash(request, f"Settings saved.{note}")
    raise web.HTTPSeeOther(request.app.router["admin_settings"].url_for())


@requires(Permission.MANAGE_JOBS)
async def admin_jobs(request: web.Request) -> web.StreamResponse:
    runner = request.app[runner_key]
    config = request.app[config_key].current
    async with request.app[db_key].read() as conn:
        states = await job_store.list_states(conn)
        runs = await job_store.list_runs(conn, limit=30)
    rows = [
        {"spec": spec, "state": states.get(name), "running": runner.is_running(name),
         "missing": spec.missing_configuration(config)}
        for name, spec in runner.specs.items()
    ]  # fmt: skip
    context = {"rows": rows, "runs": runs, "scheduler_enabled": request.app[scheduler_key].enabled,
               "active": "admin", "admin_section": "jobs"}  # fmt: skip
    return await render(request, "admin/jobs.html", context)


def _job_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if name not in request.app[runner_key].specs:
        raise NotFound(f"No job named {name!r}.")
    return name


async def _back_to_jobs(request: web.Request, message: str) -> web.StreamResponse:
    await sessions.flash(request, message)
    raise web.HTTPSeeOther(request.app.router["admin_jobs"].url_for())


@requires(Permission.MANAGE_JOBS)
async def admin_job_pause(request: web.Request) -> web.StreamResponse:
    name = _job_name(request)
    await request.app[scheduler_key].pause(name)
    return await _back_to_jobs(request, f"Job {name} paused.")


@requires(Permission.MANAGE_JOBS)
async def admin_job_resume(request: web.Request) -> web.StreamResponse:
    name = _job_name(request)
    await request.app[scheduler_key].resume(name)
    return await _back_to_jobs(request, f"Job {name} resumed.")


@requires(Permission.MANAGE_JOBS)
async def admin_job_run(request: web.Request) -> web.StreamResponse:
    name = _job_name(request)
    request.app[scheduler_key].run_now(name)
    return await _back_to_jobs(request, f"Job {name} started; its result appears below when it ends.")
