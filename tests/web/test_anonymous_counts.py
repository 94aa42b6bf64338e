"""An anonymous tip leaves no per-person trace: no count, no time, in the Directory, its CSV or the
Profile, so its timing on the Events page cannot point at the tipper."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from bs4 import BeautifulSoup

from service.store import person_state
from service.store.db import migration_files, open_database
from service.web.keys import db_key
from tests.support.events import Feed, ingest
from tests.support.panel import Panel, add_user


async def _room_with_an_anonymous_tipper(panel: Panel) -> None:
    """`fan` enters and tips by name; `shy_fan`'s only event is an anonymous tip."""
    feed = Feed()
    db = panel.app[db_key]
    await ingest(db, [feed.event(1, "userEnter", "fan"), feed.event(2, "tip", "fan", tokens=5)])
    await ingest(db, [feed.event(30, "tip", "shy_fan", tokens=50, is_anon=True)])
    async with db.transaction() as conn:
        await person_state.reconcile(conn)  # as the maintenance job does


def _directory_row(html: str, username: str) -> list[str]:
    row = BeautifulSoup(html, "html.parser").select_one(f"tr[data-username={username}]")
    assert row is not None, username
    return [td.get_text(" ", strip=True) for td in row.select("td")]


async def test_viewer_sees_no_trace_of_an_anonymous_tip(panel: Panel) -> None:
    """Directory page and CSV: 0 events and no last-seen time; the Profile: not seen in the room."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    await _room_with_an_anonymous_tipper(panel)
    _, html = await panel.get("/users/directory?sort=username&dir=asc")
    headers = [th.get_text(strip=True) for th in BeautifulSoup(html, "html.parser").select("thead th")]
    shy = dict(zip(headers, _directory_row(html, "shy_fan"), strict=False))
    fan = dict(zip(headers, _directory_row(html, "fan"), strict=False))
    assert (shy["Events"], fan["Events"]) == ("0", "2")
    assert shy["Last Seen"] in ("", "—", "never") and fan["Last Seen"] not in ("", "—", "never")
    response = await panel.client.get("/users/directory.csv?sort=username&dir=asc")
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(await response.text()))}
    assert (rows["shy_fan"]["events"], rows["shy_fan"]["last_seen_at"]) == ("0", "")
    assert rows["fan"]["events"] == "2"
    status, page = await panel.get("/profile/shy_fan/room")
    assert status == 200
    stats = BeautifulSoup(page, "html.parser").select_one("[data-testid=person-room-stats]")
    assert stats is not None and "Not seen in your room yet." in stats.get_text()
    assert "00:30" not in page and "50" not in stats.get_text()


async def test_migration_takes_anonymous_tips_out_of_existing_counts(tmp_path: Path) -> None:
    """Figures stored by older versions (anonymous tips counted) are recounted by the migration."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, migration in migration_files():
            if number <= 7:
                conn.executescript(migration.read_text())
                conn.execute(f"PRAGMA user_version = {number}")
        conn.executescript(
            "INSERT INTO persons (id, username, created_at, updated_at) VALUES (1, 'fan', 'x', 'x'), "
            "(2, 'shy_fan', 'x', 'x');"
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, raw, received_at) "
            "VALUES ('1-1', 1, 1, '2026-01-02T00:01:00.000Z', 'userEnter', 1, 0, 0, '{}', 'x'), "
            "('2-2', 2, 2, '2026-01-02T00:02:00.000Z', 'tip', 1, 5, 0, '{}', 'x'), "
            "('3-3', 3, 3, '2026-01-02T00:30:00.000Z', 'tip', 1, 9, 1, '{}', 'x'), "
            "('4-4', 4, 4, '2026-01-02T00:31:00.000Z', 'tip', 2, 50, 1, '{}', 'x');"
            "INSERT INTO person_room_stats (person_id, first_seen_at, last_seen_at, visits, events, tips, "
            "tokens_tipped) VALUES (1, '2026-01-02T00:01:00.000Z', '2026-01-02T00:30:00.000Z', 1, 3, 1, 5), "
            "(2, '2026-01-02T00:31:00.000Z', '2026-01-02T00:31:00.000Z', 0, 1, 0, 0);"
            "INSERT INTO person_state (person_id, username, role, events_count) "
            "VALUES (1, 'fan', 'viewer', 3), (2, 'shy_fan', 'viewer', 1);"
        )
    async with open_database(path) as db, db.read() as conn:
        stats = await conn.execute_fetchall(
            "SELECT person_id, events, first_seen_at, last_seen_at FROM person_room_stats ORDER BY 1"
        )
        counts = await conn.execute_fetchall("SELECT person_id, events_count FROM person_state ORDER BY 1")
    assert [tuple(r) for r in stats] == [(1, 2, "2026-01-02T00:01:00.000Z", "2026-01-02T00:02:00.000Z")]
    assert [tuple(r) for r in counts] == [(1, 2), (2, 0)]
