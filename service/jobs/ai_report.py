"""The optional AI report of Room › Insights form: what is sent, sending it, and keeping the answer.

`prepare` builds the exact request body (the form's answers and the room's statistics; no usernames
unless asked) that the Preview shows and `generate` sends. The Preview carries a digest of that body,
and `generate` refuses when the body it would send now differs (a new revision, late events), so what
was shown is what is sent. A report is stored only when the server gave a usable answer; every failure
is a sentence for the page, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from service.clock import utcnow
from service.settings import AiEndpoint
from service.sources.ai_chat.client import ChatClient
from service.sources.base import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceNotFoundError,
    SourceResponseError,
    SourceTimeoutError,
)
from service.sources.http import SourceUnavailableError, redact_url
from service.store import insights_form
from service.store.db import Connection, Database
from service.store.insights_form import GOALS, InsightsAnswers, NewReport, Revision
from service.store.report_statistics import room_statistics

log = logging.getLogger(__name__)

DAYS = 30
SYSTEM_PROMPT = (
    "You advise a live-cam broadcaster on how to grow their room. You get their questionnaire answers "
    "and statistics of their room's last 30 days (UTC; aggregates only). Write a short, concrete report in "
    "plain text: what the numbers say, then up to five suggestions that fit their goals, schedule, show "
    "types, tip menu and room rules. Never suggest anything listed under 'never_suggest'. Do not invent "
    "numbers that are not in the statistics."
)


class ReportFailed(Exception):
    """A report could not be made: `message` is the sentence for the page, `status` the page's status."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Prepared:
    """What one report would send: the body exactly, the statistics in it, and the body's digest."""

    revision: Revision
    as_of: datetime
    include_names: bool
    statistics: dict[str, Any]
    body: dict[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.body, sort_keys=True).encode()).hexdigest()

    @property
    def shown(self) -> str:
        """The body as the Preview shows it."""
        return json.dumps(self.body, indent=2, ensure_ascii=False)


def answers_for_prompt(answers: InsightsAnswers) -> dict[str, Any]:
    data = answers.model_dump(mode="json")
    data["goals"] = [GOALS[g] for g in answers.goals]
    return data


def request_body(model: str, answers: InsightsAnswers, statistics: dict[str, Any]) -> dict[str, Any]:
    user = (
        "Questionnaire answers (JSON):\n"
        + json.dumps(answers_for_prompt(answers), indent=2, ensure_ascii=False)
        + "\n\nRoom statistics (JSON):\n"
        + json.dumps(statistics, indent=2, ensure_ascii=False)
    )
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
    return {"model": model, "messages": messages, "stream": False}


async def prepare(
    conn: Connection, revision: Revision, *, model: str, as_of: datetime, include_names: bool
) -> Prepared:
    statistics = await room_statistics(conn, as_of=as_of, days=DAYS, include_names=include_names)
    body = request_body(model, revision.answers, statistics)
    return Prepared(revision, as_of, include_names, statistics, body)


def _sentence(exc: SourceError, endpoint: AiEndpoint) -> tuple[str, int]:
    """What went wrong, in words for the page, and the page's status."""
    if isinstance(exc, SourceTimeoutError):
        return (f"The AI server did not answer within {endpoint.timeout_seconds:g} seconds. Try again, or "
                "raise the timeout in Admin › Settings › AI report.", 504)  # fmt: skip
    if isinstance(exc, SourceUnavailableError):
        return f"The AI server failed (HTTP {exc.status}). Try again later.", 502
    if isinstance(exc, SourceConnectionError):
        return f"The AI server at {endpoint.base_url} could not be reached. Is it running?", 502
    status = exc.status if isinstance(exc, SourceResponseError) else None
    if isinstance(exc, SourceAuthError):
        message = (
            f"The AI server refused the API key (HTTP {status}). Check it in Admin › Settings › AI report."
        )
    elif isinstance(exc, SourceNotFoundError):
        message = (f"The AI server has no {endpoint.url} (HTTP 404), or does not know the model "
                   f"“{endpoint.model}”.")  # fmt: skip
    elif status is not None and status >= 300:
        message = f"The AI server refused the request (HTTP {status})."
    else:
        message = "The AI server's answer was not a chat completion (no choices[0].message.content)."
    return message, 502


def _failure(exc: SourceError, endpoint: AiEndpoint) -> ReportFailed:
    message, status = _sentence(exc, endpoint)
    return ReportFailed(f"{message} No report was stored.", status)


async def generate(
    db: Database, http: httpx.AsyncClient, endpoint: AiEndpoint, prepared: Prepared, *, by: str | None
) -> int:
    """Send the prepared body and store the report; its id. ReportFailed (nothing stored) otherwise."""
    client = ChatClient(http, endpoint.base_url, endpoint.api_key, timeout=endpoint.timeout_seconds)
    try:
        answer = await client.complete(prepared.body)
    except SourceError as exc:
        log.warning("AI report failed: %s", exc)
        raise _failure(exc, endpoint) from None
    report = NewReport(
        revision_id=prepared.revision.id, as_of=prepared.as_of, include_names=prepared.include_names,
        endpoint=redact_url(client.url), model=endpoint.model, request=prepared.body,
        statistics=prepared.statistics, content=answer.content, answered_model=answer.model,
    )  # fmt: skip
    async with db.transaction() as conn:
        return await insights_form.insert_report(conn, report, by=by, at=utcnow())
