"""Room › Insights form: the questionnaire (each save a new revision), and the optional AI report.

Reading needs view_stats. Saving the form needs edit_fans (the accounts that curate fans and notes
also describe the room's strategy). Generating a report needs manage_jobs: it sends the room's
figures to an outside server, possibly paid, like the data-source settings admins alone control.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.clock import from_db, to_db, utcnow
from service.errors import InvalidInput, NotFound
from service.jobs import ai_report
from service.permissions import Permission
from service.settings import AiEndpoint, ai_endpoint
from service.store import insights_form as store
from service.store.insights_form import GOALS, Goal, InsightsAnswers, TipItem
from service.web import insights_form_json as page_json
from service.web import sessions
from service.web.access import requires
from service.web.forms import form_errors, parse_form
from service.web.handler_support import acting_user, may
from service.web.json_view import respond
from service.web.keys import config_key, db_key, http_key
from service.web.query_params import route_id
from service.web.render import render

BLANK_TIP_ROWS = 5
# A preview older than this is not sent: its numbers would describe a period that has moved on.
PREVIEW_VALID = timedelta(hours=1)
PAGE = "room/insights_form.html"


class FormPost(BaseModel):
    """The posted questionnaire as the browser sends it; `answers()` turns it into the stored model."""

    model_config = ConfigDict(extra="forbid")
    goals: list[Goal] = Field(default_factory=list, title="Goals")
    schedule: str = ""
    show_types: str = Field(default="", title="Show types")
    tip_item: list[str] = Field(default_factory=list)
    tip_price: list[str] = Field(default_factory=list)
    room_rules: str = ""
    improve: str = ""
    never_suggest: str = ""


def _text(value: str) -> str:
    # Browsers send CRLF from a textarea; one line break counts as one character.
    return value.replace("\r\n", "\n").strip()


def _tip_menu(items: list[str], prices: list[str]) -> tuple[list[TipItem], list[str]]:
    """The filled rows (a row with neither item nor price is skipped) and a sentence per bad row."""
    if len(items) != len(prices):
        return [], ["The tip menu's rows must each have an item and a price field."]
    rows: list[TipItem] = []
    errors: list[str] = []
    for number, (raw_item, raw_price) in enumerate(zip(items, prices, strict=True), start=1):
        item, price = raw_item.strip(), raw_price.strip().replace(",", "").replace(" ", "")
        if not item and not price:
            continue
        if not item:
            errors.append(f"Tip menu, row {number}: the item is missing.")
        elif len(item) > store.MAX_ITEM_LENGTH:
            errors.append(
                f"Tip menu, row {number}: the item must have at most {store.MAX_ITEM_LENGTH} characters."
            )
        if not price.isdigit() or not 1 <= int(price) <= store.MAX_TIP_PRICE:
            errors.append(f"Tip menu, row {number}: the price must be a whole number of tokens from 1 to "
                          f"{store.MAX_TIP_PRICE:,}.")  # fmt: skip
        elif item and len(item) <= store.MAX_ITEM_LENGTH:
            rows.append(TipItem(item=item, price=int(price)))
    if len(rows) > store.MAX_TIP_ITEMS:
        errors.append(f"The tip menu can have at most {store.MAX_TIP_ITEMS} items.")
    return rows, errors


def _answers(post: FormPost) -> InsightsAnswers:
    tips, errors = _tip_menu(post.tip_item, post.tip_price)
    if errors:
        raise InvalidInput("The form has errors", details=errors)
    shows = [line.strip() for line in _text(post.show_types).split("\n") if line.strip()]
    try:
        return InsightsAnswers(
            goals=list(dict.fromkeys(post.goals)), schedule=_text(post.schedule), show_types=shows,
            tip_menu=tips, room_rules=_text(post.room_rules), improve=_text(post.improve),
            never_suggest=_text(post.never_suggest),
        )  # fmt: skip
    except ValidationError as exc:
        raise InvalidInput("The form has errors", details=form_errors(exc, InsightsAnswers)) from exc


def _draft(answers: InsightsAnswers | None) -> dict[str, Any]:
    """The form's fields as the page fills them in."""
    answers = answers or InsightsAnswers()
    tips = [(t.item, str(t.price)) for t in answers.tip_menu]
    return {"goals": list(answers.goals), "schedule": answers.schedule,
            "show_types": "\n".join(answers.show_types), "tips": tips + [("", "")] * BLANK_TIP_ROWS,
            "room_rules": answers.room_rules, "improve": answers.improve,
            "never_suggest": answers.never_suggest}  # fmt: skip


def _posted_draft(form: Any) -> dict[str, Any]:
    """What was posted, to show again beside the errors (nothing was saved)."""
    items, prices = form.getall("tip_item", []), form.getall("tip_price", [])
    tips = list(zip(items, prices, strict=False)) + [("", "")] * BLANK_TIP_ROWS
    return {"goals": form.getall("goals", []), "schedule": form.get("schedule", ""),
            "show_types": form.get("show_types", ""), "tips": tips, "room_rules": form.get("room_rules", ""),
            "improve": form.get("improve", ""), "never_suggest": form.get("never_suggest", "")}  # fmt: skip


def _insights_link(request: web.Request) -> str:
    """The deterministic insights: /room/insights where this build has it, the Room page otherwise."""
    paths = {resource.canonical for resource in request.app.router.resources()}
    return "/room/insights" if "/room/insights" in paths else "/room"


def _endpoint(request: web.Request) -> AiEndpoint | str:
    return ai_endpoint(request.app[config_key].current)


async def _page(
    request: web.Request, *, draft: dict[str, Any] | None = None, errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    async with request.app[db_key].read() as conn:
        revisions = await store.list_revisions(conn)
        reports = await store.list_reports(conn)
    endpoint = _endpoint(request)
    latest = revisions[0] if revisions else None
    context = {"active": "room", "latest": latest, "earlier": revisions[1:], "reports": reports,
               "draft": draft or _draft(latest.answers if latest else None), "goals": GOALS,
               "errors": errors or [], "endpoint": endpoint if isinstance(endpoint, AiEndpoint) else None,
               "not_configured": endpoint if isinstance(endpoint, str) else None,
               "insights_link": _insights_link(request), "can_edit": may(request, Permission.EDIT_FANS),
               "can_generate": may(request, Permission.MANAGE_JOBS), "limits": store}  # fmt: skip
    return await respond(request, PAGE, context, page_json.form_page, status=status)


@requires(Permission.VIEW_STATS)
async def room_insights_form(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@requires(Permission.EDIT_FANS)
async def room_insights_form_save(request: web.Request) -> web.StreamResponse:
    try:
        answers = _answers(await parse_form(request, FormPost, lists=("goals", "tip_item", "tip_price")))
    except InvalidInput as exc:
        draft = _posted_draft(await request.post())
        return await _page(request, draft=draft, errors=exc.details or [exc.message], status=400)
    async with request.app[db_key].transaction() as conn:
        revision_id = await store.save_revision(conn, answers, by=acting_user(request), at=utcnow())
    await sessions.flash(request, f"Saved as revision {revision_id}.")
    raise web.HTTPSeeOther(request.app.router["room_insights_form"].url_for())


@requires(Permission.VIEW_STATS)
async def room_insights_form_revision(request: web.Request) -> web.StreamResponse:
    revision_id = route_id(request, "revision_id")
    async with request.app[db_key].read() as conn:
        revision = await store.get_revision(conn, revision_id)
        latest = await store.latest_revision(conn)
    if revision is None:
        raise NotFound(f"There is no revision {revision_id} of the insights form.")
    context = {
        "active": "room",
        "revision": revision,
        "latest_id": latest.id if latest else None,
        "goals": GOALS,
    }
    return await render(request, "room/insights_form_revision.html", context)


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_names: bool = False


class GenerateForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision_id: int = Field(ge=1)
    as_of: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    include_names: bool = False
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


async def _prepare(
    request: web.Request, *, revision_id: int | None, as_of: datetime, include_names: bool
) -> ai_report.Prepared:
    endpoint = _endpoint(request)
    model = endpoint.model if isinstance(endpoint, AiEndpoint) else ""
    async with request.app[db_key].read() as conn:
        revision = await (
            store.get_revision(conn, revision_id) if revision_id else store.latest_revision(conn)
        )
        if revision is None:
            raise InvalidInput("Save the insights form first: a report starts from its answers.")
        return await ai_report.prepare(conn, revision, model=model, as_of=as_of, include_names=include_names)


async def _preview_page(
    request: web.Request, prepared: ai_report.Prepared, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    endpoint = _endpoint(request)
    context = {"active": "room", "prepared": prepared, "as_of_text": to_db(prepared.as_of),
               "endpoint": endpoint if isinstance(endpoint, AiEndpoint) else None,
               "not_configured": endpoint if isinstance(endpoint, str) else None,
               "can_generate": may(request, Permission.MANAGE_JOBS), "errors": errors or [],
               "insights_link": _insights_link(request)}  # fmt: skip
    return await render(request, "room/insights_form_preview.html", context, status=status)


@requires(Permission.VIEW_STATS)
async def room_insights_form_preview(request: web.Request) -> web.StreamResponse:
    try:
        query = PreviewQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        raise InvalidInput(
            "The preview's options are not valid", details=form_errors(exc, PreviewQuery)
        ) from exc
    # Whole milliseconds, as stored: the Generate form carries this moment back as text.
    moment = utcnow()
    now = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    prepared = await _prepare(request, revision_id=None, as_of=now, include_names=query.include_names)
    return await _preview_page(request, prepared)


@requires(Permission.MANAGE_JOBS)
async def room_insights_form_generate(request: web.Request) -> web.StreamResponse:
    form = await parse_form(request, GenerateForm)
    endpoint = _endpoint(request)
    if isinstance(endpoint, str):
        raise InvalidInput(endpoint)
    as_of = from_db(form.as_of)
    if not timedelta(0) <= datetime.now(UTC) - as_of <= PREVIEW_VALID:
        raise InvalidInput("This preview is too old to send: open the preview again.")
    prepared = await _prepare(
        request, revision_id=form.revision_id, as_of=as_of, include_names=form.include_names
    )
    if prepared.digest != form.digest:
        fresh = await _prepare(request, revision_id=None, as_of=utcnow(), include_names=form.include_names)
        message = (
            "What would be sent changed since the preview (new events or a new revision); check it again."
        )
        return await _preview_page(request, fresh, errors=[message], status=409)
    try:
        report_id = await ai_report.generate(request.app[db_key], request.app[http_key], endpoint, prepared,
                                             by=acting_user(request))  # fmt: skip
    except ai_report.ReportFailed as exc:
        return await _preview_page(request, prepared, errors=[exc.message], status=exc.status)
    await sessions.flash(request, f"Report {report_id} generated.")
    raise web.HTTPSeeOther(request.app.router["room_insights_report"].url_for(report_id=str(report_id)))


@requires(Permission.VIEW_STATS)
async def room_insights_report(request: web.Request) -> web.StreamResponse:
    report_id = route_id(request, "report_id")
    async with request.app[db_key].read() as conn:
        report = await store.get_report(conn, report_id)
    if report is None:
        raise NotFound(f"There is no AI report {report_id}.")
    context = {"active": "room", "report": report,
               "request_text": json.dumps(report.request, indent=2, ensure_ascii=False),
               "statistics_text": json.dumps(report.statistics, indent=2, ensure_ascii=False)}  # fmt: skip
    return await respond(request, "room/insights_report.html", context, page_json.report)
