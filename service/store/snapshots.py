"""List snapshots and the set-based SQL that reconciles one against the stored follow periods.

A snapshot's names go into a temporary table once; every step after that (additions, removals,
confirmations) is one statement over the whole set, so a 100,000-name list costs a handful of
statements rather than 100,000 round trips. Deciding what a snapshot may do is the ingest layer's
job; these functions only carry it out, and every period they touch names the snapshot.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.clock import from_db, now_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    list_name: str
    page: int
    url: str | None
    final_url: str | None
    usernames: list[str]


@dataclass(frozen=True, slots=True)
class PageFacts:
    """A page without its names: what the completeness check looks at."""

    list_name: str
    page: int
    url: str | None
    final_url: str | None
    empty: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: int
    kind: str
    account: str
    started_at: datetime
    finished_at: datetime
    received_at: datetime
    expected_total: int | None
    claimed_complete: bool
    complete: bool
    abort_reason: str | None
    names: int
    status: str
    added: int
    suspected: int
    confirmed: int
    held: int
    reverted_at: datetime | None
    reverted_by: str | None

    @property
    def ref(self) -> str:
        return snapshot_ref(self.id)


@dataclass(frozen=True, slots=True)
class Removal:
    id: int
    person_id: int
    username: str
    role: str
    direction: str
    snapshot_id: int
    missing_since: datetime
    state: str
    since: datetime  # when the period that would end began


def snapshot_ref(snapshot_id: int) -> str:
    """How follow periods and removals name a snapshot (follow_periods.start_ref/end_ref)."""
    return f"snapshot:{snapshot_id}"


def _snapshot(r: sqlite3.Row) -> Snapshot:
    return Snapshot(
        id=r["id"],
        kind=r["kind"],
        account=r["account"],
        started_at=from_db(r["started_at"]),
        finished_at=from_db(r["finished_at"]),
        received_at=from_db(r["received_at"]),
        expected_total=r["expected_total"],
        claimed_complete=bool(r["claimed_complete"]),
        complete=bool(r["complete"]),
        abort_reason=r["abort_reason"],
        names=r["names"],
        status=r["status"],
        added=r["added"],
        suspected=r["suspected"],
        confirmed=r["confirmed"],
        held=r["held"],
        reverted_at=from_db(r["reverted_at"]) if r["reverted_at"] else None,
        reverted_by=r["reverted_by"],
    )


# --------------------------------------------------------------------------- snapshots


async def get_snapshot(conn: Connection, snapshot_id: int) -> Snapshot | None:
    async with conn.execute("SELECT * FROM list_snapshots WHERE id = :id", {"id": snapshot_id}) as cursor:
        row = await cursor.fetchone()
    return _snapshot(row) if row else None


async def get_snapshot_by_key(conn: Connection, key: str) -> Snapshot | None:
    async with conn.execute(
        "SELECT * FROM list_snapshots WHERE idempotency_key = :key", {"key": key}
    ) as cursor:
        row = await cursor.fetchone()
    return _snapshot(row) if row else None


async def list_snapshots(conn: Connection, kind: str | None = None, *, limit: int = 10) -> list[Snapshot]:
    async with conn.execute(
        "SELECT * FROM list_snapshots WHERE (:kind IS NULL OR kind = :kind) "
        "ORDER BY received_at DESC, id DESC LIMIT :limit",
        {"kind": kind, "limit": limit},
    ) as cursor:
        return [_snapshot(row) for row in await cursor.fetchall()]


async def insert_snapshot(
    conn: Connection,
    *,
    key: str,
    client_id: int | None,
    kind: str,
    account: str,
    started_at: str,
    finished_at: str,
    expected_total: int | None,
    claimed_complete: bool,
    pages: Sequence[SnapshotPage],
) -> int:
    """A new snapshot, not complete and with no names counted until `record_verdict`."""
    cursor = await conn.execute(
        "INSERT INTO list_snapshots (idempotency_key, client_id, kind, account, started_at, finished_at, "
        "received_at, expected_total, claimed_complete, complete, abort_reason, names, status) "
        "VALUES (:key, :client, :kind, :account, :started, :finished, :now, :total, :claimed, 0, NULL, 0, "
        "'applied')",
        {"key": key, "client": client_id, "kind": kind, "account": account, "started": started_at,
         "finished": finished_at, "now": now_db(), "total": expected_total, "claimed": int(claimed_complete)},
    )  # fmt: skip
    snapshot_id = int(cursor.lastrowid or 0)
    await conn.executemany(
        "INSERT INTO list_snapshot_pages (snapshot_id, seq, list, page, url, final_url, usernames) "
        "VALUES (:id, :seq, :list, :page, :url, :final_url, :usernames)",
        [
            {"id": snapshot_id, "seq": seq, "list": p.list_name, "page": p.page, "url": p.url,
             "final_url": p.final_url, "usernames": json.dumps(p.usernames)}
            for seq, p in enumerate(pages)
        ],
    )  # fmt: skip
    return snapshot_id


async def list_pages(conn: Connection, snapshot_id: int) -> list[SnapshotPage]:
    async with conn.execute(
        "SELECT * FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq", {"id": snapshot_id}
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        SnapshotPage(r["list"], r["page"], r["url"], r["final_url"], json.loads(r["usernames"])) for r in rows
    ]


async def page_facts(conn: Connection, snapshot_id: int) -> list[PageFacts]:
    async with conn.execute(
        "SELECT list, page, url, final_url, json_array_length(usernames) = 0 AS empty "
        "FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq",
        {"id": snapshot_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [PageFacts(r["list"], r["page"], r["url"], r["final_url"], bool(r["empty"])) for r in rows]


async def record_verdict(
    conn: Connection, snapshot_id: int, *, complete: bool, abort_reason: str | None, names: int
) -> None:
    """The service's own completeness check, known once the stored pages' names are counted."""
    await conn.execute(
        "UPDATE list_snapshots SET complete = :complete, abort_reason = :reason, names = :names "
        "WHERE id = :id",
        {"complete": int(complete), "reason": abort_reason, "names": names, "id": snapshot_id},
    )


async def record_outcome(
    conn: Connection, snapshot_id: int, *, status: str, added: int, suspected: int, confirmed: int, held: int
) -> None:
    await conn.execute(
        "UPDATE list_snapshots SET status = :status, added = :added, suspected = :suspected, "
        "confirmed = :confirmed, held = :held WHERE id = :id",
        {"status": status, "added": added, "suspected": suspected, "confirmed": confirmed, "held": held,
         "id": snapshot_id},
    )  # fmt: skip


# --------------------------------------------------------------------------- the snapshot's names


async def load_snapshot_names(conn: Connection, snapshot_id: int) -> int:
    """Put the names of a stored snapshot's pages in temp.snapshot_people as person ids, creating
    missing persons; returns how many different names the snapshot holds.

    The names never pass through Python: json_each reads them out of the stored pages, and each is
    looked up once in the persons index (a LEFT JOIN keeps the misses), so a 1M-name list costs one
    index probe per name plus an insert per new person. The temp tables live on this connection until
    the next call replaces their rows.
    """
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS snapshot_names (username TEXT NOT NULL, person_id INTEGER)"
    )
    await conn.execute("CREATE TEMP TABLE IF NOT EXISTS snapshot_people (person_id INTEGER PRIMARY KEY)")
    await conn.execute("DELETE FROM temp.snapshot_names")
    await conn.execute("DELETE FROM temp.snapshot_people")
    # Pages in reading order (the primary key's), names in page order: new persons get ids in the
    # order the list showed them, as when the names were inserted one by one.
    await conn.execute(
        "INSERT INTO temp.snapshot_names (username, person_id) "
        "SELECT j.value, p.id FROM list_snapshot_pages s JOIN json_each(s.usernames) j "
        "LEFT JOIN persons p ON p.username = j.value WHERE s.snapshot_id = :id",
        {"id": snapshot_id},
    )
    now = now_db()
    # `WHERE true` lets SQLite parse the upsert after a SELECT; nothing about an existing person changes.
    await conn.execute(
        "INSERT INTO persons (username, created_at, updated_at) "
        "SELECT username, :now, :now FROM temp.snapshot_names WHERE person_id IS NULL "
        "ON CONFLICT (username) DO NOTHING",
        {"now": now},
    )
    await conn.execute(
        "UPDATE temp.snapshot_names SET person_id = "
        "(SELECT p.id FROM persons p WHERE p.username = snapshot_names.username) WHERE person_id IS NULL"
    )
    # The primary key keeps each person once: a room on both following lists counts once.
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO temp.snapshot_people (person_id) SELECT person_id FROM temp.snapshot_names"
    )
    return cursor.rowcount


async def open_periods_for_present(conn: Connection, direction: str, *, at: str, ref: str) -> int:
    """Additions: a period for every present person who has none open."""
    cursor = await conn.execute(
        "INSERT INTO follow_periods (person_id, direction, started_at, start_source, start_ref) "
        "SELECT s.person_id, :direction, :at, 'list_snapshot', :ref FROM temp.snapshot_people s "
        "WHERE NOT EXISTS (SELECT 1 FROM follow_periods f WHERE f.person_id = s.person_id "
        "AND f.direction = :direction AND f.ended_at IS NULL)",
        {"direction": direction, "at": at, "ref": ref},
    )
    return cursor.rowcount


async def dismiss_removals_of_present(conn: Connection, direction: str, *, ref: str) -> int:
    """A present name answers any doubt about it: its held or suspected removal is dismissed."""
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'dismissed', resolved_at = :now, "
        "resolved_source = 'list_snapshot', resolved_ref = :ref "
        "WHERE direction = :direction AND state IN ('held', 'suspected') "
        "AND person_id IN (SELECT person_id FROM temp.snapshot_people)",
        {"now": now_db(), "ref": ref, "direction": direction},
    )
    return cursor.rowcount


# A name is *missing* when its period is open and the snapshot (temp.snapshot_people) lacks it.


async def count_open(conn: Connection, direction: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM follow_periods WHERE direction = :direction AND ended_at IS NULL",
        {"direction": direction},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def confirm_missing_suspects(conn: Connection, direction: str, *, ref: str) -> int:
    """Second strike: suspected removals still missing are confirmed and their periods closed.

    The period ends when the name first went missing (the suspecting snapshot), the best bound the
    lists give; end_ref names this, the confirming, snapshot so reverting it reopens the period.
    """
    now = now_db()
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'confirmed', resolved_at = :now, "
        "resolved_source = 'list_snapshot', resolved_ref = :ref "
        "WHERE state = 'suspected' AND period_id IN (SELECT f.id "
        "FROM follow_periods f WHERE f.direction = :direction AND f.ended_at IS NULL "
        "AND f.person_id NOT IN (SELECT person_id FROM temp.snapshot_people))",
        {"now": now, "ref": ref, "direction": direction},
    )
    confirmed = cursor.rowcount
    await close_confirmed_periods(conn, ref=ref, source="list_snapshot")
    return confirmed


async def close_confirmed_periods(conn: Connection, *, ref: str, source: str) -> None:
    await conn.execute(
        "UPDATE follow_periods SET ended_at = max(started_at, (SELECT r.missing_since FROM follow_removals r "
        "WHERE r.period_id = follow_periods.id AND r.state = 'confirmed' AND r.resolved_ref = :ref)), "
        "end_source = :source, end_ref = :ref WHERE ended_at IS NULL AND id IN "
        "(SELECT period_id FROM follow_removals WHERE state = 'confirmed' AND resolved_ref = :ref)",
        {"ref": ref, "source": source},
    )


async def insert_missing_removals(
    conn: Connection, direction: str, *, snapshot_id: int, missing_since: str, state: str
) -> int:
    """First strike (or a hold): one removal row per newly missing open period."""
    cursor = await conn.execute(
        "INSERT INTO follow_removals (person_id, direction, period_id, snapshot_id, missing_since, state) "
        "SELECT f.person_id, :direction, f.id, :snapshot, :since, :state "
        "FROM follow_periods f WHERE f.direction = :direction AND f.ended_at IS NULL "
        "AND f.person_id NOT IN (SELECT person_id FROM temp.snapshot_people) "
        "AND NOT EXISTS (SELECT 1 FROM follow_removals r WHERE r.period_id = f.id "
        "AND r.state IN ('held', 'suspected'))",
        {"direction": direction, "snapshot": snapshot_id, "since": missing_since, "state": state},
    )
    return cursor.rowcount


async def suspect_held_of_snapshot(conn: Connection, snapshot_id: int) -> int:
    """The snapshot's held removals become suspected (its drop was small enough to believe)."""
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'suspected' WHERE snapshot_id = :snapshot AND state = 'held'",
        {"snapshot": snapshot_id},
    )
    return cursor.rowcount


async def settle_closed_elsewhere(conn: Connection) -> int:
    """Removals whose period something else already closed (an Events unfollow) are confirmed by it."""
    cursor = await conn.execute(
        "UPDATE follow_removals SET state = 'confirmed', resolved_at = :now, "
        "resolved_source = (SELECT f.end_source FROM follow_periods f "
        "  WHERE f.id = follow_removals.period_id), "
        "resolved_ref = (SELECT f.end_ref FROM follow_periods f WHERE f.id = follow_removals.period_id) "
        "WHERE state IN ('held', 'suspected') AND period_id IN "
        "(SELECT id FROM follow_periods WHERE ended_at IS NOT NULL)",
        {"now": now_db()},
    )
    return cursor.rowcount
