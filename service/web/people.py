"""Small presentation helpers the Directory and Profile templates share: sources, ages, images."""

from __future__ import annotations

from datetime import datetime

from service.clock import from_db
from service.settings import SOURCES
from service.web.render import ago

# Every upstream by its spec's key, and the two sources that are no upstream.
SOURCE_NAMES = {
    **{spec.key: spec.in_prose for spec in SOURCES},
    "scrape": "a profile scrape",
    "history": "history",
}


def moment(text: str | None) -> datetime | None:
    """A stored UTC time as an aware datetime for the `when` macro; None stays None."""
    return from_db(text) if text else None


def source_title(source: str | None, at: str | None) -> str:
    """The hover text of a value: 'from CBHours, 3 min ago'."""
    if not source:
        return "no source has this value"
    name = SOURCE_NAMES.get(source, source)
    return f"from {name}, {ago(from_db(at))}" if at else f"from {name}"


def image_src(sha256: str | None, url: str | None) -> tuple[str, str]:
    """(src, fallback): the local copy first, the remote URL when the local one fails to load."""
    if sha256:
        return f"/images/{sha256}", url or ""
    return url or "", ""


HELPERS = {"moment": moment, "source_title": source_title, "image_src": image_src}
