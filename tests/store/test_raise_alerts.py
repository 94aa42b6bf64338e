"""raise_alerts (many at once) keeps raise_alert's rules: unique per (rule, trigger), outbox rows for
loud alerts to the destinations that take their kind, none for quiet ones; and a cooldown per rule and
person against alerts stored before."""

from __future__ import annotations

from service.store import alerts, persons
from service.store.alerts import NewAlert
from service.store.db import Database


async def _setup(db: Database) -> tuple[int, int]:
    async with db.transaction() as conn:
        ids = await persons.ensure_persons(conn, ["alice", "bob"])
        await conn.execute(
            "INSERT INTO alert_destinations (kind, name, target, kinds, created_at) VALUES "
            "('webhook', 'all', 'http://127.0.0.1:1/a', '[]', 't'), "
            "('ntfy', 'tips', 'http://127.0.0.1:1/b', '[\"big_tip\"]', 't')"
        )
    return ids["alice"], ids["bob"]


async def _deliveries(db: Database) -> list[tuple[str, str]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT a.trigger_key, d.name FROM alert_deliveries x JOIN alerts a ON a.id = x.alert_id "
            "JOIN alert_destinations d ON d.id = x.destination_id ORDER BY a.trigger_key, d.name"
        )
    return [(row[0], row[1]) for row in rows]


async def test_many_alerts_their_outbox_and_their_uniqueness(db: Database) -> None:
    alice, bob = await _setup(db)
    batch = [
        (NewAlert(1, "big_tip", "e1", "alice tipped", person_id=alice), "2026-01-02T00:00:00.000Z", 0),
        (NewAlert(2, "new_follower", "e2", "bob followed", person_id=bob), "2026-01-02T00:00:01.000Z", 0),
        (
            NewAlert(2, "new_follower", "e3", "quiet", person_id=alice, quiet=True),
            "2026-01-02T00:00:02.000Z",
            0,
        ),
    ]
    async with db.transaction() as conn:
        assert await alerts.raise_alerts(conn, batch) == 3
    async with db.transaction() as conn:
        assert await alerts.raise_alerts(conn, batch) == 0  # the same triggers again
    assert await _deliveries(db) == [("e1", "all"), ("e1", "tips"), ("e2", "all")]


async def test_the_cooldown_holds_against_stored_alerts(db: Database) -> None:
    alice, bob = await _setup(db)
    first = (
        NewAlert(1, "fan_enters", "e1", "alice entered", person_id=alice),
        "2026-01-02T00:00:00.000Z",
        600,
    )
    async with db.transaction() as conn:
        assert await alerts.raise_alerts(conn, [first]) == 1
    later = [
        (NewAlert(1, "fan_enters", "e2", "alice again", person_id=alice), "2026-01-02T00:09:59.000Z", 600),
        (NewAlert(1, "fan_enters", "e3", "bob", person_id=bob), "2026-01-02T00:09:59.000Z", 600),
        (NewAlert(2, "fan_enters", "e4", "other rule", person_id=alice), "2026-01-02T00:09:59.000Z", 600),
        (NewAlert(1, "fan_enters", "e5", "alice later", person_id=alice), "2026-01-02T00:10:01.000Z", 600),
    ]
    async with db.transaction() as conn:
        assert await alerts.raise_alerts(conn, later) == 3
        keys = [row[0] for row in await conn.execute_fetchall("SELECT trigger_key FROM alerts ORDER BY id")]
    assert keys == ["e1", "e3", "e4", "e5"]
