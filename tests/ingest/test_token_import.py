"""Importing token history into the fan ledger: matching with stored events, re-imports, refusals.

The room's events go in first through the real ingest path; the ledger is read before and after the
import, and what the import adds is computed by hand below, row by row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.ingest.token_import import ImportResult, import_file
from service.store import fan_ledger, persons, token_history
from service.store.db import Database
from tests.support.events import ROOM, Feed, ingest, scalar

HEADER = "User,Token change,Timestamp,Note\n"

# T0 (tests.support.events) is 2026-01-02 00:00 UTC; the broadcast runs 2026-01-01 23:00 → 01:00.
FILE_A = HEADER + (
    "alice,100,2026-01-01 23:11:00,Tip\n"  # 60 s after the 23:10 tip: matched
    "alice,100,2026-01-02 00:00:00,Tip\n"  # 30 s after the 23:59:30 tip: matched
    "alice,100,2026-01-02 00:00:00,Tip\n"  # the same again: that event is taken, so it counts here
    "alice,500,2025-12-20 18:00:00,Tip\n"  # before the stream: imported
    "bob,50,2026-01-01 23:20:00,Tip\n"  # the room saw it as anonymous: imported
    "carol,200,2026-01-01T23:30:45Z,Purchased video\n"  # the mediaPurchase 45 s earlier: matched
    "carol,30,2026-01-02 00:40:00,Private show\n"  # the Events API never reports these
    "dave,25,2025-12-25 12:00:00,Fan Club membership\n"
    "erin,-10,2025-12-26 00:00:00,Refund\n"  # not spending
)
# A newer export: overlaps A from the second alice row on, and brings two new rows.
FILE_B = HEADER + (
    "alice,100,2026-01-02 00:00:00,Tip\n"
    "alice,100,2026-01-02 00:00:00,Tip\n"
    "bob,50,2026-01-01 23:20:00,Tip\n"
    "carol,30,2026-01-02 00:40:00,Private show\n"
    "dave,25,2025-12-25 12:00:00,Fan Club membership\n"
    "alice,100,2026-01-03 10:00:00,Tip in your room\n"
    "dave,40,2026-01-03 11:00:00,Fan club renewal\n"
)

STATS = ("imported_tokens", "imported_tips", "biggest_tip", "first_tip_at", "last_tip_at", "last_tip_tokens",
         "fanclub_since", "lifetime_tokens", "first_seen_at", "tips", "tokens_tipped")  # fmt: skip


async def seed_broadcast(db: Database) -> None:
    f = Feed()
    await ingest(db, [
        f.event(-60, "broadcastStart", ROOM), f.event(-59, "userEnter", "alice"),
        f.event(-50, "tip", "alice", tokens=100),
        f.event(-40, "tip", "bob", tokens=50, is_anon=True),
        f.event(-30, "mediaPurchase", "carol", tokens=200),
        f.event(-0.5, "tip", "alice", tokens=100),
        f.event(30, "userEnter", "bob"), f.event(60, "broadcastStop", ROOM),
    ])  # fmt: skip


async def ledger(db: Database) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], int]]:
    async with db.read() as conn:
        stats = {
            row["username"]: {name: row[name] for name in STATS}
            for row in await conn.execute_fetchall(
                f"SELECT p.username, {', '.join('s.' + n for n in STATS)} "  # noqa: S608
                "FROM person_room_stats s JOIN persons p ON p.id = s.person_id"
            )
        }
        days = {
            (row[0], row[1]): int(row[2])
            for row in await conn.execute_fetchall(
                "SELECT p.username, d.day, d.tokens "
                "FROM person_room_days d JOIN persons p ON p.id = d.person_id"
            )
        }
    return stats, days


async def run(db: Database, tmp_path: Path, name: str, text: str) -> ImportResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return await import_file(db, path)


def counts(result: ImportResult) -> tuple[int, int, int, int, int]:
    return result.rows_read, result.added, result.known, result.matched, result.not_spending


async def test_import_adds_unmatched_rows_once_and_matched_rows_never(db: Database, tmp_path: Path) -> None:
    """Events first, then file A: matched rows change nothing, the rest add up as computed by hand;
    A again adds nothing; the newer file B adds only its two new rows."""
    await seed_broadcast(db)
    before, days_before = await ledger(db)

    result = await run(db, tmp_path, "a.csv", FILE_A)
    assert result.error is None
    assert counts(result) == (9, 8, 0, 3, 1)
    stats, days = await ledger(db)

    alice_before = before["alice"]
    assert stats["alice"] == {
        **alice_before,
        "imported_tokens": 100 + 500,
        "imported_tips": 2,
        "biggest_tip": 500,
        "first_tip_at": "2025-12-20T18:00:00.000Z",
        # The events' last tip (23:59:30) is later than no imported one: the 00:00 row is later.
        "last_tip_at": "2026-01-02T00:00:00.000Z",
        "last_tip_tokens": 100,
        "lifetime_tokens": alice_before["lifetime_tokens"] + 600,
    }
    assert alice_before["tokens_tipped"] == 200  # the two room tips, counted once
    assert stats["bob"] == {
        **before["bob"],
        "imported_tokens": 50, "imported_tips": 1, "biggest_tip": 50,
        "first_tip_at": "2026-01-01T23:20:00.000Z", "last_tip_at": "2026-01-01T23:20:00.000Z",
        "last_tip_tokens": 50, "lifetime_tokens": 50,
    }  # fmt: skip
    assert stats["carol"] == {
        **before["carol"], "imported_tokens": 30,
        "lifetime_tokens": before["carol"]["lifetime_tokens"] + 30,
    }  # fmt: skip
    assert stats["dave"] == {
        "imported_tokens": 25, "imported_tips": 0, "biggest_tip": 0, "first_tip_at": None,
        "last_tip_at": None, "last_tip_tokens": None, "fanclub_since": "2025-12-25T12:00:00.000Z",
        "lifetime_tokens": 25, "first_seen_at": None, "tips": 0, "tokens_tipped": 0,
    }  # fmt: skip
    assert "erin" not in stats
    assert days == {
        **days_before,
        ("alice", "2025-12-20"): 500,
        ("alice", "2026-01-02"): days_before.get(("alice", "2026-01-02"), 0) + 100,
        ("bob", "2026-01-01"): days_before.get(("bob", "2026-01-01"), 0) + 50,
        ("carol", "2026-01-02"): days_before.get(("carol", "2026-01-02"), 0) + 30,
        ("dave", "2025-12-25"): 25,
    }
    assert await scalar(db, "SELECT count(*) FROM token_history WHERE matched_event_id IS NOT NULL") == 3
    assert await scalar(db, "SELECT role FROM persons WHERE username = 'dave'") == "viewer"

    again = await run(db, tmp_path, "a-again.csv", FILE_A)
    assert counts(again) == (9, 0, 8, 0, 1)
    assert await ledger(db) == (stats, days)

    newer = await run(db, tmp_path, "b.csv", FILE_B)
    assert counts(newer) == (7, 2, 5, 0, 0)
    stats_b, days_b = await ledger(db)
    assert stats_b["alice"] == {
        **stats["alice"], "imported_tokens": 700, "imported_tips": 3,
        "last_tip_at": "2026-01-03T10:00:00.000Z", "lifetime_tokens": stats["alice"]["lifetime_tokens"] + 100,
    }  # fmt: skip
    assert stats_b["dave"] == {**stats["dave"], "imported_tokens": 65, "lifetime_tokens": 65}
    assert days_b == {**days, ("alice", "2026-01-03"): 100, ("dave", "2026-01-03"): 40}

    async with db.read() as conn:
        alice = await scalar(db, "SELECT id FROM persons WHERE username = 'alice'")
        summary = await token_history.import_summary_for(conn, alice)
    assert (summary.tokens, summary.tips) == (700, 3)
    assert (summary.first_at.isoformat(), summary.last_at.isoformat()) == (  # type: ignore[union-attr]
        "2025-12-20T18:00:00+00:00",
        "2026-01-03T10:00:00+00:00",
    )


async def test_rows_in_a_recorded_gap_are_not_matched(db: Database, tmp_path: Path) -> None:
    """A tip inside a gap of the stream counts as imported even beside an equal stored tip; the
    same tip outside the gap is matched."""
    f = Feed()
    await ingest(db, [
        f.event(0, "broadcastStart", ROOM), f.event(10, "tip", "fan_1", tokens=20),
        f.event(50, "tip", "fan_1", tokens=20), f.event(90, "broadcastStop", ROOM),
    ])  # fmt: skip
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO events_gaps (detected_at, reason, last_event_at) "
            "VALUES ('2026-01-02T00:40:00.000Z', 'backlog', '2026-01-02T00:05:00.000Z')"
        )
    result = await run(db, tmp_path, "gap.csv", HEADER + "fan_1,20,2026-01-02 00:10:00,Tip\n"
                                                        "fan_1,20,2026-01-02 00:50:00,Tip\n")  # fmt: skip
    assert counts(result) == (2, 2, 0, 1, 0)
    assert await scalar(db, "SELECT imported_tokens FROM person_room_stats") == 20
    assert await scalar(db, "SELECT at FROM token_history WHERE matched_event_id IS NULL") == (
        "2026-01-02T00:10:00.000Z"
    )


async def test_tolerance_and_nearest_event(db: Database, tmp_path: Path) -> None:
    """Rows take the nearest free event within 120 s; a row 3 minutes from any event is imported."""
    f = Feed()
    await ingest(db, [f.event(0, "broadcastStart", ROOM), f.event(10, "tip", "fan_1", tokens=5),
                      f.event(11.5, "tip", "fan_1", tokens=5), f.event(30, "tip", "fan_1", tokens=5),
                      f.event(90, "broadcastStop", ROOM)])  # fmt: skip
    result = await run(db, tmp_path, "near.csv", HEADER + "fan_1,5,2026-01-02 00:11:00,Tip\n"
                                                         "fan_1,5,2026-01-02 00:12:00,Tip\n"
                                                         "fan_1,5,2026-01-02 00:33:00,Tip\n")  # fmt: skip
    assert counts(result) == (3, 3, 0, 2, 0)
    async with db.read() as conn:
        pairs = await conn.execute_fetchall(
            "SELECT t.at, e.at FROM token_history t LEFT JOIN room_events e ON e.id = t.matched_event_id "
            "ORDER BY t.at"
        )
    assert [tuple(p) for p in pairs] == [
        ("2026-01-02T00:11:00.000Z", "2026-01-02T00:11:30.000Z"),
        ("2026-01-02T00:12:00.000Z", "2026-01-02T00:10:00.000Z"),
        ("2026-01-02T00:33:00.000Z", None),
    ]


async def test_a_refused_file_stores_nothing(db: Database, tmp_path: Path) -> None:
    """A bad row near the end: no person, row or figure changes; the attempt is recorded as failed."""
    await seed_broadcast(db)
    before = await ledger(db)
    persons_before = await scalar(db, "SELECT count(*) FROM persons")
    good = "".join(f"newfan_{i},10,2026-01-05 10:00:00,Tip\n" for i in range(25_000))
    result = await run(db, tmp_path, "bad.csv", HEADER + good + "zed,10,soon,Tip\n")
    assert result.error == "Line 25,002: the Timestamp 'soon' is not a date and time."
    assert await ledger(db) == before
    assert await scalar(db, "SELECT count(*) FROM persons") == persons_before
    assert await scalar(db, "SELECT count(*) FROM token_history") == 0
    async with db.read() as conn:
        (attempt,) = await token_history.list_imports(conn)
    assert (attempt.status, attempt.error, attempt.rows_read) == ("failed", result.error, 25_001)


async def _no_differences(db: Database) -> None:
    async with db.read() as conn:
        broadcaster = await persons.get_person_id(conn, ROOM)
        assert await fan_ledger.differences(conn, broadcaster) == []


async def test_after_imports_the_ledger_equals_a_recomputation(db: Database, tmp_path: Path) -> None:
    """Events, an import, the same import again and an overlapping newer one: `mhc check` finds nothing."""
    await seed_broadcast(db)
    await run(db, tmp_path, "a.csv", FILE_A)
    await _no_differences(db)
    await run(db, tmp_path, "a-again.csv", FILE_A)
    await run(db, tmp_path, "b.csv", FILE_B)
    await _no_differences(db)


async def test_an_event_arriving_after_its_imported_row_counts_once(db: Database, tmp_path: Path) -> None:
    """The stream catches up on a tip the file already held: the tip counts once, through the event, and
    the tip bounds follow the event; a tip of another amount still counts both."""
    await run(
        db,
        tmp_path,
        "late.csv",
        HEADER + "alice,300,2026-01-02 00:10:00,Tip\nalice,7,2026-01-02 00:11:00,Tip\n",
    )
    before, _ = await ledger(db)
    assert (before["alice"]["lifetime_tokens"], before["alice"]["imported_tips"]) == (307, 2)
    f = Feed()
    await ingest(db, [f.event(10.5, "tip", "alice", tokens=300), f.event(11, "tip", "alice", tokens=8)])
    after, days = await ledger(db)
    alice = after["alice"]
    assert (alice["lifetime_tokens"], alice["imported_tokens"], alice["imported_tips"]) == (315, 7, 1)
    assert (alice["tips"], alice["tokens_tipped"], alice["biggest_tip"]) == (2, 308, 300)
    assert alice["first_tip_at"] == "2026-01-02T00:10:30.000Z"  # the event's time, not the row's
    assert days[("alice", "2026-01-02")] == 315
    await _no_differences(db)
