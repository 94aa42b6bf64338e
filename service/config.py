"""Data-source configuration: environment defaults overridden by what the admin saved in the panel.

Every field is declared once here; the Settings page, the validation of its form, and the jobs
that need credentials all read this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from service.settings import Settings
from service.usernames import USERNAME


class FieldKind(StrEnum):
    TEXT = "text"
    SECRET = "secret"  # noqa: S105 - a field kind, not a password
    URL = "url"
    USERNAME = "username"
    LIST = "list"  # comma-separated words, e.g. feed filters


@dataclass(frozen=True, slots=True)
class ConfigField:
    key: str
    label: str
    group: str
    kind: FieldKind
    help: str = ""


CONFIG_FIELDS: tuple[ConfigField, ...] = (
    ConfigField("broadcaster", "Your broadcaster username", "General", FieldKind.USERNAME,
                "The room this panel is about; it names the third navigation item."),
    ConfigField("affiliate_wm", "Campaign slug (wm)", "Affiliate API", FieldKind.TEXT,
                "The 5-character code from your affiliate links page."),
    ConfigField("affiliate_url", "Feed URL", "Affiliate API", FieldKind.URL),
    ConfigField("affiliate_gender", "Only genders", "Affiliate API", FieldKind.LIST,
                "Comma-separated f, m, t, c; empty sweeps every gender."),
    ConfigField("affiliate_region", "Only regions", "Affiliate API", FieldKind.LIST,
                "Comma-separated asia, europe_russia, northamerica, southamerica, other; empty = all."),
    ConfigField("affiliate_tags", "Only tags", "Affiliate API", FieldKind.LIST,
                "Up to 5 comma-separated tags; empty = all."),
    ConfigField("events_token", "Events API token", "Events API", FieldKind.SECRET,
                "Created on the Chaturbate auth-token page with the Events API scope."),
    ConfigField("events_url", "Events API URL", "Events API", FieldKind.URL),
    ConfigField("stats_token", "Stats API token", "Stats API", FieldKind.SECRET),
    ConfigField("stats_url", "Stats API URL", "Stats API", FieldKind.URL),
    ConfigField("cbhours_url", "CBHours API URL", "CBHours", FieldKind.URL),
    ConfigField("statbate_token", "Statbate Plus API token", "Statbate", FieldKind.SECRET),
    ConfigField("statbate_url", "Statbate API URL", "Statbate", FieldKind.URL),
)  # fmt: skip
FIELDS_BY_KEY = {field.key: field for field in CONFIG_FIELDS}

_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,512}$")


def validate_value(field: ConfigField, raw: str) -> str:
    """The normalised value to store, or ValueError with a message for the form."""
    value = raw.strip()
    if field.kind is FieldKind.USERNAME:
        value = value.lower()
        if not USERNAME.match(value):
            raise ValueError("use 1–40 letters, digits or underscores")
    elif field.kind is FieldKind.URL:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
    elif field.kind is FieldKind.SECRET:
        if not _TOKEN.match(value):
            raise ValueError("must be 1–512 printable characters without spaces")
    elif field.kind is FieldKind.LIST:
        items = [item.strip().lower() for item in value.split(",") if item.strip()]
        if not items or not all(_SLUG.match(item) for item in items):
            raise ValueError("use comma-separated words of letters, digits, '-' or '_'")
        value = ",".join(dict.fromkeys(items))
    elif not _SLUG.match(value):
        raise ValueError("use 1–32 letters, digits, '-' or '_'")
    return value


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """The effective configuration jobs and pages use; secrets stay plain str only in memory."""

    broadcaster: str
    affiliate_wm: str
    affiliate_url: str
    events_token: str
    events_url: str
    stats_token: str
    stats_url: str
    cbhours_url: str
    statbate_token: str
    statbate_url: str
    # Affiliate feed filters: comma-separated, empty = no filter (the job checks the values).
    affiliate_gender: str = ""
    affiliate_region: str = ""
    affiliate_tags: str = ""

    def secrets(self) -> list[str]:
        return [v for v in (self.events_token, self.stats_token, self.statbate_token) if v]


def env_defaults(settings: Settings) -> dict[str, str]:
    def secret(value: object) -> str:
        get = getattr(value, "get_secret_value", None)
        return str(get()) if get else ""

    return {
        "broadcaster": settings.broadcaster.lower(),
        "affiliate_wm": settings.affiliate_wm,
        "affiliate_url": settings.affiliate_url,
        "events_token": secret(settings.events_token),
        "events_url": settings.events_url,
        "stats_token": secret(settings.stats_token),
        "stats_url": settings.stats_url,
        "cbhours_url": settings.cbhours_url,
        "statbate_token": secret(settings.statbate_token),
        "statbate_url": settings.statbate_url,
        "affiliate_gender": "",
        "affiliate_region": "",
        "affiliate_tags": "",
    }


def resolve(settings: Settings, overrides: dict[str, str]) -> SourceConfig:
    """Panel values win over the environment, field by field."""
    values = env_defaults(settings)
    values.update({k: v for k, v in overrides.items() if k in FIELDS_BY_KEY})
    return SourceConfig(**values)
