"""What describes one upstream: its settings, how to tell it is not configured, its connection test,
the tables it owns. Each upstream declares one `SourceSpec` next to its client (`<name>/spec.py`);
the settings model, the Settings page, Admin › Sources, the jobs' grouping and the row counts are
all built from these, so adding an upstream means its spec, its client and its job.

A spec is data: it never imports jobs or the store (they refer to it instead).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from service.redaction import MASK

if TYPE_CHECKING:  # httpx costs a command that reads no upstream (`mhc backup`) 50 ms to import
    import httpx


class FieldKind(StrEnum):
    TEXT = "text"
    SECRET = "secret"  # noqa: S105 - a field kind, not a password
    URL = "url"
    USERNAME = "username"
    LIST = "list"  # comma-separated words, e.g. feed filters


@dataclass(frozen=True, slots=True)
class SettingField:
    """One setting: `MHC_<KEY>` in the environment, overridable on the Settings page."""

    key: str
    label: str
    kind: FieldKind
    default: str = ""
    help: str = ""
    # A field with rules of its own (the Fans group's texts): the value to store, or ValueError with
    # a sentence for the form. Fields without one are checked by their kind.
    check: Callable[[str], str] | None = None

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.SECRET


class SourceConfig:
    """The effective value of every setting field, each readable as an attribute (`config.stats_url`).

    Secrets stay plain text only in memory; `secrets()` lists them for the masker.
    """

    __slots__ = ("_secret_keys", "_values")

    def __init__(self, values: Mapping[str, str], secret_keys: Iterable[str] = ()) -> None:
        self._values = dict(values)
        self._secret_keys = frozenset(secret_keys)

    def __getattr__(self, key: str) -> str:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"no setting named {key!r}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceConfig):
            return NotImplemented
        return (self._values, self._secret_keys) == (other._values, other._secret_keys)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value: compare, never hash

    def __repr__(self) -> str:
        shown = {k: MASK if k in self._secret_keys and v else v for k, v in self._values.items()}
        return f"SourceConfig({shown!r})"

    def replace(self, **changes: str) -> SourceConfig:
        """A copy with these values changed (the key set and which keys are secret stay)."""
        unknown = set(changes) - set(self._values)
        if unknown:
            raise AttributeError(f"no setting named {', '.join(sorted(unknown))}")
        return SourceConfig({**self._values, **changes}, self._secret_keys)

    def secrets(self) -> list[str]:
        return [self._values[key] for key in sorted(self._secret_keys) if self._values.get(key)]


def always_configured(_config: SourceConfig) -> str | None:
    return None


# A cheap request that proves the configuration works: a one-line result, or a SourceError.
ConnectionTest = Callable[["httpx.AsyncClient", SourceConfig], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One upstream, as the panel and the jobs see it."""

    key: str  # URL segment on Admin › Sources, and the name history rows give their source
    label: str  # the Settings group, the Admin › Sources row and the job list's "source" column
    fields: tuple[SettingField, ...] = ()
    # Why it cannot be used with this configuration ("no Stats API token"), or None.
    missing_configuration: Callable[[SourceConfig], str | None] = always_configured
    # None: no test on Admin › Sources (the Events stream shows its own state instead).
    test_connection: ConnectionTest | None = None
    tables: tuple[str, ...] = ()  # whose rows Admin › Sources counts
    # How a sentence names it ("from the Affiliate API") and a chart legend ("Affiliate").
    prose_name: str = ""
    chart_name: str = ""

    @property
    def in_prose(self) -> str:
        return self.prose_name or self.label

    @property
    def on_charts(self) -> str:
        return self.chart_name or self.label
