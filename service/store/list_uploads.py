"""List snapshots sent in parts: the upload, its parts' pages until it is finished, and the move of
those pages into the finished snapshot (in SQL, so the whole list is never in the service's memory).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from service.clock import now_db
from service.store.db import Connection
from service.store.snapshots import SnapshotPage


@dataclass(frozen=True, slots=True)
class Upload:
    id: int
    key: str
    kind: str
    account: str
    started_at: str  # as stored (UTC text): compared as text, to the millisecond
    snapshot_id: int | None  # set once finished


def _upload(r: sqlite3.Row) -> Upload:
    return Upload(r["id"], r["upload_key"], r["kind"], r["account"], r["started_at"], r["snapshot_id"])


async def get_upload(conn: Connection, key: str) -> Upload | None:
    async with conn.execute("SELECT * FROM list_uploads WHERE upload_key = :key", {"key": key}) as cursor:
        row = await cursor.fetchone()
    return _upload(row) if row else None


async def insert_upload(
    conn: Connection, *, key: str, client_id: int | None, kind: str, account: str, started_at: str
) -> Upload:
    await conn.execute(
        "INSERT INTO list_uploads (upload_key, client_id, kind, account, started_at, created_at) "
        "VALUES (:key, :client, :kind, :account, :started, :now)",
        {"key": key, "client": client_id, "kind": kind, "account": account, "started": started_at,
         "now": now_db()},
    )  # fmt: skip
    upload = await get_upload(conn, key)
    assert upload is not None
    return upload


async def delete_unfinished_before(conn: Connection, before: str) -> int:
    """Uploads never finished (the browser was closed for good mid-run) and their pages."""
    cursor = await conn.execute(
        "DELETE FROM list_uploads WHERE snapshot_id IS NULL AND created_at < :before", {"before": before}
    )
    return cursor.rowcount


async def has_part(conn: Connection, upload_id: int, part: int) -> bool:
    async with conn.execute(
        "SELECT 1 FROM list_upload_pages WHERE upload_id = :upload AND part = :part LIMIT 1",
        {"upload": upload_id, "part": part},
    ) as cursor:
        return await cursor.fetchone() is not None


async def insert_part(conn: Connection, upload_id: int, part: int, pages: Sequence[SnapshotPage]) -> None:
    await conn.executemany(
        "INSERT INTO list_upload_pages (upload_id, part, seq, list, page, url, final_url, usernames) "
        "VALUES (:upload, :part, :seq, :list, :page, :url, :final_url, :usernames)",
        [
            {"upload": upload_id, "part": part, "seq": seq, "list": p.list_name, "page": p.page, "url": p.url,
             "final_url": p.final_url, "usernames": json.dumps(p.usernames)}
            for seq, p in enumerate(pages)
        ],
    )  # fmt: skip


async def received_parts(conn: Connection, upload_id: int) -> list[int]:
    async with conn.execute(
        "SELECT DISTINCT part FROM list_upload_pages WHERE upload_id = :upload ORDER BY part",
        {"upload": upload_id},
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def finish_into_snapshot(conn: Connection, upload_id: int, snapshot_id: int) -> int:
    """Move the parts' pages, in part order, into the snapshot; returns how many pages moved."""
    cursor = await conn.execute(
        "INSERT INTO list_snapshot_pages (snapshot_id, seq, list, page, url, final_url, usernames) "
        "SELECT :snapshot, row_number() OVER (ORDER BY part, seq) - 1, list, page, url, final_url, usernames "
        "FROM list_upload_pages WHERE upload_id = :upload",
        {"snapshot": snapshot_id, "upload": upload_id},
    )
    moved = cursor.rowcount
    await conn.execute("DELETE FROM list_upload_pages WHERE upload_id = :upload", {"upload": upload_id})
    await conn.execute(
        "UPDATE list_uploads SET snapshot_id = :snapshot WHERE id = :upload",
        {"snapshot": snapshot_id, "upload": upload_id},
    )
    return moved
