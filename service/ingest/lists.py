"""List snapshots: the service's own completeness check; the follow rules are `ingest.follows`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.clock import now_db, to_db
from service.ingest import alerting, follows
from service.ingest.models import ListPageIn, ListSnapshotRequest
from service.store import snapshots
from service.store.db import Database

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


def union_of(pages: Iterable[ListPageIn]) -> list[str]:
    """Every name once, in reading order (a room can move from the online to the offline list)."""
    return list(dict.fromkeys(name for page in pages for name in page.usernames))


def _redirected(page: ListPageIn) -> bool:
    if not page.url or not page.final_url:
        return False
    asked, ended = urlsplit(page.url), urlsplit(page.final_url)
    return (asked.netloc, asked.path.rstrip("/")) != (ended.netloc, ended.path.rstrip("/"))


def _pages_problem(snap: ListSnapshotRequest) -> str | None:
    numbers: dict[str, list[int]] = {name: [] for name in LISTS_OF_KIND[snap.kind]}
    for page in snap.pages:
        if page.list not in numbers:
            return "unrecognised"
        if _redirected(page):
            return "login" if "/auth/login" in (page.final_url or "") else "redirected"
        if page.page > 1 and not page.usernames:
            return "empty_page"
        numbers[page.list].append(page.page)
    for pages in numbers.values():
        if sorted(pages) != list(range(1, len(pages) + 1)) or not pages:
            return "missing_pages"
    return None


def completeness_problem(snap: ListSnapshotRequest) -> str | None:
    """Why this snapshot cannot count as complete, or None; the extension's claim alone is not enough.

    The service cannot see a missing *last* page (the payload has no last_page), which is why the
    following list must add up to the header total; the followers page shows no total, so there the
    extension's reading of the pagination is trusted.
    """
    if not snap.complete or snap.abort_reason:
        return snap.abort_reason or "not_complete"
    if problem := _pages_problem(snap):
        return problem
    if snap.kind == "following" and snap.expected_total is None:
        return "total_unknown"
    if snap.expected_total is not None and len(union_of(snap.pages)) != snap.expected_total:
        return "total_mismatch"
    return None


async def ingest_list_snapshot(
    db: Database, snap: ListSnapshotRequest, *, key: str, client_id: int | None
) -> SnapshotOutcome:
    """Store the snapshot whole and reconcile it, in one transaction; a repeated key changes nothing."""
    async with db.transaction() as conn:
        existing = await snapshots.get_snapshot_by_key(conn, key)
        if existing is not None:
            return SnapshotOutcome(
                existing.id, True, existing.complete, existing.abort_reason, existing.status,
                existing.added, existing.suspected, existing.confirmed, existing.held,
            )  # fmt: skip
        reason = completeness_problem(snap)
        names = union_of(snap.pages)
        pages = [
            snapshots.SnapshotPage(p.list, p.page, p.url, p.final_url, list(p.usernames)) for p in snap.pages
        ]
        snapshot_id = await snapshots.insert_snapshot(
            conn, key=key, client_id=client_id, kind=snap.kind, account=snap.account,
            started_at=to_db(snap.started_at), finished_at=to_db(snap.finished_at),
            expected_total=snap.expected_total, claimed_complete=snap.complete, complete=reason is None,
            abort_reason=reason, names=len(names), pages=pages,
        )  # fmt: skip
        if reason:
            # The code and a failed page's message are for the log; the page shows a sentence.
            log.info("list snapshot %d (%s) is partial: %s", snapshot_id, snap.kind, reason)
        effect = await follows.reconcile_snapshot(
            conn, snapshot_id, DIRECTION_OF_KIND[snap.kind], names, complete=reason is None,
            at=to_db(snap.started_at),
        )  # fmt: skip
        raised = 0
        if DIRECTION_OF_KIND[snap.kind] == "follower" and (effect.suspected or effect.confirmed):
            raised = await alerting.evaluate_snapshot(conn, snapshot_id, at=now_db())
        return SnapshotOutcome(
            snapshot_id, False, reason is None, reason, effect.status, effect.added, effect.suspected,
            effect.confirmed, effect.held, raised,
        )  # fmt: skip
