"""Owner-only permissions for the data folder: it holds tokens, password hashes and personal data.

New files get them from the process umask (`mhc` sets OWNER_ONLY_UMASK at start) and from the
database file itself (SQLite gives its WAL and shared-memory files the database file's mode); the
functions here create the folder and fix what an older version left readable by every local user.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
OWNER_ONLY_UMASK = 0o077
# The files SQLite keeps beside a database.
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _restrict(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except OSError as exc:
        # Another user's file, a read-only mount: say so, but a start must not fail over it.
        log.warning("could not make %s private (mode %o): %s", path, mode, exc.strerror)


def make_private_dir(path: Path) -> None:
    """Create the folder (and missing parents) and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _restrict(path, PRIVATE_DIR)


def prepare_database_file(path: Path) -> None:
    """A private folder and a private database file (created empty if missing); the caller makes
    existing files private with secure_database_files once SQLite has opened them.

    Creating the file 0600 before SQLite opens it matters: SQLite creates the WAL and shared-memory
    files with the database file's mode.
    """
    make_private_dir(path.parent)
    if not path.exists():
        create_private_file(path)


def create_private_file(path: Path, *, exclusive: bool = False) -> None:
    """An empty file only its owner can read, created before anything writes into it."""
    flags = os.O_CREAT | os.O_WRONLY | (os.O_EXCL if exclusive else 0)
    os.close(os.open(path, flags, PRIVATE_FILE))


def secure_database_files(path: Path) -> None:
    """Make the database and the files SQLite keeps beside it owner-only (those that exist)."""
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        _restrict(file, PRIVATE_FILE)


def secure_tree(root: Path) -> None:
    """Make the folder and everything under it owner-only: folders 0700, files 0600.

    Symbolic links are left alone (their target may be anyone's); only what the folder holds changes.
    """
    if not root.is_dir():
        return
    _restrict(root, PRIVATE_DIR)
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            if not (base / name).is_symlink():
                _restrict(base / name, PRIVATE_DIR)
        for name in files:
            if not (base / name).is_symlink():
                _restrict(base / name, PRIVATE_FILE)
