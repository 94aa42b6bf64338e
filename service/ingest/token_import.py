"""Importing a token history file: read it, match what the Events stream already saw, add the rest.

The file is read in chunks of CHUNK_ROWS rows (off the event loop), each staged in its own short
transaction that also records how far the import got; a refused file drops what was staged and
keeps only the record of the attempt. The staged rows are then applied in ONE transaction.

Matching: a new row of kind 'tip' (or 'media') is the same spending as a stored, named 'tip' (or
'mediaPurchase') event of the same person and tokens at most MATCH_TOLERANCE apart, when the row
lies in a period the Events stream covered without gaps. The site's export may round times to the
minute and its clock may differ from the Events API's by seconds, so ±120 s: wide enough for a
rounded minute plus drift, narrow enough that two equal tips minutes apart stay two. Pairs are taken
nearest first, each event and each row at most once. A matched row is stored with its event and counts
only through it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path

from service.ingest.token_history import HistoryRow, TokenHistoryError, TokenHistoryReader
from service.store import persons, token_history
from service.store.db import Database

MATCH_TOLERANCE = timedelta(seconds=120)
CHUNK_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class ImportResult:
    import_id: int
    rows_read: int
    added: int
    known: int
    matched: int
    not_spending: int
    error: str | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def begin_import(db: Database, path: Path, filename: str) -> int:
    """Record the attempt (status 'running'); returns its id, which pages poll for progress."""
    sha = await asyncio.to_thread(file_sha256, path)
    async with db.transaction() as conn:
        return await token_history.start_import(conn, filename, sha)


def choose_matches(candidates: Sequence[token_history.Candidate]) -> list[tuple[int, str]]:
    """(row id, event id) pairs: nearest first, each row and each event used at most once."""
    rows: set[int] = set()
    events: set[str] = set()
    chosen = []
    for c in sorted(candidates, key=lambda c: (c.distance_ms, c.row_id, c.event_ms)):
        if c.row_id not in rows and c.event_id not in events:
            rows.add(c.row_id)
            events.add(c.event_id)
            chosen.append((c.row_id, c.event_id))
    return chosen


def _take(rows: Iterator[HistoryRow], count: int) -> list[HistoryRow]:
    return list(islice(rows, count))


async def run_import(db: Database, path: Path, import_id: int) -> ImportResult:
    """Read, stage and apply the file of a begun import; a refused file is recorded as failed."""
    with path.open(encoding="utf-8-sig", newline="") as text:
        reader = TokenHistoryReader(text)
        rows = iter(reader)
        try:
            while chunk := await asyncio.to_thread(_take, rows, CHUNK_ROWS):
                async with db.transaction() as conn:
                    await token_history.stage_rows(conn, import_id, chunk, rows_read=reader.rows_read)
        except TokenHistoryError as exc:
            async with db.transaction() as conn:
                await token_history.fail_import(conn, import_id, str(exc), rows_read=reader.rows_read)
            return ImportResult(import_id, reader.rows_read, 0, 0, 0, reader.rows_not_spending, str(exc))
        except BaseException:
            async with db.transaction() as conn:
                await token_history.fail_import(
                    conn,
                    import_id,
                    "The import stopped before the file was read.",
                    rows_read=reader.rows_read,
                )
            raise
    try:
        async with db.transaction() as conn:
            names = await token_history.staged_usernames(conn, import_id)
            ids = await persons.ensure_persons(conn, names)
            # Someone who spends in the room is a viewer unless known otherwise.
            await persons.set_unknown_roles(conn, list(ids.values()), "viewer")
            added, known = await token_history.number_new_rows(conn, import_id)
            candidates = await token_history.match_candidates(
                conn, MATCH_TOLERANCE // timedelta(milliseconds=1)
            )
            matches = choose_matches(candidates)
            await token_history.set_matches(conn, matches)
            await token_history.apply_new_rows(conn, import_id)
            await token_history.finish_import(
                conn, import_id, rows_read=reader.rows_read, added=added, known=known,
                matched=len(matches), not_spending=reader.rows_not_spending,
            )  # fmt: skip
    except BaseException:
        async with db.transaction() as conn:
            await token_history.fail_import(
                conn,
                import_id,
                "The import could not be stored; nothing was changed.",
                rows_read=reader.rows_read,
            )
        raise
    return ImportResult(import_id, reader.rows_read, added, known, len(matches), reader.rows_not_spending)


async def import_file(db: Database, path: Path, filename: str | None = None) -> ImportResult:
    """Import one token history file from start to end (the command's path)."""
    import_id = await begin_import(db, path, filename or path.name)
    return await run_import(db, path, import_id)
