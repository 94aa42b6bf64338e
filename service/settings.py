"""Process settings from `MHC_*` environment variables: the only place the environment is read.

Credentials and intervals can be overridden in the panel (stored in the database); see
`service.config` for how the two are merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Settings(BaseSettings):
    """Everything the process needs to start; defaults are the real upstream endpoints."""

    model_config = SettingsConfigDict(env_prefix="MHC_", extra="ignore")

    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = Field(default=8756, ge=0, le=65535)
    allow_remote: bool = False
    # Extra Host header names (besides loopback ones) the user reaches the panel by.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    log_level: str = "INFO"

    broadcaster: str = ""
    affiliate_url: str = "https://chaturbate.com/api/public/affiliates/onlinerooms/"
    affiliate_wm: str = ""
    events_url: str = "https://eventsapi.chaturbate.com/events/"
    events_token: SecretStr | None = None
    stats_url: str = "https://chaturbate.com/statsapi/"
    stats_token: SecretStr | None = None
    cbhours_url: str = "https://www.cbhours.com/api.php"
    statbate_url: str = "https://plus.statbate.com/api"
    statbate_token: SecretStr | None = None

    jobs_enabled: bool = True
    # How long a write waits for another process's lock (a `mhc` command beside the service).
    db_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    # A broadcastStart this soon after the last broadcast ended continues it; an open broadcast with
    # no event for the timeout is closed at its last event (its broadcastStop never came).
    broadcast_merge_minutes: int = Field(default=10, ge=0)
    broadcast_timeout_minutes: int = Field(default=60, ge=1)
    events_server_timeout: int = Field(default=30, ge=0, le=90)
    session_hours: int = Field(default=14 * 24, ge=1)
    setup_link_minutes: int = Field(default=15, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Extension API only: a 100,000-name list snapshot is a few MiB of JSON.
    ext_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    ext_pair_code_minutes: int = Field(default=10, ge=1)
    # Sign-in throttling is per account only (every local client is 127.0.0.1): this many failed
    # attempts are free, then the account waits a lock that doubles per further failure, from the
    # first lock up to the longest; a day without failures (or a successful sign-in) forgives.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_first_lock_seconds: int = Field(default=60, ge=1)
    login_max_lock_minutes: int = Field(default=15, ge=1)
    login_forget_hours: int = Field(default=24, ge=1)
    # argon2id cost; the defaults are argon2-cffi's RFC 9106 "low memory" profile.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    # The Events stream shows as "stalled" (and every panel page warns) when no poll has completed
    # for its long-poll timeout plus this margin: a healthy long poll always ends well within it.
    events_stall_margin_seconds: int = Field(default=30, ge=1)
    # How long a `mhc` command waits for the service's write lock: one long write (a 1,000,000-name
    # list snapshot) holds it for many seconds. The longer of this and db_busy_timeout_ms applies.
    command_busy_timeout_ms: int = Field(default=120_000, ge=0, le=3_600_000)
    # A job that never ran, or is overdue, first runs this long after start; the next one due at
    # start runs the stagger later, and so on (upstreams are not all asked in the same second).
    jobs_first_run_delay_seconds: float = Field(default=5, ge=0, le=3600)
    jobs_first_run_stagger_seconds: float = Field(default=15, ge=0, le=3600)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @property
    def database_path(self) -> Path:
        return self.data_dir / "mhc.sqlite3"

    @property
    def binds_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
