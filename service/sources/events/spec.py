"""The Events API as the panel sees it. Its consumer is the events stream, not a scheduled job, and
Admin › Events shows that stream's state, so it has no row (and no test) on Admin › Sources."""

from __future__ import annotations

from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec


def missing_configuration(config: SourceConfig) -> str | None:
    if not (config.broadcaster and config.events_token):
        return "no Events API token or broadcaster username is set"
    return None


SPEC = SourceSpec(
    key="events",
    label="Events API",
    fields=(
        SettingField("events_token", "Events API token", FieldKind.SECRET,
                     help="Created on the Chaturbate auth-token page with the Events API scope."),
        SettingField("events_url", "Events API URL", FieldKind.URL, default="https://eventsapi.chaturbate.com/events/"),
    ),
    missing_configuration=missing_configuration,
    prose_name="the Events API",
)  # fmt: skip
