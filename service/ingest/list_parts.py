"""A list snapshot sent in parts: too long for one request (a 1M-name followers list is 11,112 pages),
so the extension sends its pages as it reads them, then says the run is over.

- A part is stored as it arrives, under the upload the extension names; the same part again changes
  nothing. Nothing counts yet: no name is added, no doubt raised.
- The finish turns the upload into one list snapshot with every page that arrived, in part order,
  and reconciles it exactly as a snapshot sent whole (`lists.judge_and_reconcile`). If a part the
  finish counts never arrived, the snapshot is partial ("missing_parts"): its names are added, no one
  is suspected or unfollowed. A repeated finish answers the same snapshot; a part after the finish
  is refused.
- An upload never finished (the browser closed for good mid-run) is removed after a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from service.clock import to_db, utcnow
from service.errors import Conflict
from service.ingest.lists import RunClaim, SnapshotOutcome, judge_and_reconcile, outcome_of
from service.ingest.models import ListFinishRequest, ListPartRequest
from service.store import list_uploads, snapshots
from service.store.db import Connection, Database

STALE_UPLOAD = timedelta(days=7)
MISSING_PARTS = "missing_parts"


@dataclass(frozen=True, slots=True)
class PartOutcome:
    upload: str
    part: int
    duplicate: bool
    pages: int

    def as_json(self) -> dict[str, object]:
        return {"ok": True, "upload": self.upload, "part": self.part, "duplicate": self.duplicate,
                "pages": self.pages}  # fmt: skip


def _check_same_run(upload: list_uploads.Upload, body: ListPartRequest | ListFinishRequest) -> None:
    if (upload.kind, upload.account, upload.started_at) != (body.kind, body.account, to_db(body.started_at)):
        raise Conflict(
            f"Upload {upload.key!r} belongs to another list run (its kind, account or start differ); "
            "nothing was stored."
        )


async def _upload_for(
    conn: Connection, body: ListPartRequest | ListFinishRequest, client_id: int | None
) -> list_uploads.Upload:
    upload = await list_uploads.get_upload(conn, body.upload)
    if upload is not None:
        _check_same_run(upload, body)
        return upload
    await list_uploads.delete_unfinished_before(conn, to_db(utcnow() - STALE_UPLOAD))
    return await list_uploads.insert_upload(
        conn, key=body.upload, client_id=client_id, kind=body.kind, account=body.account,
        started_at=to_db(body.started_at),
    )  # fmt: skip


async def receive_part(db: Database, body: ListPartRequest, *, client_id: int | None) -> PartOutcome:
    """Keep one part's pages until the finish; a part already received changes nothing."""
    async with db.transaction() as conn:
        upload = await _upload_for(conn, body, client_id)
        if upload.snapshot_id is not None:
            raise Conflict(
                f"This list run was already finished (snapshot {upload.snapshot_id}); a part sent after "
                "its end is not used."
            )
        if await list_uploads.has_part(conn, upload.id, body.part):
            return PartOutcome(body.upload, body.part, True, len(body.pages))
        pages = [
            snapshots.SnapshotPage(p.list, p.page, p.url, p.final_url, list(p.usernames)) for p in body.pages
        ]
        await list_uploads.insert_part(conn, upload.id, body.part, pages)
        return PartOutcome(body.upload, body.part, False, len(pages))


async def finish_upload(db: Database, body: ListFinishRequest, *, client_id: int | None) -> SnapshotOutcome:
    """The run is over: its parts become one snapshot, reconciled; a repeat answers the same one."""
    async with db.transaction() as conn:
        upload = await _upload_for(conn, body, client_id)
        if upload.snapshot_id is not None:
            existing = await snapshots.get_snapshot(conn, upload.snapshot_id)
            if existing is not None:
                return outcome_of(existing, duplicate=True)
        received = await list_uploads.received_parts(conn, upload.id)
        all_there = received == list(range(1, body.parts + 1))
        snapshot_id = await snapshots.insert_snapshot(
            conn, key=f"upload:{body.upload}", client_id=client_id, kind=body.kind, account=body.account,
            started_at=to_db(body.started_at), finished_at=to_db(body.finished_at),
            expected_total=body.expected_total, claimed_complete=body.complete, pages=[],
        )  # fmt: skip
        await list_uploads.finish_into_snapshot(conn, upload.id, snapshot_id)
        # The extension's own reason says more about the run; without one, the lost parts are why.
        reason = body.abort_reason or (None if all_there else MISSING_PARTS)
        claim = RunClaim(body.kind, body.complete and all_there, reason, body.expected_total)
        pages = await snapshots.page_facts(conn, snapshot_id)
        return await judge_and_reconcile(conn, snapshot_id, claim, pages, at=to_db(body.started_at))
