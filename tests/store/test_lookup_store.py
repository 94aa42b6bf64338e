"""The lookup queue store: enqueue rules (P2 wins, P1 restarts), listing, finishing."""

from __future__ import annotations

import pytest

from service.store import lookup
from service.store.db import Database


async def test_enqueue_creates_and_normalises_the_person(db: Database) -> None:
    """An unknown, oddly typed name becomes a person; P1 is pending, shown in person_state."""
    async with db.transaction() as conn:
        pid = await lookup.enqueue(conn, "  New_Fan ", 1, "asked in chat", "owner")
        (entry,) = await lookup.list_queue(conn)
        async with conn.execute(
            "SELECT priority, lookup_status FROM person_state WHERE person_id = :p", {"p": pid}
        ) as c:
            assert tuple(await c.fetchone()) == (1, "pending")  # type: ignore[arg-type]
    assert (entry.username, entry.priority, entry.status, entry.note, entry.queued_by) == (
        "new_fan", 1, "pending", "asked in chat", "owner",
    )  # fmt: skip


async def test_bad_names_and_priorities_are_refused(db: Database) -> None:
    async with db.transaction() as conn:
        with pytest.raises(ValueError, match="priority"):
            await lookup.enqueue(conn, "fine", 3, "", "owner")
        with pytest.raises(ValueError, match="username"):
            await lookup.enqueue(conn, "no spaces please", 1, "", "owner")


async def test_p2_wins_and_p1_restarts_a_finished_lookup(db: Database) -> None:
    """P1 after P2 keeps tracking (note updated); P1 after done starts pending again."""
    async with db.transaction() as conn:
        tracked = await lookup.enqueue(conn, "tracked", 2, "vip", "owner")
        await lookup.enqueue(conn, "tracked", 1, "", "helper")
        one = await lookup.enqueue(conn, "once", 1, "", "owner")
        await lookup.finish(conn, one, "not_found", "in no source")
        finished = await lookup.get_entry(conn, one)
        await lookup.enqueue(conn, "once", 1, "again", "owner")
        again = await lookup.get_entry(conn, one)
        kept = await lookup.get_entry(conn, tracked)
    assert kept is not None and (kept.priority, kept.status, kept.note, kept.queued_by) == (
        2,
        "tracking",
        "vip",
        "owner",
    )
    assert finished is not None and (finished.status, finished.reason) == ("not_found", "in no source")
    assert finished.finished_at is not None
    assert again is not None and (again.status, again.reason, again.finished_at, again.note) == (
        "pending", None, None, "again",
    )  # fmt: skip


async def test_finish_leaves_tracking_entries_alone_and_found_in_accumulates(db: Database) -> None:
    async with db.transaction() as conn:
        tracked = await lookup.enqueue(conn, "tracked", 2, "", "owner")
        await lookup.finish(conn, tracked, "done", None)
        await lookup.note_found(conn, [tracked], "cbhours")
        await lookup.note_found(conn, [tracked], "cbhours")
        await lookup.note_found(conn, [tracked], "statbate")
        entry = await lookup.get_entry(conn, tracked)
        with pytest.raises(ValueError, match="done or not_found"):
            await lookup.finish(conn, tracked, "pending", None)
        assert await lookup.remove(conn, tracked)
        assert await lookup.list_queue(conn) == []
    assert entry is not None and (entry.status, entry.found_in) == ("tracking", "cbhours,statbate")
