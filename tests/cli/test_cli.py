"""The `mhc` command, run as a user runs it: in a subprocess, on a real data folder."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.service_process import ServiceProcess, free_port, mhc

PASSWORD = "correct horse battery"


@pytest.fixture
def running_service(env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess(Path(env["MHC_DATA_DIR"]), env=env)
    process.start()
    yield process
    process.stop()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["user", "add"],
        ["user", "list"],
        ["job", "list"],
        ["job", "run"],
        ["backup"],
        ["export"],
        ["check"],
        ["import", "token-history"],
    ],
)
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    """`--help` works for each command."""
    result = mhc(env, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: mhc" in result.stdout


def test_user_add_and_list(env: dict[str, str]) -> None:
    """An admin created from the shell is listed with its role."""
    result = mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created owner (admin)" in result.stdout
    listed = mhc(env, "user", "list")
    assert re.search(r"^owner\s+admin\s+active\s+never$", listed.stdout, re.MULTILINE), listed.stdout


def test_user_add_refuses_bad_input(env: dict[str, str]) -> None:
    """Short password, duplicate name, bad role: clear message, non-zero exit, nothing created."""
    short = mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stdout
    mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    again = mhc(env, "user", "add", "OWNER", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and "already exists" in again.stdout
    role = mhc(env, "user", "add", "x", "--role", "root", "--password-stdin", stdin=PASSWORD + "\n")
    assert role.returncode == 2 and "invalid choice" in role.stderr
    assert mhc(env, "user", "list").stdout.count("\n") == 2  # header + owner


def test_job_list_and_run(env: dict[str, str]) -> None:
    """`job run` runs the job now, prints its result, and the run is recorded."""
    listed = mhc(env, "job", "list")
    assert listed.returncode == 0 and re.search(r"^maintenance\s+scheduled", listed.stdout, re.MULTILINE)
    result = mhc(env, "job", "run", "maintenance")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("database optimised")
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        assert conn.execute("SELECT trigger, status FROM job_runs").fetchall() == [("cli", "ok")]
    unknown = mhc(env, "job", "run", "nope")
    assert unknown.returncode == 2 and "no job named 'nope'" in unknown.stdout


def test_scheduled_list_runs_share_the_queue_with_mhc_scrape(env: dict[str, str]) -> None:
    """`mhc job run extension_lists` is the schedule's job, queueing where `mhc scrape` does."""
    alone = mhc(env, "job", "run", "extension_lists")
    assert alone.stdout.strip() == "extension_lists: ok: no extension paired; nothing queued"
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute(
            "INSERT INTO ext_clients (extension_id, token_hash, paired_at) "
            "VALUES ('ext', 'hash', '2026-01-01T00:00:00.000Z')"
        )
    assert mhc(env, "scrape", "--following").returncode == 0
    result = mhc(env, "job", "run", "extension_lists")
    assert result.stdout.strip() == (
        "extension_lists: ok: queued 1 list run(s) for the extension (1 already waiting)"
    )
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        rows = conn.execute("SELECT kind, requested_by FROM scrape_tasks ORDER BY id").fetchall()
    assert rows == [("following", "cli"), ("followers", "schedule")]


def test_serve_refuses_a_non_loopback_address(env: dict[str, str]) -> None:
    """Binding beyond this machine needs --allow-remote."""
    result = mhc(env, "serve", "--host", "0.0.0.0", "--port", str(free_port()))  # noqa: S104
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stdout


def test_serve_prints_a_setup_link_and_backup_copies_while_running(
    env: dict[str, str], running_service: ServiceProcess, tmp_path: Path
) -> None:
    """The first start prints a setup link; a backup taken beside the running service is consistent."""
    assert f"{running_service.url}/setup?token=" in running_service.setup_link()
    added = mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0
    target = tmp_path / "backup" / "copy.sqlite3"
    result = mhc(env, "backup", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT username FROM system_users").fetchall() == [("owner",)]
    refused = mhc(env, "backup", str(target))
    assert refused.returncode == 2 and "--force" in refused.stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_writes_data_tables_but_no_secrets(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    """Exports hold the data tables; accounts, sessions and settings are never exported."""
    mhc(env, "user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    mhc(env, "job", "run", "maintenance")
    out = tmp_path / "export"
    result = mhc(env, "export", "--format", fmt, str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert f"job_runs.{fmt}" in names and f"room_events.{fmt}" in names and f"persons.{fmt}" in names
    assert {f"fan_ledger.{fmt}", f"broadcast_attendance.{fmt}", f"token_history.{fmt}"} <= set(names)
    text = (out / f"job_runs.{fmt}").read_text()
    if fmt == "json":
        rows = json.loads(text)
        assert rows[0]["job_name"] == "maintenance"
    else:
        assert text.splitlines()[0].startswith("id,job_name,trigger")
    assert "argon2" not in "".join(p.read_text() for p in out.iterdir())


def test_export_never_names_an_anonymous_tipper(env: dict[str, str], tmp_path: Path) -> None:
    """A stored anonymous tip is exported as 'anonymous', though the database knows the name."""
    mhc(env, "job", "list")  # creates the database
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute("INSERT INTO persons (username, created_at, updated_at) VALUES ('shy_fan', 'x', 'x')")
        conn.execute(
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, raw, received_at) "
            "VALUES ('1767312000123-0', 1767312000123, 0, '2026-01-02T00:00:00.123Z', 'tip', 1, 50, 1, "
            "'{}', 'x')"
        )
    out = tmp_path / "export"
    assert mhc(env, "export", "--format", "csv", str(out)).returncode == 0
    text = (out / "room_events.csv").read_text()
    assert "anonymous" in text and "shy_fan" not in text


def test_export_csv_neutralises_formulas(env: dict[str, str], tmp_path: Path) -> None:
    """A tip message and a display name that start a formula come out as text in every CSV."""
    mhc(env, "job", "list")  # creates the database
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute("INSERT INTO persons (username, created_at, updated_at) VALUES ('fan', 'x', 'x')")
        conn.execute(
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, message, raw, "
            "received_at) VALUES ('1767312000123-0', 1767312000123, 0, '2026-01-02T00:00:00.123Z', 'tip', 1, "
            "50, 0, '=HYPERLINK(\"http://evil.example\")', '{}', 'x')"
        )
        conn.execute(
            "INSERT INTO person_state (person_id, username, role, display_name, tags) "
            "VALUES (1, 'fan', 'viewer', '@SUM(1+1)', '[\"-x\"]')"
        )
    out = tmp_path / "export"
    assert mhc(env, "export", "--format", "csv", str(out)).returncode == 0
    events = list(csv.DictReader(io.StringIO((out / "room_events.csv").read_text(encoding="utf-8"))))
    assert events[0]["message"] == '\'=HYPERLINK("http://evil.example")' and events[0]["tokens"] == "50"
    state = list(csv.DictReader(io.StringIO((out / "person_state.csv").read_text(encoding="utf-8"))))
    assert state[0]["display_name"] == "'@SUM(1+1)"
    json_out = tmp_path / "json"
    assert mhc(env, "export", "--format", "json", str(json_out)).returncode == 0
    rows = json.loads((json_out / "room_events.json").read_text())
    assert rows[0]["message"] == '=HYPERLINK("http://evil.example")'  # JSON is data, not a spreadsheet


def test_check_reports_a_ledger_that_differs_from_the_stored_events(env: dict[str, str]) -> None:
    """An empty database checks out; a tip written behind the ledger's back is named, exit 1."""
    first = mhc(env, "check")
    assert first.returncode == 0 and "fan ledger: OK" in first.stdout and "presence: OK" in first.stdout
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute("INSERT INTO persons (username, created_at, updated_at) VALUES ('fan', 'x', 'x')")
        conn.execute(
            "INSERT INTO room_events (id, ms, seq, at, method, person_id, tokens, is_anon, raw, received_at) "
            "VALUES ('1767312000123-0', 1767312000123, 0, '2026-01-02T00:00:00.123Z', 'tip', 1, 50, 0, "
            "'{}', 'x')"
        )
    second = mhc(env, "check")
    assert second.returncode == 1
    assert "person_room_stats person 1: tokens_tipped is 0, recomputed 50" in second.stdout
    assert "person_room_days (1, '2026-01-02'): row is None, recomputed (50,)" in second.stdout
    # The tip also says the fan was in the room, which presence (written behind its back) does not know.
    assert "presence: 1 difference(s) from a recomputation:" in second.stdout
    assert "room_presence person 1: stored None, recomputed Stay(person_id=1" in second.stdout


def test_mhc_job_run_alert_watch_raises_a_silent_extension_alert(env: dict[str, str]) -> None:
    """`mhc job run alert_watch` evaluates the rules like the schedule: once per silence."""
    mhc(env, "job", "list")  # creates the database
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        conn.execute(
            "INSERT INTO ext_clients (extension_id, token_hash, paired_at, last_used_at) "
            "VALUES ('abc', 'h', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')"
        )
        conn.execute(
            "INSERT INTO alert_rules (kind, name, params, created_at) "
            "VALUES ('extension_silent', 'quiet extension', '{\"days\": 2}', '2026-01-01T00:00:00.000Z')"
        )
    first = mhc(env, "job", "run", "alert_watch")
    assert first.stdout.strip() == "alert_watch: ok: 1 rule checked; 1 alert raised", first.stderr
    again = mhc(env, "job", "run", "alert_watch")
    assert again.stdout.strip() == "alert_watch: ok: 1 rule checked; 0 alerts raised"
    with sqlite3.connect(Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3") as conn:
        assert conn.execute("SELECT kind, trigger_key FROM alerts").fetchall() == [
            ("extension_silent", "extension:2026-01-02T00:00:00.000Z")
        ]
