"""How every `mhc` command opens the database it shares with a running service.

The service may hold SQLite's write lock for seconds (one transaction stores a 1,000,000-name
list snapshot), so a command waits much longer than the service's own busy timeout, says on
stderr what it is waiting for, and gives up with one line (DatabaseLockedError, see cli.py).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.settings import Settings
from service.store.db import Database, open_database


def wait_ms(settings: Settings) -> int:
    """How long a command waits for another process's write lock."""
    return max(settings.command_busy_timeout_ms, settings.db_busy_timeout_ms)


@asynccontextmanager
async def command_database(settings: Settings, *, readers: int = 1) -> AsyncIterator[Database]:
    told = False

    def say_waiting() -> None:
        nonlocal told
        if not told:
            told = True
            print(
                "mhc: waiting for the database (another process, probably the service, is writing); "
                f"up to {wait_ms(settings) // 1000} s…",
                file=sys.stderr,
                flush=True,
            )

    async with open_database(
        settings.database_path, readers=readers, busy_timeout_ms=wait_ms(settings), on_lock_wait=say_waiting
    ) as db:
        yield db
