"""The live feeds' hub: a commit between a feed's read and its wait is not lost."""

from __future__ import annotations

from service.ingest.live_feed import EventsHub


async def test_a_notify_after_the_mark_wakes_a_later_wait() -> None:
    hub = EventsHub()
    mark = hub.mark()  # a feed takes the mark, then reads what is new…
    hub.notify()  # …a batch commits before it starts waiting…
    assert await hub.wait(5, since=mark) is True  # …and the wait returns at once


async def test_without_a_notify_the_wait_times_out() -> None:
    hub = EventsHub()
    assert await hub.wait(0.01, since=hub.mark()) is False
