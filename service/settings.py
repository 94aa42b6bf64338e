"""Settings: the process's `MHC_*` environment, and the source settings that values saved in the
panel override, each with where its value came from. The only place the environment is read.

Source settings are not declared here: every upstream's spec (`service/sources/<name>/spec.py`)
declares its fields, and `MHC_<FIELD>` sets one. `ConfigHolder` keeps the effective values in
memory and reloads them whenever the admin saves the Settings page.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from service import fan_tiers
from service.fan_tiers import FanRules
from service.logs import SecretRegistry
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec
from service.store import saved_settings
from service.store.db import Database
from service.usernames import USERNAME

# SettingField and SourceSpec are re-exported, and the upstreams' specs given by `all_sources()`:
# pages reach them through the settings module (an import contract keeps web away from sources/).
__all__ = [
    "AI_REPORT",
    "AI_REPORT_FIELDS",
    "ALERT_DELIVERY",
    "ALERT_DELIVERY_FIELDS",
    "EMAIL_ADDRESS",
    "ENV_PREFIX",
    "FANS",
    "FANS_FIELDS",
    "GENERAL",
    "GENERAL_FIELDS",
    "LOOPBACK_HOSTS",
    "AiEndpoint",
    "ConfigHolder",
    "SettingField",
    "SettingValue",
    "Settings",
    "SourceConfig",
    "SourceSpec",
    "ai_endpoint",
    "all_fields",
    "all_sources",
    "config_of",
    "fan_rules",
    "field_groups",
    "resolve",
    "resolve_values",
    "source_spec",
    "validate_value",
]  # fmt: skip

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
ENV_PREFIX = "MHC_"


class _SourceValuesFromEnv(PydanticBaseSettingsSource):
    """`MHC_*` variables that no field below declares: the source settings, whatever their spec."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        declared = set(self.settings_cls.model_fields)
        found: dict[str, Any] = {}
        for name, value in os.environ.items():
            if name.upper().startswith(ENV_PREFIX):
                key = name[len(ENV_PREFIX) :].lower()
                if key and key not in declared:
                    found[key] = value
        return found


class Settings(BaseSettings):
    """Everything the process needs to start. The upstreams' settings and defaults are in their specs."""

    # Undeclared values (from `MHC_<FIELD>` or keyword arguments) are source settings, kept as
    # SecretStr so that no repr shows a token; `source_values()` hands them out.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="allow")

    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = Field(default=8756, ge=0, le=65535)
    allow_remote: bool = False
    # Extra Host header names (besides loopback ones) the user reaches the panel by.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    log_level: str = "INFO"

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
    # A list longer than this many pages is sent in parts of at most this many (announced in the
    # extension's ping answer): 100 pages of 90 names is about 200 KB a request.
    ext_list_part_pages: int = Field(default=100, ge=1, le=5000)
    # Admin › Import only: a token history CSV of a few years is tens of MiB (streamed to disk).
    import_max_body_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
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
    # Alert deliveries (webhooks, email): a failed send is retried after the first delay, doubling
    # per attempt up to the longest (each jittered); a send waits at most the timeout; with nothing
    # due, the outbox is looked at again after the poll interval (new alerts wake it at once).
    # How long a delivery is retried at all is the panel setting "alert_give_up_hours".
    alert_retry_first_seconds: float = Field(default=30, gt=0, le=3600)
    alert_retry_max_seconds: float = Field(default=3600, gt=0, le=86_400)
    alert_send_timeout_seconds: float = Field(default=15, gt=0, le=300)
    alert_outbox_poll_seconds: float = Field(default=60, gt=0, le=3600)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _SourceValuesFromEnv(settings_cls), dotenv_settings,
                file_secret_settings)  # fmt: skip

    @model_validator(mode="after")
    def _hide_source_values(self) -> Settings:
        extra = self.__pydantic_extra__ or {}
        for key, value in extra.items():
            if not isinstance(value, SecretStr):
                extra[key] = SecretStr(str(value))
        return self

    def source_values(self) -> dict[str, str]:
        """The source settings given by the environment (or by keyword), as plain text."""
        values: dict[str, str] = {}
        for key, value in (self.__pydantic_extra__ or {}).items():
            # Wrapped in SecretStr on validation; model_copy(update=…) skips validation, so plain too.
            values[key] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        return values

    @property
    def database_path(self) -> Path:
        return self.data_dir / "mhc.sqlite3"

    @property
    def binds_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")


# --- Source settings: environment, then values saved in the panel -------------------------------

GENERAL = "General"
GENERAL_FIELDS: tuple[SettingField, ...] = (
    SettingField("broadcaster", "Your broadcaster username", FieldKind.USERNAME,
                 help="The room this panel is about; it names the third navigation item."),
)  # fmt: skip


def _fan_check(key: str) -> Callable[[str], str]:
    return lambda text: fan_tiers.normalise(key, text)


def _fan_field(key: str, label: str, help_text: str) -> SettingField:
    return SettingField(key, label, FieldKind.TEXT, default=fan_tiers.DEFAULTS[key], help=help_text,
                        check=_fan_check(key))  # fmt: skip


# Spend tiers and the smart lists of Users › Fans (rules and formats: service/fan_tiers.py).
FANS = "Fans"
FANS_FIELDS: tuple[SettingField, ...] = (
    _fan_field(fan_tiers.TIERS_KEY, "Spend tiers (name and lifetime tokens)",
               "1–8 tiers, lowest first, thresholds rising, e.g. “Bronze 100, Silver 1000, Gold 5000”"),
    _fan_field(fan_tiers.RECENT_KEY, "Recent rule (optional)",
               "e.g. “Gold 1000 in 30 days”: whoever spent that much lately is at least that tier; "
               "empty for none"),
    _fan_field(fan_tiers.REGULARS_KEY, "Regulars attend",
               "“k of n”: at least k of the last n broadcasts, e.g. “3 of 5”"),
    _fan_field(fan_tiers.DRIFTING_SHARE_KEY, "Drifting share",
               "a fan is drifting when the last 30 days fall below this share of their own 30-day "
               "average over the 90 days before, e.g. 0.5"),
    _fan_field(fan_tiers.REGULAR_MISSED_KEY, "Regular missed (broadcasts)",
               "a regular of the n broadcasts before the last n who attended none of these is drifting"),
    _fan_field(fan_tiers.LAPSED_DAYS_KEY, "Lapsed after (days)", "tipped before, nothing for this many days"),
    _fan_field(fan_tiers.NEW_DAYS_KEY, "New for (days)", "first seen or first tip within this many days"),
)  # fmt: skip


def _check_smtp_host(text: str) -> str:
    if not _HOST.match(text):
        raise ValueError("use a host name or address, e.g. smtp.example.org")
    return text.lower()


def _check_port(text: str) -> str:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError("use a port number from 1 to 65535")
    return str(int(text))


def _check_on_off(text: str) -> str:
    value = text.lower()
    if value not in ("on", "off"):
        raise ValueError("use “on” or “off”")
    return value


def _check_smtp_user(text: str) -> str:
    if not _PRINTABLE.match(text) or len(text) > 256:
        raise ValueError("use up to 256 printable characters")
    return text


def _check_smtp_password(text: str) -> str:
    # Mail providers' app passwords often hold spaces ("abcd efgh ijkl mnop"): keep them.
    if not _PRINTABLE.match(text) or len(text) > 512:
        raise ValueError("use up to 512 printable characters")
    return text


def _check_address(text: str) -> str:
    if not EMAIL_ADDRESS.match(text):
        raise ValueError("use one e-mail address, e.g. panel@example.org")
    return text


def _check_give_up(text: str) -> str:
    try:
        hours = float(text)
    except ValueError:
        raise ValueError("use a number of hours, e.g. 24") from None
    if not 0 < hours <= 720:  # 30 days
        raise ValueError("use more than 0 and at most 720 hours")
    return text


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]{2,45}\]$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
# One address, as a form can check it: something@host.tld, no spaces, no display name.
EMAIL_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

# Alerts leave the panel through webhooks and e-mail (Admin › Alert destinations); these are the
# outbox's give-up time and the SMTP server e-mail destinations use.
ALERT_DELIVERY = "Alert delivery"
ALERT_DELIVERY_FIELDS: tuple[SettingField, ...] = (
    SettingField("alert_give_up_hours", "Give up on a delivery after (hours)", FieldKind.TEXT, default="24",
                 help="a webhook or e-mail that keeps failing is retried with growing pauses for this "
                      "long, then given up with the reason shown on Admin › Alert destinations",
                 check=_check_give_up),
    SettingField("smtp_host", "SMTP server", FieldKind.TEXT, help="for e-mail destinations; empty for none",
                 check=_check_smtp_host),
    SettingField("smtp_port", "SMTP port", FieldKind.TEXT, default="587",
                 help="587 with STARTTLS, 25 without",
                 check=_check_port),
    SettingField("smtp_starttls", "SMTP STARTTLS", FieldKind.TEXT, default="on",
                 help="“on” to encrypt with STARTTLS (refuses a server that does not offer it), “off” not to",
                 check=_check_on_off),
    SettingField("smtp_user", "SMTP user", FieldKind.TEXT, help="empty: send without signing in",
                 check=_check_smtp_user),
    SettingField("smtp_password", "SMTP password", FieldKind.SECRET, check=_check_smtp_password),
    SettingField("smtp_from", "E-mail sender address", FieldKind.TEXT, help="the From of alert e-mails",
                 check=_check_address),
)  # fmt: skip

# The optional AI report of Room › Insights form: an OpenAI-compatible chat endpoint (off without a base URL).
AI_REPORT = "AI report"
AI_TIMEOUT_DEFAULT = "120"
_AI_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$")


def _ai_model(value: str) -> str:
    if not _AI_MODEL.match(value):
        raise ValueError("use 1–128 letters, digits or . _ : / @ + - (e.g. llama3.1:8b or gpt-4o-mini)")
    return value


def _ai_timeout(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 600:
        raise ValueError("a whole number of seconds from 1 to 600")
    return str(int(value))


AI_REPORT_FIELDS: tuple[SettingField, ...] = (
    SettingField("ai_base_url", "OpenAI-compatible base URL", FieldKind.URL,
                 help="the API root that has /chat/completions, e.g. http://127.0.0.1:11434/v1 for a local "
                      "Ollama; empty: AI reports are off"),
    SettingField("ai_model", "Model", FieldKind.TEXT, check=_ai_model,
                 help="the model name the server knows, e.g. llama3.1:8b"),
    SettingField("ai_api_key", "API key", FieldKind.SECRET,
                 help="sent only in the Authorization header; leave empty for a server that needs none"),
    SettingField("ai_timeout_seconds", "Timeout (seconds)", FieldKind.TEXT, default=AI_TIMEOUT_DEFAULT,
                 check=_ai_timeout, help="how long to wait for a report, 1–600"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AiEndpoint:
    """Where an AI report is sent. `api_key` may be empty (a local server needs none)."""

    base_url: str
    model: str
    api_key: str = field(repr=False)
    timeout_seconds: float

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def ai_endpoint(config: SourceConfig) -> AiEndpoint | str:
    """The configured endpoint, or why AI reports are not configured (a sentence)."""
    if not config.ai_base_url:
        return (
            "AI reports are not configured: an admin sets an OpenAI-compatible base URL in "
            "Admin › Settings › AI report."
        )
    if not config.ai_model:
        return "AI reports are not configured: the AI report settings name no model."
    timeout = config.ai_timeout_seconds if config.ai_timeout_seconds.isdigit() else AI_TIMEOUT_DEFAULT
    return AiEndpoint(config.ai_base_url, config.ai_model, config.ai_api_key, float(timeout))


Origin = Literal["panel", "environment", "default"]


@dataclass(frozen=True, slots=True)
class SettingValue:
    field: SettingField
    value: str
    origin: Origin


def all_sources() -> tuple[SourceSpec, ...]:
    """Every upstream's spec. Imported when first asked for: each spec brings its client and httpx,
    which a command that reads no upstream (`mhc backup`) would otherwise load for nothing."""
    from service.sources.registry import SOURCES

    return SOURCES


def source_spec(key: str) -> SourceSpec:
    """The spec of the upstream named `key`; pages reach the specs through this module."""
    for spec in all_sources():
        if spec.key == key:
            return spec
    raise KeyError(key)


def field_groups(
    sources: Sequence[SourceSpec] | None = None,
) -> list[tuple[str, tuple[SettingField, ...]]]:
    """(group, fields) in the order the Settings page shows them (every upstream's when not given)."""
    upstreams = [(s.label, s.fields) for s in (all_sources() if sources is None else sources) if s.fields]
    return [
        (GENERAL, GENERAL_FIELDS),
        *upstreams,
        (FANS, FANS_FIELDS),
        (ALERT_DELIVERY, ALERT_DELIVERY_FIELDS),
        (AI_REPORT, AI_REPORT_FIELDS),
    ]


def all_fields(sources: Sequence[SourceSpec] | None = None) -> dict[str, SettingField]:
    return {f.key: f for _, fields in field_groups(sources) for f in fields}


def _from_environment(setting: SettingField, value: str) -> str:
    return value.strip().lower() if setting.kind is FieldKind.USERNAME else value


def resolve_values(
    settings: Settings, saved: Mapping[str, str], sources: Sequence[SourceSpec] | None = None
) -> dict[str, SettingValue]:
    """Every field's value and origin: the panel wins over the environment, which wins over the default."""
    env = settings.source_values()
    values: dict[str, SettingValue] = {}
    for key, setting in all_fields(sources).items():
        if key in saved:
            values[key] = SettingValue(setting, saved[key], "panel")
        elif env.get(key):
            values[key] = SettingValue(setting, _from_environment(setting, env[key]), "environment")
        else:
            values[key] = SettingValue(setting, setting.default, "default")
    return values


def config_of(values: Mapping[str, SettingValue]) -> SourceConfig:
    secret = [key for key, v in values.items() if v.field.secret]
    return SourceConfig({key: v.value for key, v in values.items()}, secret)


def resolve(
    settings: Settings, saved: Mapping[str, str], sources: Sequence[SourceSpec] | None = None
) -> SourceConfig:
    return config_of(resolve_values(settings, saved, sources))


_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,512}$")


def validate_value(setting: SettingField, raw: str) -> str:
    """The normalised value to store, or ValueError with a message for the form."""
    value = raw.strip()
    if setting.check is not None:
        return setting.check(value)
    if setting.kind is FieldKind.USERNAME:
        value = value.lower()
        if not USERNAME.match(value):
            raise ValueError("use 1–40 letters, digits or underscores")
    elif setting.kind is FieldKind.URL:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
    elif setting.kind is FieldKind.SECRET:
        if not _TOKEN.match(value):
            raise ValueError("must be 1–512 printable characters without spaces")
    elif setting.kind is FieldKind.LIST:
        items = [item.strip().lower() for item in value.split(",") if item.strip()]
        if not items or not all(_SLUG.match(item) for item in items):
            raise ValueError("use comma-separated words of letters, digits, '-' or '_'")
        value = ",".join(dict.fromkeys(items))
    elif not _SLUG.match(value):
        raise ValueError("use 1–32 letters, digits, '-' or '_'")
    return value


def fan_rules(values: Mapping[str, SettingValue]) -> FanRules:
    """The Fans rules of these values; ValueError (a sentence) when they do not fit together (a recent
    rule naming a tier that is not in the tiers)."""
    return FanRules.parse({key: values[key].value for key in fan_tiers.DEFAULTS if key in values})


def _fan_rules_or_default(values: Mapping[str, SettingValue]) -> FanRules:
    try:
        return fan_rules(values)
    except ValueError as exc:
        # Only the environment can get here (the Settings page refuses such values).
        log.warning("the Fans settings are not valid (%s); the defaults apply", exc)
        return fan_tiers.DEFAULT_RULES


class ConfigHolder:
    """The effective source settings in memory, reloaded whenever the admin saves Settings."""

    def __init__(
        self, settings: Settings, secrets: SecretRegistry, sources: Sequence[SourceSpec] | None = None
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self.sources = all_sources() if sources is None else tuple(sources)
        self.fields = all_fields(self.sources)
        for key in sorted(set(settings.source_values()) - set(self.fields)):
            log.warning("%s%s is not a setting of this service; it is ignored", ENV_PREFIX, key.upper())
        self.values = resolve_values(settings, {}, self.sources)
        self.current = config_of(self.values)
        # Spend tiers and smart-list thresholds, parsed once per reload.
        self.fans = _fan_rules_or_default(self.values)
        # Called with the new configuration after each reload (the events stream restarts on a new token).
        self.listeners: list[Callable[[SourceConfig], None]] = []

    def environment(self) -> dict[str, SettingValue]:
        """What each field would be with nothing saved in the panel."""
        return resolve_values(self._settings, {}, self.sources)

    async def reload(self, db: Database) -> SourceConfig:
        async with db.read() as conn:
            saved = await saved_settings.get_all(conn)
        self.values = resolve_values(self._settings, saved, self.sources)
        self.current = config_of(self.values)
        self.fans = _fan_rules_or_default(self.values)
        self._secrets.replace(self.current.secrets())
        for listener in self.listeners:
            listener(self.current)
        return self.current
