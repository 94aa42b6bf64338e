"""`mhc backup` keeps no copy that fails its check: bytes overwritten in a table or an index page (on
the database, so the copy carries them) are reported, the command exits non-zero, nothing is kept;
the check finds the same damage done to a finished copy on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from service.store.copy_check import check_file
from tests.support.service_process import mhc


def _database(env: dict[str, str]) -> Path:
    """The service's database with 3,000 persons: several pages of table and of index."""
    assert mhc(env, "job", "list").returncode == 0  # creates the database
    path = Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3"
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO persons (username, created_at, updated_at) VALUES (?, 'x', 'x')",
            ((f"person_{n:05d}",) for n in range(3000)),
        )
    conn.close()  # the last connection's close moves the write-ahead log into the file we damage
    return path


def _page(path: Path, name: str, kind: str) -> tuple[int, int]:
    """(offset, size) in the file of one `kind` page of table or index `name`."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        number = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno LIMIT 1 OFFSET 1",
            (name, kind),
        ).fetchone()[0]
    return (number - 1) * size, size


def _overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)


@pytest.mark.parametrize("name", ["persons", "idx_persons_username"])
def test_a_copy_with_an_overwritten_page_is_refused(env: dict[str, str], tmp_path: Path, name: str) -> None:
    """Cell pointers of a table page, or of an index page, overwritten: exit 2, a sentence, no file."""
    database = _database(env)
    offset, _ = _page(database, name, "leaf")
    _overwrite(database, offset + 8, b"\xff" * 24)  # the cell pointers, right after the leaf's header
    target = tmp_path / "backup" / "copy.sqlite3"
    result = mhc(env, "backup", str(target))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the copy failed its check" in result.stdout and name in result.stdout
    assert not target.exists() and not target.with_name("copy.sqlite3.partial").exists()


def _repoint_first_child(path: Path) -> None:
    """Overwrites the first child pointer of persons' root (an interior page) with its last child's."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'persons'").fetchone()[0]
    offset = (root - 1) * size
    page = path.read_bytes()[offset : offset + size]
    assert page[0] == 0x05, "persons' root should be an interior table page"
    first_cell = int.from_bytes(page[12:14], "big")  # the first cell pointer, after the 12-byte header
    _overwrite(path, offset + first_cell, page[8:12])  # the right-most child's page number


def test_a_page_linked_twice_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    """A child pointer overwritten with another child's page number: every page still decodes, but
    one leaf is reached twice and one not at all, so the table and its index disagree and the pages
    no longer add up to the file."""
    database = _database(env)
    _repoint_first_child(database)
    target = tmp_path / "copy.sqlite3"
    result = mhc(env, "backup", str(target))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "idx_persons_username holds" in result.stdout
    assert "of persons are reached twice" in result.stdout and "account for" in result.stdout
    assert not target.exists()


def test_the_check_finds_damage_done_to_a_finished_copy(env: dict[str, str], tmp_path: Path) -> None:
    """A good copy passes; the same copy with an index page's pointers overwritten on disk does not."""
    _database(env)
    target = tmp_path / "copy.sqlite3"
    assert mhc(env, "backup", str(target)).returncode == 0
    assert check_file(target) == []
    offset, _ = _page(target, "idx_persons_username", "leaf")
    _overwrite(target, offset + 8, b"\xff" * 24)
    assert any("idx_persons_username" in problem for problem in check_file(target))
    target.write_bytes(b"not a database at all" * 200)
    assert check_file(target)[0].startswith("the database cannot be read")
