"""The written summaries kept with broadcasts: marking them stale, finding the ones to (re)generate,
storing one, reading one, and whether an alert about one was raised already.

The Events batch marks every broadcast it touched stale (`mark_stale`, one statement in the batch's
transaction); the generator takes the stale reports of closed broadcasts (`due`), and `save` stores
a report and clears its mark in the generator's own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.clock import from_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class StoredReport:
    broadcast_id: int
    stale: bool
    generated_at: datetime | None
    fingerprint: str | None
    facts: dict[str, Any]
    sentences: list[list[Any]]  # each sentence a list of parts (see ingest/broadcast_report.py)


@dataclass(frozen=True, slots=True)
class Saved:
    changed: bool  # the facts differ from the stored ones (or there were none)
    first: bool  # the report had never been generated
    announce: bool  # the report wants its "summary ready" alert


async def mark_stale(conn: Connection, broadcast_ids: Iterable[int]) -> frozenset[int]:
    """These broadcasts changed: the closed ones among them have their reports generated again (an open
    one is marked when it closes, which touches it). Returns the closed ones: one seek per id, and
    no write at all for a batch that only added to the open broadcast."""
    ids = sorted(set(broadcast_ids))
    if not ids:
        return frozenset()
    # One call on the writer's thread, not three (execute, fetch, close): it runs with every batch.
    rows = await conn.execute_fetchall(
        "SELECT id FROM broadcasts WHERE id IN (SELECT value FROM json_each(:ids)) AND ended_at IS NOT NULL",
        {"ids": json.dumps(ids)},
    )
    closed = [int(row[0]) for row in rows]
    if closed:
        await conn.execute(
            "INSERT INTO broadcast_reports (broadcast_id) SELECT value FROM json_each(:ids) WHERE true "
            "ON CONFLICT (broadcast_id) DO UPDATE SET stale = 1",
            {"ids": json.dumps(closed)},
        )
    return frozenset(closed)


async def due(conn: Connection, *, limit: int = 100, among: Iterable[int] | None = None) -> list[int]:
    """Closed broadcasts whose report is stale, oldest first (only those `among` these, when given)."""
    async with conn.execute(
        "SELECT r.broadcast_id FROM broadcast_reports r JOIN broadcasts b ON b.id = r.broadcast_id "
        "WHERE r.stale = 1 AND b.ended_at IS NOT NULL "
        "AND (:among IS NULL OR r.broadcast_id IN (SELECT value FROM json_each(:among))) "
        "ORDER BY b.started_at, b.id LIMIT :limit",
        {"limit": limit, "among": None if among is None else json.dumps(sorted(among))},
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def save(
    conn: Connection,
    broadcast_id: int,
    *,
    fingerprint: str,
    facts: dict[str, Any],
    sentences: list[list[Any]],
    at: str,
) -> Saved:
    """Store the report (generated_at moves only when the facts changed) and clear its stale mark."""
    async with conn.execute(
        "SELECT fingerprint, generated_at, announce FROM broadcast_reports WHERE broadcast_id = :id",
        {"id": broadcast_id},
    ) as cursor:
        row = await cursor.fetchone()
    first = row is None or row["generated_at"] is None
    changed = row is None or first or row["fingerprint"] != fingerprint
    announce = row is None or bool(row["announce"])
    if changed:
        await conn.execute(
            "INSERT INTO broadcast_reports "
            "(broadcast_id, stale, generated_at, fingerprint, facts, sentences) "
            "VALUES (:id, 0, :at, :fp, :facts, :sentences) ON CONFLICT (broadcast_id) DO UPDATE SET "
            "stale = 0, generated_at = :at, fingerprint = :fp, facts = :facts, sentences = :sentences",
            {"id": broadcast_id, "at": at, "fp": fingerprint, "facts": json.dumps(facts),
             "sentences": json.dumps(sentences)},
        )  # fmt: skip
    else:
        await conn.execute(
            "UPDATE broadcast_reports SET stale = 0 WHERE broadcast_id = :id", {"id": broadcast_id}
        )
    return Saved(changed=changed, first=first, announce=announce)


async def get_report(conn: Connection, broadcast_id: int) -> StoredReport | None:
    async with conn.execute(
        "SELECT * FROM broadcast_reports WHERE broadcast_id = :id", {"id": broadcast_id}
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return StoredReport(
        broadcast_id=int(row["broadcast_id"]), stale=bool(row["stale"]),
        generated_at=from_db(row["generated_at"]) if row["generated_at"] else None,
        fingerprint=row["fingerprint"], facts=json.loads(row["facts"]),
        sentences=json.loads(row["sentences"]),
    )  # fmt: skip


async def alert_exists(conn: Connection, rule_id: int, trigger_key: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM alerts WHERE rule_id = :rule AND trigger_key = :key",
        {"rule": rule_id, "key": trigger_key},
    ) as cursor:
        return await cursor.fetchone() is not None
