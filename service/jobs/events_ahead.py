"""The Events feed polled ahead of the store.

A task follows the `nextUrl` chain and keeps up to `depth` polled batches waiting while the store
works on the database's thread; the stream then takes every batch that is waiting at once and stores
them in one transaction. A live room (a batch now and then) is stored batch by batch as before; a
stream catching up with a backlog stores a few batches a transaction, and the cost a transaction has
whatever its size (the statements, the commit, the pages several batches share) is paid once for them.

Polling ahead moves no cursor: the stream stores the `nextUrl` after the last batch of a committed
transaction, and a store that fails closes this feed with whatever it had polled, so the next feed
starts again from the stored cursor. A poll that fails ends the feed behind the batches polled before
it, so those are stored first.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from service.sources.base import SourceError


class Polled(Protocol):
    @property
    def next_url(self) -> str: ...

    @property
    def size(self) -> int: ...


P = TypeVar("P", bound=Polled)


@dataclass(frozen=True, slots=True)
class PollFailed:
    error: SourceError
    url: str  # what to poll again after the pause


class FeedAhead(Generic[P]):
    """`poll(url)` returns a batch, or None when the stream must stop reading (its settings changed)."""

    def __init__(self, poll: Callable[[str], Awaitable[P | None]], url: str, *, depth: int) -> None:
        self._poll = poll
        self._depth = depth
        self._waiting: deque[P | PollFailed | None] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task = asyncio.ensure_future(self._follow(url))

    async def take(self, most: int) -> list[P] | PollFailed | None:
        """The batches waiting (at least one; more while their sizes stay within `most`), or what ended
        the feed: a failed poll, or None."""
        while not self._waiting:
            self._arrived.clear()
            arrived = asyncio.ensure_future(self._arrived.wait())
            try:
                await asyncio.wait({arrived, self._task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                arrived.cancel()
            if not self._waiting and self._task.done():
                self._task.result()  # the follower's own failure (a bug): the stream shows it
                raise RuntimeError("the events feed ended without saying why")
        first = self._waiting[0]
        if first is None or isinstance(first, PollFailed):
            self._waiting.popleft()
            return first
        taken: list[P] = []
        size = 0
        while self._waiting:
            head = self._waiting[0]
            if head is None or isinstance(head, PollFailed) or (taken and size + head.size > most):
                break
            self._waiting.popleft()
            taken.append(head)
            size += head.size
        self._room.set()
        return taken

    async def close(self) -> None:
        """Stop polling and drop whatever was polled."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._waiting.clear()

    async def _follow(self, url: str) -> None:
        while True:
            await self._room.wait()
            try:
                polled = await self._poll(url)
            except SourceError as error:
                self._put(PollFailed(error, url))
                return
            self._put(polled)
            if polled is None:
                return
            url = polled.next_url

    def _put(self, item: P | PollFailed | None) -> None:
        self._waiting.append(item)
        self._arrived.set()
        if len(self._waiting) >= self._depth:
            self._room.clear()
