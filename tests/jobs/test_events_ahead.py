"""FeedAhead: the Events feed polled ahead of the store (jobs/events_ahead.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from service.jobs.events_ahead import FeedAhead, PollFailed
from service.sources.base import SourceConnectionError


@dataclass(frozen=True)
class Batch:
    url: str
    next_url: str
    size: int


class Feed:
    """Pages p0 → p1 → …; `sizes[n]` events on page n; `fail_at` raises on that page; `stop_at` answers
    None (the settings changed)."""

    def __init__(self, sizes: list[int], *, fail_at: int | None = None, stop_at: int | None = None) -> None:
        self.sizes = sizes
        self.fail_at = fail_at
        self.stop_at = stop_at
        self.asked: list[str] = []
        self.release = asyncio.Event()
        self.release.set()

    async def poll(self, url: str) -> Batch | None:
        await self.release.wait()
        self.asked.append(url)
        n = int(url[1:])
        if n == self.fail_at:
            raise SourceConnectionError(f"GET {url}: ConnectError")
        if n == self.stop_at:
            return None
        await asyncio.sleep(0)
        return Batch(url, f"p{n + 1}", self.sizes[n] if n < len(self.sizes) else 0)


async def _settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_the_batches_waiting_are_taken_together_within_the_limit() -> None:
    feed = Feed([100] * 10)
    ahead = FeedAhead(feed.poll, "p0", depth=8)
    try:
        await _settle()  # the follower fills its eight places
        taken = await ahead.take(most=300)
        assert isinstance(taken, list)
        assert [batch.url for batch in taken] == ["p0", "p1", "p2"]
        taken = await ahead.take(most=300)
        assert isinstance(taken, list) and [batch.url for batch in taken] == ["p3", "p4", "p5"]
    finally:
        await ahead.close()


async def test_one_batch_larger_than_the_limit_is_still_taken() -> None:
    feed = Feed([500, 100])
    ahead = FeedAhead(feed.poll, "p0", depth=8)
    try:
        await _settle()
        taken = await ahead.take(most=300)
        assert isinstance(taken, list) and [batch.url for batch in taken] == ["p0"]
    finally:
        await ahead.close()


async def test_it_polls_at_most_depth_batches_ahead_of_the_store() -> None:
    feed = Feed([100] * 50)
    ahead = FeedAhead(feed.poll, "p0", depth=3)
    try:
        await _settle()
        assert feed.asked == ["p0", "p1", "p2"]
        taken = await ahead.take(most=100)
        assert isinstance(taken, list) and len(taken) == 1
        await _settle()
        assert feed.asked[3:] == ["p3"]  # room for one: three wait again
    finally:
        await ahead.close()


async def test_a_failed_poll_comes_after_the_batches_polled_before_it() -> None:
    feed = Feed([100] * 10, fail_at=2)
    ahead = FeedAhead(feed.poll, "p0", depth=8)
    try:
        await _settle()
        taken = await ahead.take(most=1_000)
        assert isinstance(taken, list) and [batch.url for batch in taken] == ["p0", "p1"]
        failed = await ahead.take(most=1_000)
        assert isinstance(failed, PollFailed)
        assert failed.url == "p2"  # what to poll again after the pause
        assert "ConnectError" in str(failed.error)
        assert feed.asked == ["p0", "p1", "p2"]  # nothing polled past the failure
    finally:
        await ahead.close()


async def test_a_changed_setting_ends_the_feed_with_none_after_the_batches_before() -> None:
    feed = Feed([100] * 10, stop_at=1)
    ahead = FeedAhead(feed.poll, "p0", depth=8)
    try:
        taken = await ahead.take(most=1_000)
        assert isinstance(taken, list) and [batch.url for batch in taken] == ["p0"]
        assert await ahead.take(most=1_000) is None
    finally:
        await ahead.close()


async def test_take_waits_for_the_next_poll() -> None:
    feed = Feed([100] * 3)
    feed.release.clear()
    ahead = FeedAhead(feed.poll, "p0", depth=8)
    try:
        taking = asyncio.ensure_future(ahead.take(most=1_000))
        await _settle()
        assert not taking.done()
        feed.release.set()
        taken = await asyncio.wait_for(taking, 1)
        assert isinstance(taken, list) and taken[0].url == "p0"
    finally:
        await ahead.close()


async def test_close_drops_what_was_polled_and_stops_polling() -> None:
    feed = Feed([100] * 50)
    ahead = FeedAhead(feed.poll, "p0", depth=4)
    await _settle()
    await ahead.close()
    asked = len(feed.asked)
    await _settle()
    assert len(feed.asked) == asked


async def test_a_bug_in_polling_reaches_the_store_side() -> None:
    async def broken(url: str) -> Batch | None:
        raise KeyError(url)

    ahead = FeedAhead(broken, "p0", depth=2)
    try:
        with pytest.raises(KeyError):
            await asyncio.wait_for(ahead.take(most=100), 1)
    finally:
        await ahead.close()
