"""The schema: one current schema.sql, migrations that reproduce it, and the database settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from service.store import db as store_db
from service.store.db import Database, migration_files, schema_version


def _master(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    return [(t, n, " ".join((sql or "").split())) for t, n, _tbl, sql in rows]


async def test_fresh_and_migrated_databases_are_identical(tmp_path: Path) -> None:
    """Running schema.sql and running every migration from empty give the same sqlite_master."""
    fresh = tmp_path / "fresh.sqlite3"
    async with store_db.open_database(fresh):
        pass
    migrated = tmp_path / "migrated.sqlite3"
    with sqlite3.connect(migrated) as conn:
        for number, path in migration_files():
            conn.executescript(path.read_text())
            conn.execute(f"PRAGMA user_version = {number}")
    assert _master(fresh) == _master(migrated)
    with sqlite3.connect(fresh) as a, sqlite3.connect(migrated) as b:
        assert a.execute("PRAGMA user_version").fetchone() == b.execute("PRAGMA user_version").fetchone()


def test_schema_version_matches_the_last_migration() -> None:
    """schema.sql's declared version is the number of the newest migration file."""
    assert schema_version() == migration_files()[-1][0]


async def test_reopening_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    """A second start on the same file keeps rows and version."""
    path = tmp_path / "db.sqlite3"
    async with store_db.open_database(path) as db, db.transaction() as conn:
        await conn.execute(
            "INSERT INTO persons (username, created_at, updated_at) VALUES ('alice', 'x', 'x')"
        )
    async with store_db.open_database(path) as db, db.read() as conn:
        async with conn.execute("SELECT username FROM persons") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == ["alice"]
        async with conn.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == schema_version()  # type: ignore[index]


async def test_connection_pragmas(tmp_path: Path) -> None:
    """WAL, foreign keys and a busy timeout are on; readers cannot write."""
    async with store_db.open_database(tmp_path / "db.sqlite3") as db, db.read() as conn:
        async with conn.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
        async with conn.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with conn.execute("PRAGMA busy_timeout") as cursor:
            assert (await cursor.fetchone())[0] >= 1000  # type: ignore[index]
        with pytest.raises(sqlite3.OperationalError):
            await conn.execute("DELETE FROM persons")


async def test_person_usernames_are_unique_ignoring_case(tmp_path: Path) -> None:
    """'Alice' and 'alice' are the same person."""
    async with store_db.open_database(tmp_path / "db.sqlite3") as db:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO persons (username, created_at, updated_at) VALUES ('alice', 'x', 'x')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO persons (username, created_at, updated_at) VALUES ('ALICE', 'x', 'x')"
                )


async def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    """Everything in one transaction is rolled back when any statement fails."""
    async with store_db.open_database(tmp_path / "db.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError):  # noqa: PT012 - the block is the transaction
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO persons (username, created_at, updated_at) VALUES ('bob', 'x', 'x')"
                )
                await conn.execute(
                    "INSERT INTO persons (username, created_at, updated_at) VALUES ('BOB', 'x', 'x')"
                )
        async with db.read() as conn, conn.execute("SELECT count(*) FROM persons") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    """Opening a database from a newer version of the program fails instead of corrupting it."""
    path = tmp_path / "db.sqlite3"
    async with store_db.open_database(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    db = Database(path)
    with pytest.raises(RuntimeError, match="newer"):
        await db.open()
    await db.close()


async def test_a_transaction_whose_commit_fails_leaves_the_writer_usable(tmp_path: Path) -> None:
    """A failed COMMIT (here a deferred foreign key; in life a full disk) rolls back, so the next
    write starts cleanly instead of failing with "cannot start a transaction within a transaction"."""
    async with store_db.open_database(tmp_path / "db.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError):  # noqa: PT012 - the block is the transaction
            async with db.transaction() as conn:
                await conn.execute("PRAGMA defer_foreign_keys = ON")
                await conn.execute("INSERT INTO system_user_roles (user_id, role_id) VALUES (424242, 424242)")
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO persons (username, created_at, updated_at) VALUES ('bob', 'x', 'x')"
            )
        async with db.read() as conn, conn.execute("SELECT count(*) FROM system_user_roles") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
        async with db.read() as conn, conn.execute("SELECT count(*) FROM persons") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
