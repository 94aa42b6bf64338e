"""The data folder and everything in it (database, WAL, images, backups) are the owner's alone."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store.db import open_database
from tests.support.service_process import ServiceProcess


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default, under which files used to come out readable by every local user."""
    old = os.umask(0o022)
    yield
    os.umask(old)


async def test_a_new_data_folder_is_private(tmp_path: Path) -> None:
    """Opening a database in a new folder: folder 0700, database, WAL and shared memory 0600."""
    data = tmp_path / "data"
    async with open_database(data / "mhc.sqlite3") as db, db.transaction() as conn:
        await conn.execute("INSERT INTO persons (username, created_at, updated_at) VALUES ('a', 'x', 'x')")
        assert _mode(data) == 0o700
        for name in ("mhc.sqlite3", "mhc.sqlite3-wal", "mhc.sqlite3-shm"):
            assert _mode(data / name) == 0o600, name


async def test_existing_files_are_fixed_at_open(tmp_path: Path) -> None:
    """A 0755 folder with a 0644 database, WAL and shm (another process has it open) is tightened."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    path = data / "mhc.sqlite3"
    async with open_database(path):
        pass
    other = sqlite3.connect(path)  # keeps the WAL and shm files in place
    try:
        other.execute("CREATE TABLE scratch (x)")
        other.commit()
        files = [path, data / "mhc.sqlite3-wal", data / "mhc.sqlite3-shm"]
        os.chmod(data, 0o755)  # noqa: S103 - what older versions left
        for file in files:
            os.chmod(file, 0o644)
        async with open_database(path):
            assert _mode(data) == 0o700
            assert [_mode(file) for file in files] == [0o600, 0o600, 0o600]
    finally:
        other.close()


def test_backup_is_private(tmp_path: Path) -> None:
    """`mhc backup` writes a copy only its owner can read, even into a shared folder."""
    env = {**os.environ, "MHC_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "service"]
    subprocess.run([*run, "job", "list"], env=env, check=True, capture_output=True, timeout=60)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    result = subprocess.run([*run, "backup", str(shared / "copy.sqlite3")], env=env, capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert _mode(shared / "copy.sqlite3") == 0o600


def test_serve_tightens_the_existing_data_folder(tmp_path: Path) -> None:
    """A data folder left by an older version (0755, files 0644, images) is private after a start."""
    data = tmp_path / "data"
    images = data / "images" / "ab"
    images.mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)  # noqa: S103 - what older versions left
    os.chmod(data / "images", 0o755)  # noqa: S103
    image = images / "ab12.jpg"
    image.write_bytes(b"jpeg")
    old_backup = data / "before-upgrade.sqlite3"
    old_backup.write_bytes(b"")
    for file in (image, old_backup):
        os.chmod(file, 0o644)
    service = ServiceProcess(data)
    service.start()
    try:
        assert [_mode(p) for p in (data, data / "images", images)] == [0o700, 0o700, 0o700]
        assert [_mode(p) for p in (image, old_backup, data / "mhc.sqlite3")] == [0o600, 0o600, 0o600]
    finally:
        service.stop()
