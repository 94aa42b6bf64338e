"""A real `python -m service serve` (and `mhc` commands) in a subprocess, as a user runs them."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

_SETUP_LINK = re.compile(r"(http://\S+/setup\?token=\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mhc(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run one `mhc` command with this environment; the caller checks its return code."""
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


class ServiceProcess:
    """The service on a fixed port and data folder; it can be stopped and started again.

    Scheduled jobs are off and argon2 is cheap (ordinary settings); `env` adds or overrides
    MHC_* settings. Its output goes to <data_dir>/../service.log.
    """

    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / "service.log"
        self.env = {
            **os.environ,
            "MHC_DATA_DIR": str(data_dir),
            "MHC_JOBS_ENABLED": "false",
            "MHC_PASSWORD_TIME_COST": "1",
            "MHC_PASSWORD_MEMORY_KIB": "8",
            **(env or {}),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mhc(self, *args: str, stdin: str | None = None) -> str:
        """Run an `mhc` command against the same data folder; its standard output."""
        result = subprocess.run([sys.executable, "-m", "service", *args], env=self.env, input=stdin,
                                capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        return result.stdout

    def start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/ext/v1/ping", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the service did not start:\n{self.output()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def setup_link(self) -> str:
        """The one-time setup link the first start printed."""
        found = _SETUP_LINK.search(self.output())
        assert found, f"the service printed no setup link:\n{self.output()}"
        return found.group(1)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data_dir / "mhc.sqlite3") as conn:
            return conn.execute(sql, params).fetchall()
