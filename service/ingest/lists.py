"""List snapshots: the service's own completeness check; the follow rules are `ingest.follows`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.clock import now_db, to_db
from service.ingest import alerting, follows
from service.ingest.models import ListSnapshotRequest
from service.store import snapshots
from service.store.db import Connection, Database

log = logging.getLogger(__name__)

LISTS_OF_KIND = {"following": ("online", "offline"), "followers": ("followers",)}
DIRECTION_OF_KIND = {"following": "following", "followers": "follower"}


@dataclass(frozen=True, slots=True)
class SnapshotOutcome:
    snapshot_id: int
    duplicate: bool
    complete: bool
    reason: str | None
    status: str
    added: int
    suspected: int
    confirmed: int
    held: int
    alerts: int = 0  # unfollow alerts raised: the caller wakes the listeners after the commit

    def as_json(self) -> dict[str, object]:
        return {"ok": True, "snapshot_id": self.snapshot_id, "duplicate": self.duplicate,
                "complete": self.complete, "reason": self.reason, "status": self.status,
                "added": self.added, "suspected": self.suspected, "confirmed": self.confirmed,
                "held": self.held}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunClaim:
    """What the extension says about a run; the service checks it against the pages."""

    kind: str
    complete: bool
    abort_reason: str | None
    expected_total: int | None


def claim_of(snap: ListSnapshotRequest) -> RunClaim:
    return RunClaim(snap.kind, snap.complete, snap.abort_reason, snap.expected_total)


def _redirected(page: snapshots.PageFacts) -> bool:
    if not page.url or not page.final_url:
        return False
    asked, ended = urlsplit(page.url), urlsplit(page.final_url)
    return (asked.netloc, asked.path.rstrip("/")) != (ended.netloc, ended.path.rstrip("/"))


def _pages_problem(kind: str, pages: Sequence[snapshots.PageFacts]) -> str | None:
    numbers: dict[str, list[int]] = {name: [] for name in LISTS_OF_KIND[kind]}
    for page in pages:
        if page.list_name not in numbers:
            return "unrecognised"
        if _redirected(page):
            return "login" if "/auth/login" in (page.final_url or "") else "redirected"
        if page.page > 1 and page.empty:
            return "empty_page"
        numbers[page.list_name].append(page.page)
    for listed in numbers.values():
        if sorted(listed) != list(range(1, len(listed) + 1)) or not listed:
            return "missing_pages"
    return None


def completeness_problem(claim: RunClaim, pages: Sequence[snapshots.PageFacts], names: int) -> str | None:
    """Why this snapshot cannot count as complete, or None; the extension's claim alone is not enough.

    `names` is how many different names the pages hold. The service cannot see a missing *last*
    page (the payload has no last_page), which is why the following list must add up to the header
    total; the followers page shows no total, so there the extension's reading of the pagination is
    trusted.
    """
    if not claim.complete or claim.abort_reason:
        return claim.abort_reason or "not_complete"
    if problem := _pages_problem(claim.kind, pages):
        return problem
    if claim.kind == "following" and claim.expected_total is None:
        return "total_unknown"
    if claim.expected_total is not None and names != claim.expected_total:
        return "total_mismatch"
    return None


def outcome_of(snapshot: snapshots.Snapshot, *, duplicate: bool) -> SnapshotOutcome:
    return SnapshotOutcome(
        snapshot.id, duplicate, snapshot.complete, snapshot.abort_reason, snapshot.status, snapshot.added,
        snapshot.suspected, snapshot.confirmed, snapshot.held,
    )  # fmt: skip


async def judge_and_reconcile(
    conn: Connection, snapshot_id: int, claim: RunClaim, pages: Sequence[snapshots.PageFacts], *, at: str
) -> SnapshotOutcome:
    """A stored snapshot's pages are all there: check them, then apply the follow rules.

    The names are read out of the stored pages by SQL (`snapshots.load_snapshot_names`), so a
    snapshot that arrived in parts is never held in memory whole.
    """
    names = await snapshots.load_snapshot_names(conn, snapshot_id)
    reason = completeness_problem(claim, pages, names)
    await snapshots.record_verdict(
        conn, snapshot_id, complete=reason is None, abort_reason=reason, names=names
    )
    if reason:
        # The code and a failed page's message are for the log; the page shows a sentence.
        log.info("list snapshot %d (%s) is partial: %s", snapshot_id, claim.kind, reason)
    direction = DIRECTION_OF_KIND[claim.kind]
    effect = await follows.reconcile_snapshot(conn, snapshot_id, direction, complete=reason is None, at=at)
    raised = 0
    if direction == "follower" and (effect.suspected or effect.confirmed):
        raised = await alerting.evaluate_snapshot(conn, snapshot_id, at=now_db())
    return SnapshotOutcome(
        snapshot_id, False, reason is None, reason, effect.status, effect.added, effect.suspected,
        effect.confirmed, effect.held, raised,
    )  # fmt: skip


async def ingest_list_snapshot(
    db: Database, snap: ListSnapshotRequest, *, key: str, client_id: int | None
) -> SnapshotOutcome:
    """Store the snapshot whole and reconcile it, in one transaction; a repeated key changes nothing."""
    async with db.transaction() as conn:
        existing = await snapshots.get_snapshot_by_key(conn, key)
        if existing is not None:
            return outcome_of(existing, duplicate=True)
        pages = [
            snapshots.SnapshotPage(p.list, p.page, p.url, p.final_url, list(p.usernames)) for p in snap.pages
        ]
        # Stored as not complete until the service's own check, which needs the names counted.
        snapshot_id = await snapshots.insert_snapshot(
            conn, key=key, client_id=client_id, kind=snap.kind, account=snap.account,
            started_at=to_db(snap.started_at), finished_at=to_db(snap.finished_at),
            expected_total=snap.expected_total, claimed_complete=snap.complete, pages=pages,
        )  # fmt: skip
        facts = [snapshots.PageFacts(p.list, p.page, p.url, p.final_url, not p.usernames) for p in snap.pages]
        return await judge_and_reconcile(conn, snapshot_id, claim_of(snap), facts, at=to_db(snap.started_at))
