"""The live feed's hub: ingest announces each committed Events batch, the pages' live feeds wait on it."""

from __future__ import annotations

import asyncio
import contextlib


class EventsHub:
    """Wakes the live feeds (server-sent events) when a batch has been committed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        """On shutdown: wake every live feed so it ends instead of holding the server open."""
        self.closed = True
        self.notify()

    async def wait(self, seconds: float) -> bool:
        """True if a batch arrived within `seconds`."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        return event.is_set()
