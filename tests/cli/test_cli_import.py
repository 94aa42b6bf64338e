"""`mhc import token-history FILE`, run as a user runs it, on a real data folder."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.service_process import mhc

HEADER = "User,Token change,Timestamp,Note\n"


def stored(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def test_import_prints_the_summary_and_a_second_run_adds_nothing(env: dict[str, str], tmp_path: Path) -> None:
    """The counts of what the file held; the same file again is all already known."""
    path = tmp_path / "tokens.csv"
    path.write_text(
        HEADER + "alice,100,2026-01-02 10:00:00,Tip\nbob,30,2026-01-02 11:00:00,Private show\n"
        "bob,-5,2026-01-02 12:00:00,Refund\n",
        encoding="utf-8",
    )
    first = mhc(env, "import", "token-history", str(path))
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.strip() == (
        "tokens.csv: read 3 rows; added 2, already known 0, matched to room events 0, not spending 1"
    )
    again = mhc(env, "import", "token-history", str(path))
    assert "added 0, already known 2" in again.stdout
    sql = "SELECT p.username, s.imported_tokens FROM person_room_stats s JOIN persons p ON p.id = s.person_id"
    assert stored(env, sql + " ORDER BY 1") == [("alice", 100), ("bob", 30)]


def test_a_refused_file_exits_1_with_the_sentence(env: dict[str, str], tmp_path: Path) -> None:
    """A bad row: exit status 1, its line and reason, and nothing stored."""
    path = tmp_path / "tokens.csv"
    path.write_text(HEADER + "alice,100,2026-01-02 10:00:00,Tip\nbob,lots,2026-01-02 11:00:00,Tip\n")
    result = mhc(env, "import", "token-history", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "mhc: tokens.csv was not imported: Line 3: the Token change 'lots' is not a whole number. "
        "Nothing was stored."
    )
    assert stored(env, "SELECT count(*) FROM token_history") == [(0,)]
    assert stored(env, "SELECT count(*) FROM persons") == [(0,)]
    assert stored(env, "SELECT status FROM token_history_imports") == [("failed",)]


def test_a_missing_file_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    """No such file: one line, exit status 2."""
    result = mhc(env, "import", "token-history", str(tmp_path / "nope.csv"))
    assert (result.returncode, result.stdout.strip()) == (2, f"mhc: no such file: {tmp_path / 'nope.csv'}")
