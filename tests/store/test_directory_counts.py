"""The Directory's kept counts and chosen index walks give what counting and sorting every row gives."""

from __future__ import annotations

import itertools
import random
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from service.clock import utcnow
from service.store import directory, person_state, persons
from service.store.db import Connection, Database, migration_files, open_database
from service.store.directory import SORTS, DirectoryFilter
from tests.support.rows import add_person, add_session, ago


async def _counted(conn: Connection) -> dict[str, int]:
    async with conn.execute("SELECT role, persons FROM person_role_counts WHERE persons <> 0") as cur:
        kept = {str(role): int(n) for role, n in await cur.fetchall()}
    async with conn.execute("SELECT role, count(*) FROM person_state GROUP BY role") as cur:
        assert kept == {str(role): int(n) for role, n in await cur.fetchall()}
    return kept


async def test_role_counts_follow_every_change_of_person_state(db: Database) -> None:
    """New persons, a role learnt, a refresh of everyone and a deleted person each keep the counts equal."""
    async with db.transaction() as conn:
        ids = await persons.ensure_persons(conn, ["ann", "bob", "cat", "dan"])
        await person_state.refresh(conn, ids.values())
        assert await _counted(conn) == {"unknown": 4}
        await conn.execute("UPDATE persons SET role = 'model' WHERE username IN ('ann', 'bob')")
        await conn.execute("UPDATE persons SET role = 'viewer' WHERE username = 'cat'")
        await person_state.refresh(conn, ids.values())
        assert await _counted(conn) == {"model": 2, "viewer": 1, "unknown": 1}
        await conn.execute("DELETE FROM persons WHERE username = 'ann'")  # cascades to person_state
        assert await _counted(conn) == {"model": 1, "viewer": 1, "unknown": 1}
        await person_state.refresh_all(conn)
        assert await _counted(conn) == {"model": 1, "viewer": 1, "unknown": 1}


async def _tag_roles(conn: Connection) -> list[tuple[int, str, str]]:
    """person_tags' rows with their role, after checking each role is its person_state row's."""
    async with conn.execute(
        "SELECT count(*) FROM person_tags t JOIN person_state s ON s.person_id = t.person_id "
        "WHERE t.role IS NOT s.role"
    ) as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
    async with conn.execute("SELECT person_id, tag, role FROM person_tags ORDER BY 1, 2") as cur:
        return [(int(p), str(t), str(r)) for p, t, r in await cur.fetchall()]


async def test_person_tags_keep_the_role_of_person_state(db: Database) -> None:
    """A tagged person's rows carry their role, and follow it when the role alone changes."""
    async with db.transaction() as conn:
        ids = await persons.ensure_persons(conn, ["ann", "bob"])
        await add_session(conn, ids["ann"], utcnow() - timedelta(hours=3), 1, (10, 12))
        await person_state.refresh(conn, ids.values())
        ann = ids["ann"]
        assert await _tag_roles(conn) == [(ann, "asian", "unknown"), (ann, "teen", "unknown")]
        await conn.execute("UPDATE persons SET role = 'model' WHERE username = 'ann'")
        await person_state.refresh(conn, [ann])
        assert await _tag_roles(conn) == [(ann, "asian", "model"), (ann, "teen", "model")]
        await person_state.refresh_all(conn)
        assert await _tag_roles(conn) == [(ann, "asian", "model"), (ann, "teen", "model")]


async def test_the_migration_counts_an_existing_database(tmp_path: Path) -> None:
    """A database from before 0024 gets counts equal to its person_state rows, and its tags roles."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, migration in migration_files():
            if number >= 24:
                break
            conn.executescript(migration.read_text(encoding="utf-8"))
            conn.execute(f"PRAGMA user_version = {number}")
        for pid, role in enumerate(("model", "model", "viewer", "unknown", "model"), start=1):
            conn.execute(
                "INSERT INTO persons (id, username, role, created_at, updated_at) VALUES (?, ?, ?, 'x', 'x')",
                (pid, f"p{pid}", role),
            )
            conn.execute(
                "INSERT INTO person_state (person_id, username, role) VALUES (?, ?, ?)",
                (pid, f"p{pid}", role),
            )
            conn.execute("INSERT INTO person_tags (person_id, tag) VALUES (?, 'fit')", (pid,))
    async with open_database(path) as db, db.read() as conn:
        assert await _counted(conn) == {"model": 3, "viewer": 1, "unknown": 1}
        roles = [role for _pid, _tag, role in await _tag_roles(conn)]
        assert roles == ["model", "model", "viewer", "unknown", "model"]


def _expected(rows: list[dict[str, Any]], flt: DirectoryFilter) -> list[str]:
    """Every row filtered and sorted in Python: valued rows by (value, tiebreak), then the rest by id."""
    column = SORTS[flt.sort][0]
    tiebreak = "username" if column == "role" else "person_id"
    kept = [
        r for r in rows
        if (not flt.role or r["role"] == flt.role)
        and (not flt.search or r["username"].startswith(flt.search))
        and (not flt.tags or set(flt.tags) & set(r["tags"]))
    ]  # fmt: skip
    valued = sorted((r for r in kept if r[column] is not None), key=lambda r: (r[column], r[tiebreak]))
    if flt.descending:
        valued.reverse()
    rest = sorted((r for r in kept if r[column] is None), key=lambda r: r["person_id"])
    return [r["username"] for r in valued + rest]


@pytest.fixture
async def crowd(db: Database) -> list[dict[str, Any]]:
    """120 persons: tagged models with no events and some snapshots, viewers with events, unknowns."""
    rng = random.Random(14)
    rows = []
    async with db.transaction() as conn:
        for i in range(120):
            role = ("model", "viewer", "unknown")[i % 3]
            model = role == "model"
            values: dict[str, Any] = {
                "age": rng.choice((None, 20, 25, 30)) if model else None,
                "followers": rng.randint(0, 50) if model or rng.random() < 0.2 else None,
                "rank": rng.randint(1, 9) if model and rng.random() < 0.5 else None,
                "priority": rng.choice((None, None, 1, 2)),
                "events_count": 0 if model else rng.randint(0, 30),
                "snapshot_count": rng.randint(1, 5) if model else 0,
                "last_seen_at": ago(minutes=rng.randint(1, 500)) if rng.random() < 0.9 else None,
                # models have tags; a few viewers too ("fit"), so a tag's persons are not always models
                "tags": rng.sample(["asian", "fit", "new", "tall"], rng.randint(1, 2))
                if model
                else (["fit"] if i % 10 == 1 else []),
            }
            name = f"{rng.choice('abc')}{rng.choice('xyz')}{i:03d}"
            person_id = await add_person(conn, name, role=role, **values)
            rows.append({"person_id": person_id, "username": name, "role": role, **values})
    return rows


@pytest.mark.parametrize("walk_everything", [False, True])
async def test_every_plan_pages_as_a_full_sort_would(
    db: Database, crowd: list[dict[str, Any]], walk_everything: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sort, direction and filter, read page by page, is the full sort of the matching rows;
    with walking forced down to tiny sizes, the walks (and their fall-back to a sort) are too."""
    if walk_everything:
        monkeypatch.setattr(directory, "SORT_TAG_MATCHES_UP_TO", 0)
        monkeypatch.setattr(directory, "WALK_MIN_ENTRIES", 1)
        monkeypatch.setattr(directory, "WALK_SLACK", 1)
    filters: tuple[dict[str, Any], ...] = (
        {}, {"role": "viewer"}, {"role": "model"}, {"tags": ("asian",)}, {"tags": ("fit", "tall")},
        {"search": "a"}, {"role": "model", "tags": ("new",)}, {"role": "viewer", "tags": ("fit",)},
    )  # fmt: skip
    async with db.read() as conn:
        for extra, sort, descending in itertools.product(filters, SORTS, (False, True)):
            flt = DirectoryFilter(sort=sort, descending=descending, **extra)
            expected = _expected(crowd, flt)
            got: list[str] = []
            for page in (1, 2, 3):
                result = await directory.list_page(conn, flt, page=page, page_size=17)
                assert result.total == len(expected), (extra, sort)
                got += [row.username for row in result.rows]
            assert got == expected[:51], (extra, sort, descending)


async def test_rows_decode_in_the_order_they_are_selected(db: Database) -> None:
    """The Directory builds PersonState from each selected row by position: same fields, same order."""
    assert [c.strip() for c in directory.COLUMNS.split(",")] == list(
        directory.PersonState.__dataclass_fields__
    )
    async with db.transaction() as conn:
        person_id = await add_person(conn, "ann", role="model", tags=["fit"], is_live=1, age=30)
    async with db.read() as conn:
        state = await directory.get_state(conn, person_id)
    assert state is not None
    assert (state.username, state.tags, state.is_live, state.age) == ("ann", ("fit",), True, 30)
