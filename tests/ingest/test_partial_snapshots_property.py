"""Property: no sequence of partial snapshots can ever produce an unfollow.

Each example starts from a stored list (two complete snapshots, so some removals are already
suspected and one more complete snapshot would confirm them), then feeds any sequence of partial
snapshots of either list: incomplete by the extension's own verdict, or claimed complete but failing
the service's re-check (a missing page, a total that does not add up, a login redirect).
"""

from __future__ import annotations

import asyncio
import copy
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.ingest.lists import ingest_list_snapshot
from service.ingest.models import ListSnapshotRequest
from service.store.db import open_database
from tests.support.extension_api import snapshot

UNIVERSE = [f"u{i:02d}" for i in range(40)]
REASONS = ["challenge", "login", "unrecognised", "repeated_page", "empty_page", "missing_pages"]


def _partial(kind: str, names: list[str], how: str, reason: str) -> dict[str, Any]:
    body = snapshot(kind, names, started_at="2026-02-01T10:00:00Z")
    if how == "claimed_incomplete":
        body.update(complete=False, abort_reason=reason)
    elif how == "page_missing" and len(names) > 0:
        body = snapshot(kind, names, drop_page=1, expected_total=len(names))
    elif how == "total_mismatch":
        body["expected_total"] = len(names) + 1
    elif how == "login_redirect":
        page = body["pages"][-1]
        page["final_url"] = "https://chaturbate.com/auth/login/?next=/"
    else:
        body.update(complete=False, abort_reason="missing_pages")
    return body


partials = st.lists(
    st.tuples(
        st.sampled_from(["following", "followers"]),
        st.lists(st.sampled_from(UNIVERSE), unique=True, max_size=40),
        st.sampled_from(["claimed_incomplete", "page_missing", "total_mismatch", "login_redirect"]),
        st.sampled_from(REASONS),
    ),
    min_size=1,
    max_size=6,
)


async def _run(base: list[str], dropped: list[str], steps: list[tuple[str, list[str], str, str]]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(Path(tmp) / "p.sqlite3", readers=1) as db:
            for kind in ("following", "followers"):
                for n, names in enumerate((base, [x for x in base if x not in dropped])):
                    body = snapshot(kind, names, started_at=f"2026-01-0{n + 1}T10:00:00Z")
                    await ingest_list_snapshot(
                        db, ListSnapshotRequest.model_validate(body), key=f"{kind}-{n}", client_id=None
                    )
            for i, (kind, names, how, reason) in enumerate(steps):
                body = _partial(kind, names, how, reason)
                outcome = await ingest_list_snapshot(
                    db, ListSnapshotRequest.model_validate(copy.deepcopy(body)), key=f"p{i}", client_id=None
                )
                assert not outcome.complete
            async with (
                db.read() as conn,
                conn.execute("SELECT count(*) FROM follow_periods WHERE ended_at IS NOT NULL") as cursor,
            ):
                row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.lists(st.sampled_from(UNIVERSE), unique=True, min_size=20, max_size=40),
    dropped_count=st.integers(min_value=0, max_value=1),
    steps=partials,
)
def test_partial_snapshots_never_unfollow(base: list[str], dropped_count: int, steps: list[Any]) -> None:
    """Whatever partial snapshots arrive, every follow period stays open."""
    assert asyncio.run(_run(base, base[:dropped_count], steps)) == 0
