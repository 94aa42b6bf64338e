"""`mhc pair` and `mhc scrape`, run as a user runs them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.support.service_process import mhc


def test_pair_prints_a_one_time_code(env: dict[str, str]) -> None:
    """The code has the panel's shape and only its hash is stored."""
    result = mhc(env, "pair")
    assert result.returncode == 0, result.stderr
    code = re.search(r"Pairing code: ([A-Z2-9]{4}-[A-Z2-9]{4})", result.stdout)
    assert code
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        (stored,) = conn.execute("SELECT code_hash FROM ext_pairing_codes").fetchone()
    assert code.group(1) not in stored


def test_scrape_queues_tasks_once(env: dict[str, str]) -> None:
    """Lists and profiles become tasks; repeating the command does not double them."""
    first = mhc(env, "scrape", "--following", "--followers", "Harbor_Lights")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "harbor_lights queued" in first.stdout
    again = mhc(env, "scrape", "harbor_lights")
    assert "already queued" in again.stdout
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        rows = conn.execute(
            "SELECT kind, username, state, requested_by FROM scrape_tasks ORDER BY id"
        ).fetchall()
    assert rows == [("following", None, "queued", "cli"), ("followers", None, "queued", "cli"),
                    ("profile", "harbor_lights", "queued", "cli")]  # fmt: skip
    bad = mhc(env, "scrape", "not a name!")
    assert bad.returncode == 2 and "not a valid username" in bad.stdout
    assert mhc(env, "scrape").returncode == 2
