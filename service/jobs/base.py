"""What a job is, and what it is given when it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from service.config import SourceConfig
from service.store.db import Database


@dataclass(frozen=True, slots=True)
class JobContext:
    db: Database
    config: SourceConfig
    data_dir: Path
    # One shared client (connection pool) for every upstream; clients set their own base URLs.
    http: httpx.AsyncClient


def always_configured(_config: SourceConfig) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job: `run` returns a one-line summary of what it did, or raises."""

    name: str
    title: str
    description: str
    default_interval: timedelta
    run: Callable[[JobContext], Awaitable[str]]
    source: str = "System"
    # Returns why the job cannot run with this configuration (e.g. "no Stats API token"), or None.
    missing_configuration: Callable[[SourceConfig], str | None] = always_configured
