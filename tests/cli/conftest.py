"""Fixtures for the command tests: the environment a user's shell would give `mhc`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MHC_DATA_DIR": str(tmp_path / "data"),
        "MHC_PASSWORD_TIME_COST": "1",
        "MHC_PASSWORD_MEMORY_KIB": "8",
    }
