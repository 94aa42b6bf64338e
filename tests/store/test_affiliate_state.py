"""A sweep writes person_state from its staged rows (store/affiliate_state.py): the table must hold
exactly what v_person_current_state says, whatever the other sources did in between."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from service.clock import to_db, utcnow
from service.store import affiliate, cbhours, images, lookup, persons, scrapes
from service.store.affiliate import RoomSighting
from service.store.db import Connection, Database

NAMES = [f"model_{i:02d}" for i in range(40)]


async def _differences(db: Database) -> list[tuple[Any, ...]]:
    """Rows where the table and the view disagree (both directions), by person, then person_tags rows
    that differ from person_state's tags and role. A person no job has refreshed yet (created by the
    events stream, say) has no row until reconcile() gives it one."""
    async with db.read() as conn:
        async with conn.execute("SELECT * FROM person_state ORDER BY person_id") as cur:
            table = [tuple(row) for row in await cur.fetchall()]
        async with conn.execute(
            "SELECT * FROM v_person_current_state WHERE person_id IN (SELECT person_id FROM person_state) "
            "OR person_id IN (SELECT person_id FROM affiliate_api_snapshots) ORDER BY person_id"
        ) as cur:
            view = [tuple(row) for row in await cur.fetchall()]
        # person_tags carries each person's tags and role (the Directory's tag filter reads it).
        async with conn.execute("SELECT person_id, tag, role FROM person_tags") as cur:
            tags = {("tag", *row) for row in await cur.fetchall()}
        async with conn.execute(
            "SELECT DISTINCT s.person_id, lower(t.value), s.role FROM person_state s, json_each(s.tags) t "
            "WHERE s.tags IS NOT NULL AND t.type = 'text' AND t.value <> ''"
        ) as cur:
            tags_wanted = {("tag", *row) for row in await cur.fetchall()}
    return sorted(set(table) ^ set(view), key=lambda row: (row[0], row in view)) + sorted(tags ^ tags_wanted)


async def _fast_rows(db: Database) -> int:
    """Rooms of the last sweep whose state was written from the staged row, not through the view."""
    async with (
        db.exclusive() as conn,
        conn.execute("SELECT count(*) FROM temp.affiliate_stage WHERE fast = 1") as cur,
    ):
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def _maybe(rng: random.Random, value: Any, missing: Any) -> Any:
    """The feed leaves a field out now and then (hidden age, no tags, no image)."""
    return missing if rng.random() < 0.12 else value


def _room(rng: random.Random, name: str, start_s: int, seen_s: int) -> RoomSighting:
    tags = rng.choice([["fit"], ["fit", "new"], ["latina"]])
    return RoomSighting(
        name, start_s, seen_s - start_s,
        _maybe(rng, rng.choice([name.title(), name.upper()]), ""),
        _maybe(rng, rng.choice(["f", "m"]), ""),
        _maybe(rng, rng.choice([25, 31]), None),
        None, "", "", "[]", rng.choice(["public", "private"]), "subject", _maybe(rng, json.dumps(tags), "[]"),
        0, 1, rng.randint(0, 50), rng.randint(100, 110),
        _maybe(rng, f"https://img.example/{name}.jpg", ""),
    )  # fmt: skip


async def _other_sources(conn: Connection, rng: random.Random, ids: dict[str, int], at: datetime) -> None:
    """What the other jobs and the extension write between sweeps, each refreshing as it does."""
    when = to_db(at)
    for name in rng.sample(sorted(ids), 4):
        followers = rng.choice([None, 90, 95])
        gender, rank, tags = rng.choice([None, "t"]), rng.choice([None, 7]), rng.choice([None, '["cb"]'])
        row = cbhours.LiveRow(
            ids[name], rng.randint(0, 1), gender, rank, None, None, followers, None, None, tags, None
        )
        await cbhours.record_live(conn, [row], checked_at=when)
    for name in rng.sample(sorted(ids), 2):
        bio = rng.choice([{"real-name": "Scraped", "age": "40"}, {"followers": "1,234"}, {}])
        await scrapes.insert_profile_scrape(
            conn, person_id=ids[name], key=f"{name}-{when}", client_id=None, url="https://x.example/",
            scraped_at=when, follow_status="unknown", identity_ok=True, online=None, bio=bio,
            social_links=[], wishlist=[], photosets=[], header_online=None, header_total=None,
        )  # fmt: skip
        await lookup.enqueue(conn, name, rng.choice([1, 2]), "", "test")  # refreshes the person
    name = rng.choice(sorted(ids))
    sha = f"{rng.getrandbits(128):032x}" * 2
    image = images.StoredImage(sha, "image/jpeg", 10, f"images/{sha[:2]}/{sha}.jpg")
    await images.record_image(conn, ids[name], image, url=f"https://img.example/{sha}.jpg", seen_at=when)


async def _room_event(conn: Connection, person_id: int) -> None:
    """The events stream moves a person's event count without touching person_state (reconcile()
    catches up later); a sweep of that person reads the count as the view does."""
    await conn.execute(
        "INSERT INTO person_room_stats (person_id, events) VALUES (:id, 1) "
        "ON CONFLICT (person_id) DO UPDATE SET events = events + 1",
        {"id": person_id},
    )


async def test_sweeps_mixed_with_other_sources_leave_the_table_equal_to_the_view(db: Database) -> None:
    """Ten fresh sweeps over 40 rooms (fields missing at random, sessions restarting), CBHours checks,
    scrapes, lookups and images in between: after each sweep, person_state == the view, and most
    rooms took the staged-row path."""
    rng = random.Random(14)
    now = utcnow()
    starts: dict[str, int] = {}
    ids: dict[str, int] = {}
    async with db.transaction() as conn:
        # Known before any sweep: one with a state row (the stats job's kind), one without (events').
        await lookup.enqueue(conn, NAMES[0], 2, "", "test")
        await persons.ensure_persons(conn, [NAMES[1]])
    fast = 0
    for sweep in range(10):
        seen = now - timedelta(minutes=9) + timedelta(seconds=50 * sweep)
        seen_s = int(seen.timestamp())
        names = rng.sample(NAMES, 30)
        if names[0] in ids:
            async with db.transaction() as conn:
                await _room_event(conn, ids[names[0]])
        rooms = []
        for name in names:
            if name not in starts or rng.random() < 0.15:  # a new broadcast
                starts[name] = seen_s - rng.randint(0, 120)
            rooms.append(_room(rng, name, starts[name], seen_s))
        async with db.transaction() as conn:
            await affiliate.store_sweep(conn, rooms, seen_at=to_db(seen), broadcaster=NAMES[0])
            found = await persons.find_persons(conn, NAMES)
            ids = {name: person.id for name, person in found.items()}
        fast += await _fast_rows(db)
        assert await _differences(db) == [], f"after sweep {sweep}"
        async with db.transaction() as conn:
            await _other_sources(conn, rng, ids, seen + timedelta(seconds=20))
        assert await _differences(db) == [], f"after the sources following sweep {sweep}"
    assert fast >= 150, f"only {fast} of 300 rooms took the staged-row path"


async def test_a_late_sweep_goes_through_the_view(db: Database) -> None:
    """A sweep older than ten minutes is not live evidence: the view decides, and the table agrees."""
    rng = random.Random(3)
    seen = utcnow() - timedelta(minutes=30)
    seen_s = int(seen.timestamp())
    async with db.transaction() as conn:
        await affiliate.store_sweep(
            conn,
            [_room(rng, name, seen_s - 60, seen_s) for name in NAMES[:5]],
            seen_at=to_db(seen),
            broadcaster="",
        )
    assert await _fast_rows(db) == 0
    assert await _differences(db) == []
    async with db.read() as conn, conn.execute("SELECT DISTINCT is_live, live_source FROM person_state") as c:
        assert [tuple(row) for row in await c.fetchall()] == [(0, "history")]


async def test_a_sweep_that_makes_a_person_a_model_moves_their_tags_role(db: Database) -> None:
    """CBHours knew the tags of someone the panel had as 'unknown'; the first sweep that sees the room
    keeps the same tags and makes them a model: person_tags (which the Directory's tag filter reads
    with the role) follows, though the tags did not change."""
    now = utcnow()
    async with db.transaction() as conn:
        await lookup.enqueue(conn, "tagged_first", 2, "", "test")  # a state row, role unknown
        (person,) = (await persons.find_persons(conn, ["tagged_first"])).values()
        row = cbhours.LiveRow(person.id, 1, None, None, None, None, 90, None, None, '["fit"]', None)
        await cbhours.record_live(conn, [row], checked_at=to_db(now - timedelta(minutes=5)))
    rng = random.Random(3)
    room = _room(rng, "tagged_first", int(now.timestamp()) - 600, int(now.timestamp()))
    room = room._replace(tags='["fit"]', image_url="https://img.example/tagged_first.jpg")
    async with db.transaction() as conn:
        await affiliate.store_sweep(conn, [room], seen_at=to_db(now), broadcaster="someone_else")
    assert await _fast_rows(db) == 1
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT tag, role FROM person_tags WHERE person_id = ?", (person.id,)
        )
    assert [tuple(r) for r in rows] == [("fit", "model")]
    assert await _differences(db) == []
