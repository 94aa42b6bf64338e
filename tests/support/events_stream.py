"""The Events stream's side of the tests: the token the fake expects, a mutable config, fast retries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from service.sources.events import Backoff
from service.sources.spec import SourceConfig
from tests.fakes.events import EventsScript

TOKEN = "s3cr3t-T0KEN-9f8e7d"

USERS = [f"fan_{n}" for n in range(40)]


def add_mixed(script: EventsScript, count: int, *, seed: int = 1) -> None:
    """Append `count` events of every kind that carries a user, from a fixed random sequence."""
    rng = random.Random(seed)
    for _ in range(count):
        user = {"username": rng.choice(USERS)}
        kind = rng.choice(["tip", "chatMessage", "userEnter", "userLeave", "follow", "unfollow"])
        if kind == "tip":
            script.add(
                "tip", {"user": user, "tip": {"tokens": rng.randint(1, 500), "isAnon": rng.random() < 0.1}}
            )
        elif kind == "chatMessage":
            script.add("chatMessage", {"user": user, "message": {"message": "hi"}})
        else:
            script.add(kind, {"user": user})


class ConfigBox:
    """The mutable configuration a test hands the consumer (the app hands it ConfigHolder.current)."""

    def __init__(self, config: SourceConfig) -> None:
        self.current = config

    def set(self, **changes: Any) -> None:
        self.current = self.current.replace(**changes)


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05, jitter=False)


async def eventually(check: Callable[[], Awaitable[bool]], *, seconds: float = 10.0) -> None:
    """Wait until `check()` holds; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
