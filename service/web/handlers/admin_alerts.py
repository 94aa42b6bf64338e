"""Admin › Alerts: the alert rules, each said in words; create, edit, enable, disable, delete.

One form per kind (the kind is chosen first and never changes), with the cooldown per person and the
optional quiet hours. The posted form is read leniently (texts from a browser) and then turned into
the kind's strict params model (service/alert_rules.py); every refusal is a sentence and changes
nothing. Where alerts go (webhooks, email) is Admin › Alerts › Destinations, another page.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service import alert_rules as rules_model
from service.alert_rules import KIND_LABELS, KINDS, PARAMS, SMART_LABELS, SOURCES, Kind, QuietHours, Rule
from service.clock import now_db
from service.errors import InvalidInput, NotFound
from service.permissions import Permission
from service.store import alert_rules, fan_lists
from service.store.alert_rules import RuleInput
from service.store.db import Connection
from service.web import sessions
from service.web.access import requires
from service.web.forms import form_errors, parse_form
from service.web.keys import config_key, db_key
from service.web.query_params import route_id
from service.web.render import render

_LISTS = ("list_ids", "smart", "sources")


class RuleForm(BaseModel):
    """Every field any kind's form may post; the kind's own model decides which count."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=rules_model.MAX_NAME, title="The rule's name")
    cooldown_minutes: int = Field(default=10, ge=0, le=rules_model.MAX_COOLDOWN // 60, title="The cooldown")
    quiet_start: str = Field(default="", title="Quiet from")
    quiet_end: str = Field(default="", title="Quiet until")
    quiet_tz: str = Field(default="UTC", max_length=64, title="The time zone")
    min_tier: str = Field(default="", title="The lowest tier")
    list_ids: list[int] = Field(default_factory=list, title="The lists")
    smart: list[str] = Field(default_factory=list, title="The smart lists")
    lapsed: bool = False
    drifting: bool = False
    min_days_away: int = Field(default=14, title="Days away")
    min_tokens: int = Field(default=1000, title="The smallest tip")
    include_suspected: bool = False
    sources: list[str] = Field(default_factory=list, title="The sources")
    minutes: int = Field(default=15, title="Minutes")
    days: int = Field(default=3, title="Days without a report")


def _params(kind: str, form: RuleForm) -> rules_model.Params:
    fields = PARAMS[kind].model_fields
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(form, name)
        if name == "min_tier":
            value = value or None
        data[name] = tuple(value) if isinstance(value, list) else value
    try:
        return rules_model.parse_params(kind, data)
    except ValidationError as exc:
        raise InvalidInput("The form has errors", details=_sentences(exc, PARAMS[kind])) from exc


def _sentences(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """The form's sentences; a rule about the whole form ("choose a tier, a list…") is said as is."""
    found = []
    for text in form_errors(exc, model):
        sentence = text
        if text.startswith("The form: "):
            rule = text.removeprefix("The form: ")
            sentence = rule[0].upper() + rule[1:]
            sentence = sentence.removesuffix(".") if sentence.endswith("?.") else sentence
        found.append(sentence)
    return found


def _quiet(form: RuleForm) -> QuietHours | None:
    if not form.quiet_start and not form.quiet_end:
        return None
    if not (form.quiet_start and form.quiet_end):
        raise InvalidInput("The form has errors", details=["Quiet hours need both a start and an end."])
    if not rules_model.valid_tz(form.quiet_tz):
        raise InvalidInput(
            "The form has errors",
            details=[f"“{form.quiet_tz}” is not a time zone, e.g. Europe/Berlin or UTC."],
        )
    try:
        start, end = rules_model.parse_clock(form.quiet_start), rules_model.parse_clock(form.quiet_end)
    except ValueError as exc:
        raise InvalidInput("The form has errors", details=[f"Quiet hours: {exc}."]) from exc
    if start == end:
        raise InvalidInput(
            "The form has errors", details=["Quiet hours must not start and end at the same time."]
        )
    return QuietHours(start, end, form.quiet_tz)


async def _check_references(request: web.Request, conn: Connection, params: rules_model.Params) -> None:
    """A tier and lists the panel knows (a rule naming a deleted list would never fire)."""
    problems: list[str] = []
    if isinstance(params, rules_model.FanEnters):
        tiers = request.app[config_key].fans.tiers
        if params.min_tier is not None and tiers.named(params.min_tier) is None:
            names = ", ".join(t.name for t in tiers.tiers)
            problems.append(f"“{params.min_tier}” is not a tier ({names}).")
        known = {lst.id for lst in await fan_lists.list_lists(conn)}
        if any(i not in known for i in params.list_ids):
            problems.append("One of the chosen lists does not exist (any more).")
    if problems:
        raise InvalidInput("The form has errors", details=problems)


def _kind(value: str | None) -> Kind:
    for kind in KINDS:
        if kind == value:
            return kind
    raise InvalidInput("The form has errors", details=["Choose what the rule alerts on."])


async def _form_page(
    request: web.Request,
    kind: Kind,
    *,
    rule: Rule | None = None,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[db_key].read() as conn:
        lists = await fan_lists.list_lists(conn)
    context = {
        "active": "admin", "admin_section": "alerts", "kind": kind, "kind_label": KIND_LABELS[kind],
        "fields": set(PARAMS[kind].model_fields), "rule": rule, "values": values or _values(kind, rule),
        "lists": lists, "tiers": request.app[config_key].fans.tiers.tiers, "smart_labels": SMART_LABELS,
        "sources": SOURCES, "errors": errors or [],
    }  # fmt: skip
    return await render(request, "admin/alert_rule.html", context, status=status)


def _values(kind: Kind, rule: Rule | None) -> dict[str, Any]:
    """The form's fields for a rule (or a new one of this kind)."""
    if rule is None:
        defaults = RuleForm(name=KIND_LABELS[kind]).model_dump()
        defaults["lapsed"] = True
        return defaults
    values: dict[str, Any] = {**RuleForm(name=rule.name).model_dump(), **rule.params.model_dump()}
    values["cooldown_minutes"] = rule.cooldown_seconds // 60
    values["min_tier"] = values.get("min_tier") or ""
    if rule.quiet is not None:
        quiet = rule.quiet
        values["quiet_start"] = rules_model.format_clock(quiet.start_minute)
        values["quiet_end"] = rules_model.format_clock(quiet.end_minute)
        values["quiet_tz"] = quiet.tz
    return values


async def _read(request: web.Request, kind: Kind) -> tuple[RuleInput, dict[str, Any]]:
    """The posted rule, or InvalidInput (with the values to show again on the form)."""
    form = await parse_form(request, RuleForm, lists=_LISTS)
    params = _params(kind, form)
    quiet = _quiet(form)
    return RuleInput(kind, form.name, params, form.cooldown_minutes * 60, quiet), form.model_dump()


async def _posted_values(request: web.Request, kind: Kind) -> dict[str, Any]:
    """What was posted, over a new rule's values, to show on the form again."""
    form = await request.post()
    posted = {key: form.getall(key) if key in _LISTS else form.get(key) for key in form}
    checkboxes = {"lapsed": False, "drifting": False, "include_suspected": False}
    return {**_values(kind, None), **checkboxes, **posted}


@requires(Permission.MANAGE_JOBS)
async def admin_alerts(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        found = await alert_rules.list_rules(conn)
        names = {lst.id: lst.name for lst in await fan_lists.list_lists(conn)}
    context = {
        "active": "admin", "admin_section": "alerts", "kinds": KIND_LABELS,
        "rules": [{"rule": r, "text": rules_model.describe(r, names)} for r in found],
    }  # fmt: skip
    return await render(request, "admin/alerts.html", context)


@requires(Permission.MANAGE_JOBS)
async def admin_alert_new(request: web.Request) -> web.StreamResponse:
    return await _form_page(request, _kind(request.query.get("kind")))


@requires(Permission.MANAGE_JOBS)
async def admin_alert_create(request: web.Request) -> web.StreamResponse:
    kind = _kind(request.query.get("kind"))
    try:
        rule, _ = await _read(request, kind)
        async with request.app[db_key].transaction() as conn:
            await _check_references(request, conn, rule.params)
            session = sessions.current(request)
            await alert_rules.insert_rule(
                conn, rule, at=now_db(), created_by=session.user.id if session else None
            )
    except InvalidInput as exc:
        values = await _posted_values(request, kind)
        return await _form_page(request, kind, values=values, errors=exc.details or [exc.message], status=400)
    await sessions.flash(request, f"Rule “{rule.name}” created.")
    raise web.HTTPSeeOther(request.app.router["admin_alerts"].url_for())


async def _rule(conn: Connection, rule_id: int) -> Rule:
    found = await alert_rules.get_rule(conn, rule_id)
    if found is None:
        raise NotFound(f"There is no alert rule {rule_id}.")
    return found


@requires(Permission.MANAGE_JOBS)
async def admin_alert_edit(request: web.Request) -> web.StreamResponse:
    async with request.app[db_key].read() as conn:
        rule = await _rule(conn, route_id(request, "rule_id"))
    return await _form_page(request, rule.kind, rule=rule)


@requires(Permission.MANAGE_JOBS)
async def admin_alert_update(request: web.Request) -> web.StreamResponse:
    rule_id = route_id(request, "rule_id")
    async with request.app[db_key].read() as conn:
        old = await _rule(conn, rule_id)
    try:
        rule, _ = await _read(request, old.kind)
        async with request.app[db_key].transaction() as conn:
            await _check_references(request, conn, rule.params)
            if not await alert_rules.update_rule(conn, rule_id, rule):
                raise NotFound(f"There is no alert rule {rule_id}.")
    except InvalidInput as exc:
        values = await _posted_values(request, old.kind)
        errors = exc.details or [exc.message]
        return await _form_page(request, old.kind, rule=old, values=values, errors=errors, status=400)
    await sessions.flash(request, f"Rule “{rule.name}” saved.")
    raise web.HTTPSeeOther(request.app.router["admin_alerts"].url_for())


async def _switch(request: web.Request, *, enabled: bool) -> web.StreamResponse:
    rule_id = route_id(request, "rule_id")
    await parse_form(request, _Empty)
    async with request.app[db_key].transaction() as conn:
        rule = await _rule(conn, rule_id)
        await alert_rules.set_enabled(conn, rule_id, enabled=enabled)
    await sessions.flash(request, f"Rule “{rule.name}” {'enabled' if enabled else 'disabled'}.")
    raise web.HTTPSeeOther(request.app.router["admin_alerts"].url_for())


class _Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


@requires(Permission.MANAGE_JOBS)
async def admin_alert_enable(request: web.Request) -> web.StreamResponse:
    return await _switch(request, enabled=True)


@requires(Permission.MANAGE_JOBS)
async def admin_alert_disable(request: web.Request) -> web.StreamResponse:
    return await _switch(request, enabled=False)


@requires(Permission.MANAGE_JOBS)
async def admin_alert_delete(request: web.Request) -> web.StreamResponse:
    rule_id = route_id(request, "rule_id")
    await parse_form(request, _Empty)
    async with request.app[db_key].transaction() as conn:
        rule = await _rule(conn, rule_id)
        await alert_rules.delete_rule(conn, rule_id)
    await sessions.flash(request, f"Rule “{rule.name}” deleted; the alerts it raised stay.")
    raise web.HTTPSeeOther(request.app.router["admin_alerts"].url_for())
