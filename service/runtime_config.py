"""The effective source configuration held in memory, reloaded whenever the admin saves Settings."""

from __future__ import annotations

from collections.abc import Callable

from service.config import SourceConfig, resolve
from service.logs import SecretRegistry
from service.settings import Settings
from service.store import settings as settings_store
from service.store.db import Database


class ConfigHolder:
    def __init__(self, settings: Settings, secrets: SecretRegistry) -> None:
        self._settings = settings
        self._secrets = secrets
        self.current = resolve(settings, {})
        self.overrides: dict[str, str] = {}
        # Called with the new configuration after each reload (the events stream restarts on a new token).
        self.listeners: list[Callable[[SourceConfig], None]] = []

    async def reload(self, db: Database) -> SourceConfig:
        async with db.read() as conn:
            self.overrides = await settings_store.get_all(conn)
        self.current = resolve(self._settings, self.overrides)
        self._secrets.replace(self.current.secrets())
        for listener in self.listeners:
            listener(self.current)
        return self.current
