"""`mhc export` and the fan CRM's private data: lists are exported, notes only with --include-notes."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.service_process import mhc

PASSWORD = "correct horse battery"
NOTE = "Birthday 3 March; prefers the name Sam"


def _seed(env: dict[str, str]) -> None:
    """An account, a person on VIP and on a custom list, and one pinned note about them."""
    result = mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute("INSERT INTO persons (username, created_at, updated_at) VALUES ('sam_fan', 'x', 'x')")
        conn.execute(
            "INSERT INTO fan_lists (name, created_at) VALUES ('Regulars', '2026-02-01T00:00:00.000Z')"
        )
        conn.execute(
            "INSERT INTO fan_list_members (list_id, person_id, added_at, added_by) "
            "SELECT l.id, 1, '2026-02-02T00:00:00.000Z', 1 FROM fan_lists l "
            "WHERE l.name IN ('VIP', 'Regulars')"
        )
        conn.execute(
            "INSERT INTO person_notes (person_id, category, body, author_id, pinned, created_at, updated_at) "
            "VALUES (1, 'private_message', ?, 1, 1, '2026-02-03T00:00:00.000Z', '2026-02-03T00:00:00.000Z')",
            (NOTE,),
        )


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_has_lists_but_no_notes_unless_asked(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    _seed(env)
    out = tmp_path / "export"
    result = mhc(env, "export", "--format", fmt, str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert f"fan_lists.{fmt}" in names and f"fan_list_members.{fmt}" in names
    assert f"notes.{fmt}" not in names
    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert "Birthday" not in everything
    members = (out / f"fan_list_members.{fmt}").read_text(encoding="utf-8")
    if fmt == "json":
        rows = [(r["list"], r["username"], r["added_by"]) for r in json.loads(members)]
        lists = [r["name"] for r in json.loads((out / "fan_lists.json").read_text())]
    else:
        rows = [(r["list"], r["username"], r["added_by"]) for r in csv.DictReader(io.StringIO(members))]
        lists = [r["name"] for r in csv.DictReader(io.StringIO((out / "fan_lists.csv").read_text()))]
    assert sorted(rows) == [("Regulars", "sam_fan", "owner"), ("VIP", "sam_fan", "owner")]
    assert lists == ["Friends", "VIP", "Watchlist", "Banned", "Regulars"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_with_include_notes_writes_the_notes(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    _seed(env)
    out = tmp_path / "export"
    result = mhc(env, "export", "--format", fmt, "--include-notes", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"notes.{fmt}: 1 rows" in result.stdout
    text = (out / f"notes.{fmt}").read_text(encoding="utf-8")
    rows = json.loads(text) if fmt == "json" else list(csv.DictReader(io.StringIO(text)))
    assert [(r["username"], r["category"], r["body"], r["author"], str(r["pinned"])) for r in rows] == [
        ("sam_fan", "private_message", NOTE, "owner", "1")
    ]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_has_the_broadcast_summaries(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    """A summary's figures and sentences are history too: they go out with the broadcasts."""
    _seed(env)
    sentences = json.dumps([["Tokens: ", {"num": 1500}, " from 12 tippers"]])
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute(
            "INSERT INTO broadcasts (id, started_at, last_event_at) "
            "VALUES (7, '2026-02-03T20:00:00.000Z', '2026-02-03T23:00:00.000Z')"
        )
        conn.execute(
            "INSERT INTO broadcast_reports (broadcast_id, stale, generated_at, facts, sentences) "
            "VALUES (7, 0, '2026-02-03T23:05:00.000Z', '{\"tokens\": 1500}', ?)",
            (sentences,),
        )
    out = tmp_path / "export"
    result = mhc(env, "export", "--format", fmt, str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    text = (out / f"broadcast_summaries.{fmt}").read_text(encoding="utf-8")
    rows = json.loads(text) if fmt == "json" else list(csv.DictReader(io.StringIO(text)))
    assert [(str(r["broadcast_id"]), r["generated_at"], r["sentences"]) for r in rows] == [
        ("7", "2026-02-03T23:05:00.000Z", sentences)
    ]
