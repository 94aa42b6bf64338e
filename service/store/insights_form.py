"""The AI Insights Form's revisions and the AI reports made from them.

Every save of the form is a new revision (who, when, the answers as JSON); the page shows the latest
and lists the earlier ones. A report keeps the exact request body it sent (model and messages; the
API key travels only in a header and is never stored), the statistics it was given and the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.clock import from_db, to_db
from service.store.db import Connection

Goal = Literal["more_followers", "more_tokens", "fewer_hours"]
GOALS: dict[str, str] = {
    "more_followers": "More followers",
    "more_tokens": "More tokens",
    "fewer_hours": "Fewer hours",
}
MAX_TIP_ITEMS = 50
MAX_TIP_PRICE = 100_000
MAX_ITEM_LENGTH = 80
MAX_SHOW_TYPES = 20
MAX_TEXT = 2000
MAX_RULES = 4000

ShowType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ITEM_LENGTH)]


class TipItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    item: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ITEM_LENGTH)]
    price: int = Field(ge=1, le=MAX_TIP_PRICE, strict=True)


class InsightsAnswers(BaseModel):
    """The questionnaire's answers, as stored and as sent to an AI report."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    goals: list[Goal] = Field(default_factory=list, max_length=len(GOALS), title="Goals")
    schedule: str = Field(default="", max_length=MAX_TEXT, title="Schedule constraints")
    show_types: list[ShowType] = Field(default_factory=list, max_length=MAX_SHOW_TYPES, title="Show types")
    tip_menu: list[TipItem] = Field(default_factory=list, max_length=MAX_TIP_ITEMS, title="Tip menu")
    room_rules: str = Field(default="", max_length=MAX_RULES, title="Room rules")
    improve: str = Field(default="", max_length=MAX_TEXT, title="What you want to improve")
    never_suggest: str = Field(default="", max_length=MAX_TEXT, title="What must never be suggested")


@dataclass(frozen=True, slots=True)
class Revision:
    id: int
    saved_at: datetime
    saved_by: str | None
    answers: InsightsAnswers


@dataclass(frozen=True, slots=True)
class ReportSummary:
    id: int
    created_at: datetime
    created_by: str | None
    revision_id: int
    model: str
    include_names: bool


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a generated report stores: everything needed to send the same request again."""

    revision_id: int
    as_of: datetime
    include_names: bool
    endpoint: str
    model: str
    request: dict[str, Any]
    statistics: dict[str, Any]
    content: str
    answered_model: str | None


@dataclass(frozen=True, slots=True)
class Report(NewReport):
    """A stored report: what was generated, and who asked for it when."""

    id: int
    created_at: datetime
    created_by: str | None


def _revision(row: aiosqlite.Row) -> Revision:
    answers = InsightsAnswers.model_validate_json(row["answers"])
    return Revision(row["id"], from_db(row["saved_at"]), row["saved_by"], answers)


async def save_revision(conn: Connection, answers: InsightsAnswers, *, by: str | None, at: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO insights_form_revisions (saved_at, saved_by, answers) VALUES (:at, :by, :answers)",
        {"at": to_db(at), "by": by, "answers": answers.model_dump_json()},
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def latest_revision(conn: Connection) -> Revision | None:
    sql = "SELECT id, saved_at, saved_by, answers FROM insights_form_revisions ORDER BY id DESC LIMIT 1"
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    return _revision(row) if row else None


async def get_revision(conn: Connection, revision_id: int) -> Revision | None:
    sql = "SELECT id, saved_at, saved_by, answers FROM insights_form_revisions WHERE id = :id"
    async with conn.execute(sql, {"id": revision_id}) as cursor:
        row = await cursor.fetchone()
    return _revision(row) if row else None


async def list_revisions(conn: Connection, *, limit: int = 100) -> list[Revision]:
    """Newest first."""
    sql = "SELECT id, saved_at, saved_by, answers FROM insights_form_revisions ORDER BY id DESC LIMIT :limit"
    async with conn.execute(sql, {"limit": limit}) as cursor:
        return [_revision(row) for row in await cursor.fetchall()]


async def insert_report(conn: Connection, report: NewReport, *, by: str | None, at: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO ai_reports (created_at, created_by, revision_id, as_of, include_names, endpoint, model, "
        "request, statistics, content, answered_model) VALUES (:at, :by, :revision_id, :as_of, :names, "
        ":endpoint, :model, :request, :statistics, :content, :answered_model)",
        {"at": to_db(at), "by": by, "revision_id": report.revision_id, "as_of": to_db(report.as_of),
         "names": int(report.include_names), "endpoint": report.endpoint, "model": report.model,
         "request": json.dumps(report.request), "statistics": json.dumps(report.statistics),
         "content": report.content, "answered_model": report.answered_model},
    )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def list_reports(conn: Connection, *, limit: int = 100) -> list[ReportSummary]:
    """Newest first."""
    sql = ("SELECT id, created_at, created_by, revision_id, model, include_names FROM ai_reports "
           "ORDER BY id DESC LIMIT :limit")  # fmt: skip
    async with conn.execute(sql, {"limit": limit}) as cursor:
        rows = await cursor.fetchall()
    return [ReportSummary(r["id"], from_db(r["created_at"]), r["created_by"], r["revision_id"], r["model"],
                          bool(r["include_names"])) for r in rows]  # fmt: skip


async def get_report(conn: Connection, report_id: int) -> Report | None:
    sql = ("SELECT id, created_at, created_by, revision_id, as_of, include_names, endpoint, model, request, "
           "statistics, content, answered_model FROM ai_reports WHERE id = :id")  # fmt: skip
    async with conn.execute(sql, {"id": report_id}) as cursor:
        r = await cursor.fetchone()
    if r is None:
        return None
    return Report(
        revision_id=r["revision_id"],
        as_of=from_db(r["as_of"]),
        include_names=bool(r["include_names"]),
        endpoint=r["endpoint"],
        model=r["model"],
        request=json.loads(r["request"]),
        statistics=json.loads(r["statistics"]),
        content=r["content"],
        answered_model=r["answered_model"],
        id=r["id"],
        created_at=from_db(r["created_at"]),
        created_by=r["created_by"],
    )
