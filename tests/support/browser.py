"""Debian's Chromium for the browser tests: where it is and the switches it needs on these machines.

Playwright cannot download its own browser here. Sync Playwright fixtures must never be
session-scoped: while the driver lives it registers its event loop on this thread, which breaks
the asyncio tests of every module that runs after it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = Path(os.environ.get("MHC_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium keeps calling home, which fails offline.
QUIET_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_ARGS = ["--headless=new", *QUIET_ARGS]


def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'make test' (it installs it) or set MHC_CHROMIUM")
    return str(CHROMIUM)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
