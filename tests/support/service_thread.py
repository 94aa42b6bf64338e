"""The real app served from a background event loop in the test's process, so a browser test can
write to it directly (and wake its live feeds) while Chromium watches the pages."""

from __future__ import annotations

from typing import Any

from service.app import create_app
from service.settings import Settings
from service.web.keys import db_key, events_hub_key
from tests.support.events import ingest
from tests.support.threaded_app import ThreadedApp


class ServiceThread(ThreadedApp):
    """The real app served from a background event loop, so the test can write to it directly."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings, announce=lambda _line: None)
        super().__init__(self.app)

    def publish(self, events: list[Any]) -> None:
        async def store() -> None:
            await ingest(self.app[db_key], events)
            self.app[events_hub_key].notify()

        self.run(store())
