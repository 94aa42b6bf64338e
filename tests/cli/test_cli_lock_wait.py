"""`mhc` beside a long write of another process (the service ingesting a huge list) waits and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.service_process import mhc

PASSWORD = "correct horse battery"
# A second real process that takes SQLite's write lock, says so, holds it, then commits.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MHC_DATA_DIR": str(tmp_path / "data"),
        "MHC_PASSWORD_TIME_COST": "1",
        "MHC_PASSWORD_MEMORY_KIB": "8",
        # The service's own wait stays short; commands have their own, longer one.
        "MHC_DB_BUSY_TIMEOUT_MS": "300",
    }
    subprocess.run([sys.executable, "-m", "service", "job", "list"], env=env, check=True, capture_output=True)
    return env


@contextmanager
def _hold_lock(env: dict[str, str], seconds: float) -> Iterator[subprocess.Popen[str]]:
    path = Path(env["MHC_DATA_DIR"]) / "mhc.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def _run_while_locked(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `mhc ARGS` while another process holds the write lock, and release the lock only once the
    command has said on stderr that it waits: the test does not depend on how fast the machine is."""
    with _hold_lock(env, 60) as holder:
        command = subprocess.Popen(
            [sys.executable, "-m", "service", *args], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert command.stdin is not None and command.stderr is not None
        command.stdin.write(stdin)
        command.stdin.close()
        first = command.stderr.readline()  # blocks until the command says something on stderr
        holder.kill()
        assert command.stdout is not None
        out, rest = command.stdout.read(), command.stderr.read()  # the output is a few lines
        command.wait(timeout=60)
        command.stdout.close()
        command.stderr.close()
    return command.returncode, out, first + rest


def test_commands_wait_for_a_long_write_and_say_so(env: dict[str, str]) -> None:
    """While another process writes, `user add` and `pair` wait, tell stderr why, then succeed."""
    env = {**env, "MHC_COMMAND_BUSY_TIMEOUT_MS": "30000"}
    code, out, err = _run_while_locked(env, "user", "add", "owner", "--role", "admin", "--password-stdin",
                                       stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0, out + err
    assert "created owner (admin)" in out
    assert "waiting for the database (another process, probably the service, is writing)" in err
    code, out, err = _run_while_locked(env, "pair")
    assert code == 0, out + err
    assert "Pairing code:" in out and "waiting for the database" in err


def test_a_command_that_waits_too_long_says_so_in_one_line(env: dict[str, str]) -> None:
    """Past its wait, a command ends with a one-line reason and exit status 3, never a traceback."""
    env = {**env, "MHC_COMMAND_BUSY_TIMEOUT_MS": "1000"}
    with _hold_lock(env, 8):
        result = mhc(env, "scrape", "somebody")
        assert result.returncode == 3, result.stdout + result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        errors = [line for line in result.stderr.splitlines() if line.startswith("mhc: ")]
        assert errors[-1] == (
            "mhc: the database stayed locked for 1 s by another process (probably the service, writing); "
            "nothing was changed. Try again, or wait longer with MHC_COMMAND_BUSY_TIMEOUT_MS."
        )
    listed = mhc(env, "job", "list")
    assert listed.returncode == 0
