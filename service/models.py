"""Domain models the store returns: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.permissions import Permission


@dataclass(frozen=True, slots=True)
class SystemUser:
    id: int
    username: str
    disabled: bool
    roles: tuple[str, ...]
    permissions: frozenset[Permission]
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class Credentials:
    """What login needs: kept apart from SystemUser so a hash never travels to templates."""

    user_id: int
    password_hash: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    name: str
    description: str
    permissions: frozenset[Permission]
    member_count: int


@dataclass(frozen=True, slots=True)
class WebSession:
    user: SystemUser
    csrf_token: str
    expires_at: datetime
    flash: str | None


@dataclass(frozen=True, slots=True)
class JobState:
    name: str
    paused: bool
    interval_seconds: int
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_run_at: datetime | None
    # The last finished run: ok | partial | error | skipped (None before the first run).
    last_status: str | None = None


@dataclass(frozen=True, slots=True)
class JobRun:
    id: int
    job_name: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    summary: str | None
    error: str | None
