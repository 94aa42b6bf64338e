"""Logging set-up, with a formatter that masks every known secret in the finished line."""

from __future__ import annotations

import logging
from collections.abc import Callable

from service.redaction import mask


class RedactingFormatter(logging.Formatter):
    """Masks current secrets (tokens), in any encoding, anywhere in the record, tracebacks included."""

    def __init__(self, fmt: str, secrets: Callable[[], list[str]]) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record), self._secrets())


class SecretRegistry:
    """The secrets the formatter masks, in named groups each refreshed by its owner: the settings'
    tokens whenever the configuration changes, the alert destinations' URLs whenever one is saved."""

    def __init__(self) -> None:
        self._groups: dict[str, frozenset[str]] = {}

    def replace(self, values: list[str], *, group: str = "settings") -> None:
        self._groups[group] = frozenset(v for v in values if v)

    def values(self) -> list[str]:
        # mask() orders them (longest first) and caches its pattern per set of secrets.
        return sorted(set().union(*self._groups.values()))


def configure_logging(level: str, registry: SecretRegistry) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", registry.values)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; upstream URLs carry tokens in path or query.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # APScheduler narrates every add/run at INFO; job outcomes are recorded by our runner instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG: notes, names, hashes. The
    # database's content is never log material, whatever the service's own level.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
