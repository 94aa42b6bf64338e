"""The JSON twins of Room › Insights form and of one AI report (the page_json.py pattern, kept apart)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.store.insights_form import Report, Revision
from service.web.json_view import iso


def _revision(revision: Revision) -> dict[str, Any]:
    return {"id": revision.id, "saved_at": iso(revision.saved_at), "saved_by": revision.saved_by,
            "answers": revision.answers.model_dump(mode="json")}  # fmt: skip


def form_page(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    latest, endpoint = context["latest"], context["endpoint"]
    return {
        "latest": _revision(latest) if latest else None,
        "earlier": [{"id": r.id, "saved_at": iso(r.saved_at), "saved_by": r.saved_by}
                    for r in context["earlier"]],
        "reports": [{"id": r.id, "created_at": iso(r.created_at), "created_by": r.created_by,
                     "revision_id": r.revision_id, "model": r.model, "include_names": r.include_names}
                    for r in context["reports"]],
        "ai_report": {"configured": endpoint is not None, "not_configured": context["not_configured"],
                      "model": endpoint.model if endpoint else None},
    }  # fmt: skip


def report(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    found: Report = context["report"]
    return {"id": found.id, "created_at": iso(found.created_at), "created_by": found.created_by,
            "revision_id": found.revision_id, "as_of": iso(found.as_of), "include_names": found.include_names,
            "endpoint": found.endpoint, "model": found.model, "answered_model": found.answered_model,
            "request": found.request, "statistics": found.statistics, "content": found.content}  # fmt: skip
