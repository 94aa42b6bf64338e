"""Shapes of the Chaturbate Affiliate online-rooms feed, and the fast page parser.

Speed matters here: a full sweep is ~20,000 rooms every few minutes, so a page is validated in
one pydantic-core call over the raw bytes, and per-record validation is only the fallback for a
page that contains a broken record.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from service.sources import bounds
from service.sources.http import validation_summary

logger = logging.getLogger(__name__)


def _split_languages(value: object) -> object:
    # The feed sends one free-text string ("English, Portuguese"), not a list.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _lenient_birthday(value: object) -> object:
    # Hidden birthdays are "", and scraped-style values ("Nov. 29, 1997") have been seen: an
    # unreadable birthday must not cost us the whole room, so it becomes None.
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


class AffiliateRoom(BaseModel):
    """One online room: the fields we store. Only those a snapshot cannot do without are required.

    The feed's other fields (a second image size, chat and embed links carrying our campaign slug,
    the slug) are left unparsed: a sweep holds 20,000 rooms, and they were never stored.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    username: Annotated[str, Field(min_length=1)]
    gender: str  # f, m, t, c
    current_show: str  # public, private, group, away
    # Out of range (e.g. 10**30 followers, which SQLite cannot hold) rejects only this room.
    num_users: bounds.RequiredCount
    num_followers: bounds.RequiredCount
    seconds_online: bounds.RequiredCount
    display_name: str = ""
    age: bounds.Age = None  # out of 18..99: unknown
    birthday: Annotated[date | None, BeforeValidator(_lenient_birthday)] = None
    location: str = ""
    country: str = ""  # ISO-2, may be "" and may contradict location
    spoken_languages: Annotated[list[str], BeforeValidator(_split_languages)] = Field(default_factory=list)
    room_subject: str = ""
    tags: list[str] = Field(default_factory=list)
    is_new: bool = False
    is_hd: bool = False
    image_url: str = ""


class _Page(BaseModel):
    """The whole-page fast path: every record valid."""

    count: bounds.RequiredCount
    results: list[AffiliateRoom]


class _LoosePage(BaseModel):
    """The fallback: the envelope must hold, records are checked one by one."""

    count: bounds.RequiredCount
    results: list[Any]


_PAGE = TypeAdapter(_Page)
_LOOSE_PAGE = TypeAdapter(_LoosePage)
_ROOM = TypeAdapter(AffiliateRoom)


@dataclass(frozen=True)
class AffiliatePage:
    """One parsed page: the feed's reported total, its valid rooms, how many records were skipped."""

    count: int
    rooms: list[AffiliateRoom]
    records: int
    invalid: int = 0


@dataclass
class SweepTally:
    """A sweep's bookkeeping, filled in while its pages are read one by one."""

    started_at: datetime
    finished_at: datetime
    pages: int = 0
    invalid: int = 0
    reported_count: int = 0


@dataclass(frozen=True)
class AffiliateSweep:
    """A full pass over the feed: unique rooms (first-seen order, latest data) plus bookkeeping."""

    rooms: list[AffiliateRoom]
    reported_count: int
    pages: int
    duplicates: int
    invalid: int
    started_at: datetime
    finished_at: datetime


def parse_page(raw: bytes, *, offset: int = 0) -> AffiliatePage:
    """Parse one page body; raises ValueError only when the envelope itself is unusable."""
    try:
        # A failed attempt's nulled values are dropped with it: the fallback counts them again.
        with bounds.tally():
            page = _PAGE.validate_json(raw)
    except ValidationError:
        # A bad record, bad JSON or a broken envelope: the record-by-record parse tells them
        # apart, skipping bad records and raising (ValueError) for the other two.
        return _parse_records(raw, offset)
    return AffiliatePage(count=page.count, rooms=page.results, records=len(page.results))


def _parse_records(raw: bytes, offset: int) -> AffiliatePage:
    loose = _LOOSE_PAGE.validate_python(json.loads(raw))
    rooms: list[AffiliateRoom] = []
    invalid = 0
    for index, record in enumerate(loose.results):
        try:
            with bounds.tally():  # a skipped room's nulled values are not counted
                rooms.append(_ROOM.validate_python(record))
        except ValidationError as exc:
            invalid += 1
            # Username is public; the record's values are not logged (URLs carry our wm slug).
            name = record.get("username") if isinstance(record, dict) else None
            logger.warning(
                "affiliate: skipped invalid room #%d (username=%r): %s",
                offset + index,
                name if isinstance(name, str) else None,
                validation_summary(exc),
            )
    return AffiliatePage(count=loose.count, rooms=rooms, records=len(loose.results), invalid=invalid)
