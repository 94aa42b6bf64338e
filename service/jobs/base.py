"""What a job is, and what it is given when it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from service.sources.spec import SourceConfig, SourceSpec, always_configured
from service.store.db import Database


@dataclass(frozen=True, slots=True)
class JobContext:
    db: Database
    config: SourceConfig
    data_dir: Path
    # One shared client (connection pool) for every upstream; clients set their own base URLs.
    http: httpx.AsyncClient
    # A job that raised alerts calls this after its commit: it wakes the live pages and the outbox.
    alerts_raised: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True, slots=True)
class JobResult:
    """What a run over many items did: a one-line summary and how many of its items failed.

    Any failed item makes the run "partial" (shown in a warning colour), so a job that stores
    198 of 200 items, or 2 of 200, never says a plain "ok". A job whose every item failed raises
    instead: nothing arrived, and that is an error.
    """

    summary: str
    total: int = 0
    failed: int = 0
    first_error: str | None = None  # the first failure's text, to say why

    def __post_init__(self) -> None:
        if not 0 <= self.failed <= self.total:
            raise ValueError("failed must be between 0 and total")

    @property
    def partial(self) -> bool:
        return self.failed > 0


def _upstreams_check(_config: SourceConfig) -> str | None:
    """Stands for "the upstream's own check" until JobSpec.__post_init__ puts that in its place."""
    return None


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job: `run` returns a one-line summary (or a JobResult counting failed items), or raises.

    A job that reads an upstream names its spec: it is listed under the upstream's label, and
    cannot run while the upstream is not configured (unless it brings its own check).
    """

    name: str
    title: str
    description: str
    default_interval: timedelta
    run: Callable[[JobContext], Awaitable[str | JobResult]]
    upstream: SourceSpec | None = None
    group: str = "System"  # where a job without an upstream is listed
    # Returns why the job cannot run with this configuration (e.g. "no Stats API token"), or None.
    missing_configuration: Callable[[SourceConfig], str | None] = _upstreams_check

    def __post_init__(self) -> None:
        if self.missing_configuration is _upstreams_check:
            check = self.upstream.missing_configuration if self.upstream else always_configured
            object.__setattr__(self, "missing_configuration", check)

    @property
    def source(self) -> str:
        """The label it is listed under: its upstream's, or its group."""
        return self.upstream.label if self.upstream is not None else self.group
