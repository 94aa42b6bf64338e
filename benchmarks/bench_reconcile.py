"""Reconciling a complete 100,000-name followers snapshot against a stored list of 100,000: ≤ 2 s.

The stored list comes from a first complete snapshot; the measured one has 1% of the names replaced
(1,000 new followers, 1,000 missing, which become suspected). Timed: storing the snapshot with its
pages and reconciling it, in one transaction, as POST /api/ext/v1/lists does after validation.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from service.ingest.lists import ingest_list_snapshot
from service.ingest.models import ListSnapshotRequest
from service.store.db import open_database

SIZE = 100_000
CHANGED = 1_000
TARGET_SECONDS = 2.0


def _payload(names: list[str], started_at: str) -> dict[str, Any]:
    pages = []
    for number, start in enumerate(range(0, len(names), 90), start=1):
        url = f"https://chaturbate.com/accounts/followers/?page={number}"
        pages.append({"list": "followers", "page": number, "url": url, "final_url": url,
                      "usernames": names[start : start + 90]})  # fmt: skip
    return {"kind": "followers", "account": "bench_room", "started_at": started_at, "finished_at": started_at,
            "expected_total": None, "complete": True, "abort_reason": None, "pages": pages}  # fmt: skip


async def _measure() -> tuple[float, float, Any]:
    stored = [f"follower_{i:06d}" for i in range(SIZE)]
    fresh = stored[CHANGED:] + [f"newcomer_{i:06d}" for i in range(CHANGED)]
    first = ListSnapshotRequest.model_validate(_payload(stored, "2026-01-01T10:00:00Z"))
    started = time.perf_counter()
    second = ListSnapshotRequest.model_validate(_payload(fresh, "2026-01-02T10:00:00Z"))
    validated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "bench.sqlite3", readers=1) as db:
            await ingest_list_snapshot(db, first, key="seed", client_id=None)
            started = time.perf_counter()
            outcome = await ingest_list_snapshot(db, second, key="measured", client_id=None)
            elapsed = time.perf_counter() - started
    return elapsed, validated, outcome


def main() -> bool:
    elapsed, validated, outcome = asyncio.run(_measure())
    print(
        f"   reconcile {SIZE:,} names against {SIZE:,} stored: {elapsed:.2f} s (target ≤ {TARGET_SECONDS} s)"
    )
    print(
        f"   (+ {validated:.2f} s validating the payload; "
        f"added {outcome.added}, suspected {outcome.suspected})"
    )
    return elapsed <= TARGET_SECONDS and outcome.added == CHANGED and outcome.suspected == CHANGED


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
