"""Written summaries on pages: the stored report of a broadcast (or one written now, read-only, while
the stored one is missing or stale), the weekly digest, and their parts made ready for templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.clock import from_db, utcnow
from service.fan_tiers import FanRules
from service.ingest import broadcast_report, report_text, weekly_digest
from service.ingest.report_text import Sentence
from service.store import broadcast_reports
from service.store.broadcasts import Broadcast
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class ShownReport:
    # 'live' (summary when the broadcast ends), 'ready' (stored), 'updating' (stored, then changed by late
    # events: written now), 'pending' (not stored yet: written now, stored by the summaries job)
    state: str
    generated_at: datetime | None
    facts: dict[str, Any]
    sentences: list[Sentence]

    @property
    def parts(self) -> list[list[dict[str, Any]]]:
        return shown_parts(self.sentences)

    @property
    def text(self) -> list[str]:
        return [report_text.sentence_text(sentence) for sentence in self.sentences]


def shown_parts(sentences: list[Sentence]) -> list[list[dict[str, Any]]]:
    """Every part as a dict the template switches on: text, time (a datetime), num, user."""
    out = []
    for sentence in sentences:
        parts: list[dict[str, Any]] = []
        for part in sentence:
            if isinstance(part, str):
                parts.append({"text": part})
            elif "time" in part:
                parts.append({**part, "time": from_db(part["time"])})
            else:
                parts.append(dict(part))
        out.append(parts)
    return out


async def broadcast_summary(conn: Connection, broadcast: Broadcast, rules: FanRules) -> ShownReport:
    if broadcast.live:
        return ShownReport("live", None, {}, [])
    stored = await broadcast_reports.get_report(conn, broadcast.id)
    if stored is not None and not stored.stale and stored.generated_at is not None:
        return ShownReport("ready", stored.generated_at, stored.facts, stored.sentences)
    now = utcnow()
    report = await broadcast_report.build(conn, broadcast.id, rules, now=now)
    if report is None:  # it reopened meanwhile
        return ShownReport("live", None, {}, [])
    # Stored before, then changed by late events: being brought up to date; never stored yet: pending.
    written = stored is not None and stored.generated_at is not None
    return ShownReport("updating" if written else "pending", now, report.facts, report.sentences)


async def digest(conn: Connection) -> ShownReport:
    now = utcnow()
    found = await weekly_digest.build(conn, until=now)
    return ShownReport("ready", now, found.facts, found.sentences)


def summary_json(report: ShownReport) -> dict[str, Any]:
    return {"state": report.state,
            "generated_at": report.generated_at.isoformat() if report.generated_at else None,
            "sentences": report.text, "facts": report.facts}  # fmt: skip
