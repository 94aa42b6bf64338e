"""Token history imports started from the panel, run in the background of the service.

The upload is saved to a private file in the data folder, the import is recorded ('running'), and
this runs it while the page polls the import's row for progress. One import at a time: a second
would only wait for the writer. On shutdown a running import is cancelled (recorded as failed,
nothing of it stored) and its file removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from service.ingest.token_import import run_import
from service.store.db import Database

log = logging.getLogger(__name__)


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


class ImportTasks:
    def __init__(self, db: Database, upload_dir: Path) -> None:
        self.db = db
        self.upload_dir = upload_dir
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def start(self, path: Path, import_id: int) -> None:
        task = asyncio.create_task(self._run(path, import_id), name=f"token-import:{import_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, path: Path, import_id: int) -> None:
        try:
            await run_import(self.db, path, import_id)
        except Exception:
            log.exception("token history import %d failed", import_id)
        finally:
            _discard(path)

    async def wait(self) -> None:
        """Until the running imports end (tests and shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.wait()
