"""The settings module: source settings from the environment, the panel, or their spec's default."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.logs import SecretRegistry
from service.settings import ConfigHolder, Settings, resolve, resolve_values
from service.sources.registry import SOURCES
from service.store import saved_settings
from service.store.db import open_database
from service.store.source_counts import row_counts

TOKEN = "env-stats-token-92c1e0"


def test_a_spec_field_is_read_from_its_mhc_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """MHC_<FIELD> sets any spec's field; a username is lower-cased; each value says where it came from."""
    monkeypatch.setenv("MHC_STATS_TOKEN", TOKEN)
    monkeypatch.setenv("MHC_BROADCASTER", "My_Room")
    settings = Settings(data_dir=tmp_path)
    values = resolve_values(settings, {"cbhours_url": "http://127.0.0.1:1/api.php"})
    assert (values["stats_token"].value, values["stats_token"].origin) == (TOKEN, "environment")
    assert (values["broadcaster"].value, values["broadcaster"].origin) == ("my_room", "environment")
    assert (values["cbhours_url"].value, values["cbhours_url"].origin) == (
        "http://127.0.0.1:1/api.php",
        "panel",
    )
    assert (values["stats_url"].value, values["stats_url"].origin) == (
        "https://chaturbate.com/statsapi/",
        "default",
    )


def test_no_token_shows_in_a_repr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Source settings are kept as secrets in Settings, and the effective config masks its secrets."""
    monkeypatch.setenv("MHC_STATS_TOKEN", TOKEN)
    settings = Settings(data_dir=tmp_path)
    config = resolve(settings, {})
    assert TOKEN not in repr(settings)
    assert TOKEN not in repr(config)
    assert config.stats_token == TOKEN
    assert config.secrets() == [TOKEN]


def test_config_knows_only_the_declared_fields(tmp_path: Path) -> None:
    """A misspelt setting is an error, not a silent empty string."""
    config = resolve(Settings(data_dir=tmp_path), {})
    assert config.replace(stats_token="x").stats_token == "x"
    with pytest.raises(AttributeError):
        config.replace(stats_tokn="x")
    with pytest.raises(AttributeError):
        _ = config.stats_tokn


async def test_holder_reloads_saved_values_and_registers_secrets(tmp_path: Path) -> None:
    """Values saved in the panel win, say so, and their secrets reach the log masker."""
    registry = SecretRegistry()
    holder = ConfigHolder(Settings(data_dir=tmp_path), registry, SOURCES)
    async with open_database(tmp_path / "mhc.sqlite3") as db:
        async with db.transaction() as conn:
            await saved_settings.upsert(conn, "statbate_token", "saved-statbate-token", by="test")
        config = await holder.reload(db)
    assert config.statbate_token == "saved-statbate-token"
    assert holder.values["statbate_token"].origin == "panel"
    assert registry.values() == ["saved-statbate-token"]


async def test_row_counts_refuse_anything_but_a_table(tmp_path: Path) -> None:
    """A spec's table names reach SQL only when the schema has such a table."""
    async with open_database(tmp_path / "mhc.sqlite3") as db, db.read() as conn:
        assert await row_counts(conn, ["stats_snapshots"]) == {"stats_snapshots": 0}
        for name in ("no_such_table", "stats_snapshots; DROP TABLE persons", "v_person_current_state"):
            with pytest.raises(ValueError, match="not a table"):
                await row_counts(conn, [name])
