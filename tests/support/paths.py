"""Where the repository's own files are, so a test finds them wherever the test file sits."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
FIXTURES = REPO / "tests" / "fixtures"
SITE = FIXTURES / "site"
