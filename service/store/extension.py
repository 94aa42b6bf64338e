"""Paired extensions, one-time pairing codes and the scrape tasks queued for the extension."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db, now_db, to_db
from service.store.db import Connection, Database, fetch_one

TASK_KINDS = ("following", "followers", "profile")
TASK_STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class ExtClient:
    id: int
    extension_id: str
    paired_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class PairingCode:
    created_at: datetime
    expires_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class ScrapeTask:
    id: int
    kind: str
    username: str | None
    state: str
    reason: str | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result_ref: str | None


def _when(value: str | None) -> datetime | None:
    return from_db(value) if value else None


# --------------------------------------------------------------------------- pairing


async def insert_pairing_code(
    conn: Connection, *, code_hash: str, expires_at: datetime, created_by: str | None
) -> None:
    """A new code replaces every unused one: only the code shown last can pair."""
    now = now_db()
    await conn.execute("DELETE FROM ext_pairing_codes WHERE used_at IS NULL")
    await conn.execute(
        "INSERT INTO ext_pairing_codes (code_hash, created_at, expires_at, created_by) "
        "VALUES (:hash, :now, :expires, :by)",
        {"hash": code_hash, "now": now, "expires": to_db(expires_at), "by": created_by},
    )


async def get_live_pairing_code(conn: Connection) -> PairingCode | None:
    async with conn.execute(
        "SELECT created_at, expires_at, created_by FROM ext_pairing_codes "
        "WHERE used_at IS NULL AND expires_at > :now ORDER BY created_at DESC LIMIT 1",
        {"now": now_db()},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return PairingCode(from_db(row["created_at"]), from_db(row["expires_at"]), row["created_by"])


async def use_pairing_code(
    conn: Connection, *, code_hash: str, extension_id: str, token_hash: str
) -> int | None:
    """Spend a live code on a new client; the client's id, or None if the code is unknown or stale."""
    now = now_db()
    cursor = await conn.execute(
        "UPDATE ext_pairing_codes SET used_at = :now WHERE code_hash = :hash "
        "AND used_at IS NULL AND expires_at > :now",
        {"now": now, "hash": code_hash},
    )
    if cursor.rowcount != 1:
        return None
    cursor = await conn.execute(
        "INSERT INTO ext_clients (extension_id, token_hash, paired_at) VALUES (:ext, :token, :now)",
        {"ext": extension_id, "token": token_hash, "now": now},
    )
    client_id = int(cursor.lastrowid or 0)
    await conn.execute(
        "UPDATE ext_pairing_codes SET used_by_client = :client WHERE code_hash = :hash",
        {"client": client_id, "hash": code_hash},
    )
    return client_id


async def client_for_token(conn: Connection, token_hash: str) -> tuple[int, datetime | None] | None:
    """(id, last used) of the live (not revoked) client holding this token."""
    async with conn.execute(
        "SELECT id, last_used_at FROM ext_clients WHERE token_hash = :hash AND revoked_at IS NULL",
        {"hash": token_hash},
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), _when(row[1])) if row else None


async def touch_client(conn: Connection, client_id: int) -> None:
    await conn.execute(
        "UPDATE ext_clients SET last_used_at = :now WHERE id = :id", {"now": now_db(), "id": client_id}
    )


async def revoke_client(conn: Connection, client_id: int) -> bool:
    cursor = await conn.execute(
        "UPDATE ext_clients SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
        {"now": now_db(), "id": client_id},
    )
    return cursor.rowcount == 1


async def list_clients(conn: Connection) -> list[ExtClient]:
    async with conn.execute("SELECT * FROM ext_clients ORDER BY paired_at DESC, id DESC") as cursor:
        rows = await cursor.fetchall()
    return [
        ExtClient(
            id=row["id"],
            extension_id=row["extension_id"],
            paired_at=from_db(row["paired_at"]),
            last_used_at=_when(row["last_used_at"]),
            revoked_at=_when(row["revoked_at"]),
        )
        for row in rows
    ]


async def has_active_client(conn: Connection) -> bool:
    """Whether any paired extension is still allowed in: queued work has somewhere to go."""
    row = await fetch_one(conn, "SELECT EXISTS (SELECT 1 FROM ext_clients WHERE revoked_at IS NULL)")
    return bool(row and row[0])


# --------------------------------------------------------------------------- tasks


async def queue_scrapes(
    db: Database, *, lists: Sequence[str] = (), usernames: Sequence[str] = (), by: str
) -> list[tuple[int, bool]]:
    """Queue list runs and profile scrapes in one transaction; (task id, newly queued) for each, in
    the order given. The panel, `mhc scrape` and the daily schedule all queue work through here."""
    async with db.transaction() as conn:
        queued = [await queue_task(conn, kind, None, requested_by=by) for kind in lists]
        for name in usernames:
            queued.append(await queue_task(conn, "profile", name, requested_by=by))
    return queued


def _task(r: sqlite3.Row) -> ScrapeTask:
    return ScrapeTask(
        id=r["id"],
        kind=r["kind"],
        username=r["username"],
        state=r["state"],
        reason=r["reason"],
        requested_by=r["requested_by"],
        created_at=from_db(r["created_at"]),
        started_at=_when(r["started_at"]),
        finished_at=_when(r["finished_at"]),
        result_ref=r["result_ref"],
    )


async def queue_task(
    conn: Connection, kind: str, username: str | None, *, requested_by: str
) -> tuple[int, bool]:
    """(task id, newly queued): an identical task still open is reused rather than doubled."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    cursor = await conn.execute(
        "INSERT INTO scrape_tasks (kind, username, requested_by, created_at) "
        "VALUES (:kind, :username, :by, :now) "
        "ON CONFLICT (kind, coalesce(username, '')) WHERE state IN ('queued', 'running') DO NOTHING",
        {"kind": kind, "username": username, "by": requested_by, "now": now_db()},
    )
    if cursor.rowcount == 1:
        return int(cursor.lastrowid or 0), True
    async with conn.execute(
        "SELECT id FROM scrape_tasks WHERE kind = :kind AND coalesce(username, '') = coalesce(:username, '') "
        "AND state IN ('queued', 'running')",
        {"kind": kind, "username": username},
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        raise RuntimeError("an open task vanished inside its own transaction")
    return int(row[0]), False


async def pending_tasks(
    conn: Connection, *, client_id: int, stale_before: datetime, limit: int = 20
) -> list[ScrapeTask]:
    """Queued tasks, plus this client's own running tasks that went quiet (its worker was killed)."""
    async with conn.execute(
        "SELECT * FROM scrape_tasks WHERE state = 'queued' "
        "OR (state = 'running' AND client_id = :client AND started_at < :stale) "
        "ORDER BY created_at, id LIMIT :limit",
        {"client": client_id, "stale": to_db(stale_before), "limit": limit},
    ) as cursor:
        return [_task(row) for row in await cursor.fetchall()]


async def update_task(
    conn: Connection, task_id: int, state: str, *, client_id: int, reason: str | None, result_ref: str | None
) -> bool:
    """Move a task on; a finished task stays finished (a late duplicate report changes nothing).

    Only the client that took the task (or anyone, while nobody has) moves it: one extension must
    not finish another's run.
    """
    if state not in TASK_STATES or state == "queued":
        raise ValueError(f"a task cannot be moved to {state!r}")
    now = now_db()
    cursor = await conn.execute(
        "UPDATE scrape_tasks SET state = :state, reason = :reason, client_id = :client, "
        "result_ref = coalesce(:ref, result_ref), "
        "started_at = CASE WHEN :state = 'running' THEN :now ELSE coalesce(started_at, :now) END, "
        "finished_at = CASE WHEN :state IN ('done', 'failed') THEN :now END "
        "WHERE id = :id AND state IN ('queued', 'running') AND (client_id IS NULL OR client_id = :client)",
        {"state": state, "reason": reason, "client": client_id, "ref": result_ref, "now": now, "id": task_id},
    )
    return cursor.rowcount == 1


async def get_task_client(conn: Connection, task_id: int) -> int | None:
    """The client that took the task; None while nobody has (or that client was deleted)."""
    async with conn.execute("SELECT client_id FROM scrape_tasks WHERE id = :id", {"id": task_id}) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def task_result(conn: Connection, ref_type: str, ref_id: int) -> tuple[str, str | None] | None:
    """What a task's result reference points at, as (task kind, username): a list snapshot gives its
    list kind, a profile scrape ('profile', the scraped name); None when there is no such record."""
    if ref_type == "snapshot":
        sql = "SELECT kind, NULL FROM list_snapshots WHERE id = :id"
    elif ref_type == "profile":
        sql = (
            "SELECT 'profile', p.username FROM profile_scrapes AS s JOIN persons AS p ON p.id = s.person_id "
            "WHERE s.id = :id"
        )
    else:
        raise ValueError(f"unknown result reference type {ref_type!r}")
    async with conn.execute(sql, {"id": ref_id}) as cursor:
        row = await cursor.fetchone()
    return (str(row[0]), row[1]) if row else None


async def get_task(conn: Connection, task_id: int) -> ScrapeTask | None:
    async with conn.execute("SELECT * FROM scrape_tasks WHERE id = :id", {"id": task_id}) as cursor:
        row = await cursor.fetchone()
    return _task(row) if row else None


async def list_tasks(conn: Connection, *, kind: str | None = None, limit: int = 20) -> list[ScrapeTask]:
    async with conn.execute(
        "SELECT * FROM scrape_tasks WHERE (:kind IS NULL OR kind = :kind) ORDER BY created_at DESC, id DESC "
        "LIMIT :limit",
        {"kind": kind, "limit": limit},
    ) as cursor:
        return [_task(row) for row in await cursor.fetchall()]
