"""The real app served from a background event loop in the test's process, so a browser test can
write to it directly (and wake its live feeds) while Chromium watches the pages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

from service.app import create_app
from service.settings import Settings
from service.web.keys import db_key, events_hub_key
from tests.support.events import ingest

T = TypeVar("T")


class ServiceThread:
    """The real app served from a background event loop, so the test can write to it directly."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings, announce=lambda _line: None)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner = web.AppRunner(self.app, shutdown_timeout=2)
        self.base = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=20)

    def start(self) -> None:
        self.thread.start()
        self.run(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.run(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def publish(self, events: list[Any]) -> None:
        async def store() -> None:
            await ingest(self.app[db_key], events)
            self.app[events_hub_key].notify()

        self.run(store())
