"""Imported token history: the imports, their staged rows, and what new rows add to the fan ledger.

An import stages its rows in a temporary table of the writer connection, chunk by chunk in short
transactions (each also moves the import's `rows_read`, so a page can show progress while the file is
read), then applies them in one transaction: number identical rows, drop the rows already stored,
store the rest and add the unmatched ones to person_room_stats and person_room_days, set-based.
Nothing of a refused file reaches a stored table: its staged rows are dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from service.clock import from_db, now_db
from service.store.db import Connection

# Rows staged by every import of this connection, told apart by import_id; TEMP: gone with the
# connection, so a process that dies mid-import leaves nothing behind.
_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS token_history_stage ("
    " import_id INTEGER NOT NULL, line INTEGER NOT NULL, username TEXT NOT NULL, at TEXT NOT NULL,"
    " ms INTEGER NOT NULL, tokens INTEGER NOT NULL, kind TEXT NOT NULL, note TEXT NOT NULL)"
)
# The rows of the import being applied that are not stored yet, in file order.
_NEW_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS token_history_new ("
    " id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, at TEXT NOT NULL, ms INTEGER NOT NULL,"
    " tokens INTEGER NOT NULL, kind TEXT NOT NULL, note TEXT NOT NULL, occurrence INTEGER NOT NULL,"
    " matched_event_id TEXT)"
)


class StagedRow(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def ms(self) -> int: ...
    @property
    def tokens(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TokenImport:
    id: int
    filename: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None
    rows_read: int
    rows_added: int
    rows_known: int
    rows_matched: int
    rows_not_spending: int


class ImportSummary(NamedTuple):
    """What a person's imported, unmatched token history adds up to (the profile shows it apart)."""

    tokens: int
    tips: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored room event that may be the same spending as a new imported row."""

    row_id: int
    event_id: str
    distance_ms: int
    event_ms: int


async def start_import(conn: Connection, filename: str, sha256: str) -> int:
    async with conn.execute(
        "INSERT INTO token_history_imports (filename, sha256, started_at) VALUES (:name, :sha, :now)",
        {"name": filename, "sha": sha256, "now": now_db()},
    ) as cursor:
        return int(cursor.lastrowid or 0)


async def stage_rows(conn: Connection, import_id: int, rows: Sequence[StagedRow], *, rows_read: int) -> None:
    """Stage a chunk of the file's spending rows and record how far the file has been read."""
    await conn.execute(_STAGE_DDL)
    await conn.executemany(
        "INSERT INTO temp.token_history_stage (import_id, line, username, at, ms, tokens, kind, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(import_id, r.line, r.username, r.at, r.ms, r.tokens, r.kind, r.note) for r in rows],
    )
    await conn.execute(
        "UPDATE token_history_imports SET rows_read = :read WHERE id = :id",
        {"read": rows_read, "id": import_id},
    )


async def staged_usernames(conn: Connection, import_id: int) -> list[str]:
    await conn.execute(_STAGE_DDL)
    rows = await conn.execute_fetchall(
        "SELECT DISTINCT username FROM temp.token_history_stage WHERE import_id = :id", {"id": import_id}
    )
    return [str(row[0]) for row in rows]


async def drop_staged(conn: Connection, import_id: int) -> None:
    await conn.execute(_STAGE_DDL)
    await conn.execute("DELETE FROM temp.token_history_stage WHERE import_id = :id", {"id": import_id})


async def fail_import(conn: Connection, import_id: int, error: str, *, rows_read: int) -> None:
    """The file was refused: its staged rows go, the attempt stays on record with the reason."""
    await drop_staged(conn, import_id)
    await conn.execute(
        "UPDATE token_history_imports SET status = 'failed', error = :error, finished_at = :now, "
        "rows_read = :read WHERE id = :id",
        {"error": error, "now": now_db(), "read": rows_read, "id": import_id},
    )


async def fail_unfinished(conn: Connection) -> int:
    """Imports a stopped process left 'running' (their staged rows went with its connection)."""
    async with conn.execute(
        "UPDATE token_history_imports SET status = 'failed', finished_at = :now, "
        "error = 'The service stopped before this import finished; nothing of it was stored.' "
        "WHERE status = 'running'",
        {"now": now_db()},
    ) as cursor:
        return cursor.rowcount


async def number_new_rows(conn: Connection, import_id: int) -> tuple[int, int]:
    """Move the staged rows into token_history_new with their occurrence, minus those already stored.

    The n-th row of the file identical in (user, time, tokens, note) is occurrence n, which is what
    the stored rows' unique key holds. Returns (new rows, rows already stored).
    """
    await conn.execute(_NEW_DDL)
    await conn.execute("DELETE FROM temp.token_history_new")
    await conn.execute(
        "INSERT INTO temp.token_history_new (person_id, at, ms, tokens, kind, note, occurrence) "
        "SELECT p.id, s.at, s.ms, s.tokens, s.kind, s.note, "
        "       row_number() OVER (PARTITION BY p.id, s.at, s.tokens, s.note ORDER BY s.line) "
        "  FROM temp.token_history_stage s JOIN persons p ON p.username = s.username "
        " WHERE s.import_id = :id ORDER BY s.line",
        {"id": import_id},
    )
    async with conn.execute(
        "DELETE FROM temp.token_history_new WHERE EXISTS (SELECT 1 FROM token_history t "
        " WHERE t.person_id = token_history_new.person_id AND t.at = token_history_new.at "
        "   AND t.tokens = token_history_new.tokens AND t.note = token_history_new.note "
        "   AND t.occurrence = token_history_new.occurrence)"
    ) as cursor:
        known = cursor.rowcount
    await drop_staged(conn, import_id)
    rows = list(await conn.execute_fetchall("SELECT count(*) FROM temp.token_history_new"))
    return int(rows[0][0]), known


async def match_candidates(conn: Connection, tolerance_ms: int) -> list[Candidate]:
    """Stored events that may be the same spending as a new tip or media row.

    Same person (a named, not anonymous event), same tokens, method 'tip' for a tip row and
    'mediaPurchase' for a media row, at most `tolerance_ms` apart, not matched by an earlier import,
    and the row lies in a period the Events stream covered: between its first and last stored event
    and outside every recorded gap (the gap's edges narrowed by the tolerance, the coverage's widened,
    since the file's times may be rounded).
    """
    rows = await conn.execute_fetchall(
        "WITH span AS (SELECT min(ms) AS first_ms, max(ms) AS last_ms FROM room_events), "
        "gaps AS (SELECT coalesce(round((julianday(last_event_at) - 2440587.5) * 86400000), -1e18) "
        "                AS from_ms,"
        "                round((julianday(detected_at) - 2440587.5) * 86400000) AS to_ms FROM events_gaps) "
        "SELECT n.id, e.id, abs(e.ms - n.ms), e.ms "
        "  FROM temp.token_history_new n CROSS JOIN span "
        "  JOIN room_events e ON e.person_id = n.person_id AND e.ms BETWEEN n.ms - :tol AND n.ms + :tol "
        " WHERE n.kind IN ('tip', 'media') "
        "   AND e.method = CASE n.kind WHEN 'tip' THEN 'tip' ELSE 'mediaPurchase' END "
        "   AND e.tokens = n.tokens AND e.is_anon = 0 "
        "   AND n.ms BETWEEN span.first_ms - :tol AND span.last_ms + :tol "
        "   AND NOT EXISTS (SELECT 1 FROM gaps g WHERE n.ms > g.from_ms + :tol AND n.ms < g.to_ms - :tol) "
        "   AND NOT EXISTS (SELECT 1 FROM token_history t WHERE t.matched_event_id = e.id)",
        {"tol": tolerance_ms},
    )
    return [Candidate(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


async def set_matches(conn: Connection, matches: Iterable[tuple[int, str]]) -> None:
    await conn.executemany(
        "UPDATE temp.token_history_new SET matched_event_id = ? WHERE id = ?",
        [(event_id, row_id) for row_id, event_id in matches],
    )


async def apply_new_rows(conn: Connection, import_id: int) -> None:
    """Store the new rows and add the unmatched ones to the ledger (tips, biggest/first/last tip,
    fan club since, spending per day); persons without a room row get one."""
    await conn.execute(
        "INSERT OR IGNORE INTO token_history "
        "(person_id, at, tokens, kind, note, occurrence, import_id, matched_event_id) "
        "SELECT person_id, at, tokens, kind, note, occurrence, :id, matched_event_id "
        "  FROM temp.token_history_new ORDER BY id",
        {"id": import_id},
    )
    await conn.execute(
        "WITH spent AS (SELECT * FROM temp.token_history_new WHERE matched_event_id IS NULL), "
        "last_tip AS (SELECT person_id, tokens, "
        "             row_number() OVER (PARTITION BY person_id ORDER BY at DESC, id DESC) AS rn "
        "             FROM spent WHERE kind = 'tip'), "
        "per AS (SELECT person_id, sum(tokens) AS tokens, sum(kind = 'tip') AS tips, "
        "        max(CASE WHEN kind = 'tip' THEN tokens ELSE 0 END) AS biggest, "
        "        min(CASE WHEN kind = 'tip' THEN at END) AS first_tip, "
        "        max(CASE WHEN kind = 'tip' THEN at END) AS last_tip, "
        "        min(CASE WHEN kind = 'fanclub' THEN at END) AS fanclub FROM spent GROUP BY person_id) "
        "INSERT INTO person_room_stats (person_id, imported_tokens, imported_tips, biggest_tip, "
        "  first_tip_at, last_tip_at, last_tip_tokens, fanclub_since) "
        "SELECT per.person_id, per.tokens, per.tips, per.biggest, per.first_tip, per.last_tip, "
        "       l.tokens, per.fanclub "
        "  FROM per LEFT JOIN last_tip l ON l.person_id = per.person_id AND l.rn = 1 WHERE true "
        "ON CONFLICT (person_id) DO UPDATE SET "
        "  imported_tokens = imported_tokens + excluded.imported_tokens, "
        "  imported_tips = imported_tips + excluded.imported_tips, "
        "  biggest_tip = max(biggest_tip, excluded.biggest_tip), "
        "  first_tip_at = coalesce(min(first_tip_at, excluded.first_tip_at), first_tip_at, "
        "                          excluded.first_tip_at), "
        "  last_tip_tokens = CASE WHEN excluded.last_tip_at > coalesce(last_tip_at, '') "
        "                    THEN excluded.last_tip_tokens ELSE last_tip_tokens END, "
        "  last_tip_at = coalesce(max(last_tip_at, excluded.last_tip_at), last_tip_at, "
        "                         excluded.last_tip_at), "
        "  fanclub_since = coalesce(min(fanclub_since, excluded.fanclub_since), fanclub_since, "
        "                           excluded.fanclub_since)"
    )
    await conn.execute(
        "INSERT INTO person_room_days (person_id, day, tokens) "
        "SELECT person_id, substr(at, 1, 10), sum(tokens) FROM temp.token_history_new "
        " WHERE matched_event_id IS NULL GROUP BY person_id, substr(at, 1, 10) "
        "ON CONFLICT (person_id, day) DO UPDATE SET tokens = tokens + excluded.tokens"
    )
    await conn.execute("DELETE FROM temp.token_history_new")


async def finish_import(
    conn: Connection,
    import_id: int,
    *,
    rows_read: int,
    added: int,
    known: int,
    matched: int,
    not_spending: int,
) -> None:
    await conn.execute(
        "UPDATE token_history_imports SET status = 'done', finished_at = :now, rows_read = :read, "
        "rows_added = :added, rows_known = :known, rows_matched = :matched, "
        "rows_not_spending = :not_spending "
        "WHERE id = :id",
        {"now": now_db(), "read": rows_read, "added": added, "known": known, "matched": matched,
         "not_spending": not_spending, "id": import_id},
    )  # fmt: skip


def _import(row: sqlite3.Row) -> TokenImport:
    finished = row["finished_at"]
    return TokenImport(
        id=int(row["id"]),
        filename=str(row["filename"]),
        started_at=from_db(row["started_at"]),
        finished_at=from_db(finished) if finished else None,
        status=str(row["status"]),
        error=row["error"],
        rows_read=int(row["rows_read"]),
        rows_added=int(row["rows_added"]),
        rows_known=int(row["rows_known"]),
        rows_matched=int(row["rows_matched"]),
        rows_not_spending=int(row["rows_not_spending"]),
    )


async def get_import(conn: Connection, import_id: int) -> TokenImport | None:
    rows = list(
        await conn.execute_fetchall("SELECT * FROM token_history_imports WHERE id = :id", {"id": import_id})
    )
    return _import(rows[0]) if rows else None


async def list_imports(conn: Connection, *, limit: int = 50) -> list[TokenImport]:
    rows = await conn.execute_fetchall(
        "SELECT * FROM token_history_imports ORDER BY id DESC LIMIT :limit", {"limit": limit}
    )
    return [_import(row) for row in rows]


async def import_summary_for(conn: Connection, person_id: int) -> ImportSummary:
    """(tokens, tips, first, last) of the person's imported rows that count (not matched to an event)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT coalesce(sum(tokens), 0), coalesce(sum(kind = 'tip'), 0), min(at), max(at) "
            "  FROM token_history "
            "WHERE person_id = :id AND matched_event_id IS NULL",
            {"id": person_id},
        )
    )
    tokens, tips, first, last = rows[0]
    return ImportSummary(
        int(tokens), int(tips), from_db(first) if first else None, from_db(last) if last else None
    )
