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

    def mark(self) -> asyncio.Event:
        """A moment to wait from: take it before reading what is new, then `wait(…, since=mark)`, so a
        commit that lands between the read and the wait still wakes the waiter."""
        return self._event

    async def wait(self, seconds: float, *, since: asyncio.Event | None = None) -> bool:
        """True if a batch arrived within `seconds` (or since `mark`, if given)."""
        event = since if since is not None else self._event
        if event.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        return event.is_set()
