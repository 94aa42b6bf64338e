"""The extension API's request bodies (DESIGN.md), validated strictly: unknown fields are refused."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from service.usernames import USERNAME_PATTERN, lower_stripped

# Plausible bounds: the site and this service are younger than 2000, and a year past 2099 is a
# broken clock. Checked on the year as written, before any zone arithmetic could overflow.
FIRST_YEAR = 2000
LAST_YEAR = 2099
# More than any list or follower count the site has; also keeps every count inside SQLite's integer.
MAX_COUNT = 100_000_000
MAX_PRICE_TOKENS = 10_000_000


def _moment_text(value: object) -> object:
    """Times arrive as ISO 8601 text; a bare number would be guessed as epoch seconds, so refuse it."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an ISO 8601 date-time with a zone, like 2026-01-31T20:00:00Z")


def _plausible_moment(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_moment_text), AfterValidator(_plausible_moment)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]


# Lower-cased first, then checked: the site shows names in any case, the service keys them lower.
Username = Annotated[str, BeforeValidator(lower_stripped), StringConstraints(pattern=USERNAME_PATTERN)]
Url = Annotated[str, StringConstraints(max_length=2048)]

# Generous caps: 90 names a page and 100,000-name lists fit; anything bigger is not a real page.
MAX_PAGES = 5000
MAX_NAMES_PER_PAGE = 1000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)]
    extension_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,128}$")]


class ListPageIn(Strict):
    list: Literal["online", "offline", "followers"]
    page: StrictInt = Field(ge=1, le=100_000)
    url: Url | None
    final_url: Url | None
    usernames: builtins.list[Username] = Field(max_length=MAX_NAMES_PER_PAGE)


class _ListRun(Strict):
    """What names a list run: whose list, which one, when it began (a whole snapshot, and each part of
    one sent in parts, carry it)."""

    kind: Literal["following", "followers"]
    account: Username
    started_at: Moment


class _ListVerdict(_ListRun):
    """A finished run and the extension's verdict on it (the service re-checks `complete`)."""

    finished_at: Moment
    expected_total: Count | None
    complete: StrictBool
    abort_reason: Annotated[str, StringConstraints(max_length=200)] | None

    @model_validator(mode="after")
    def _finished_after_start(self) -> Self:
        if self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class ListSnapshotRequest(_ListVerdict):
    pages: list[ListPageIn] = Field(max_length=MAX_PAGES)


# A list sent in parts (POST /api/ext/v1/lists/parts, then …/lists/finish): the extension names the
# upload; any part may arrive first, so each carries what identifies the run.
UploadKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
MAX_PARTS = 100_000


class ListPartRequest(_ListRun):
    """One part of a list snapshot: some of its pages, in reading order (at most the part size the
    service announces in its ping answer, `list_parts.max_pages`)."""

    upload: UploadKey
    part: StrictInt = Field(ge=1, le=MAX_PARTS)
    pages: list[ListPageIn] = Field(min_length=1, max_length=MAX_PAGES)


class ListFinishRequest(_ListVerdict):
    """The end of an upload: how many parts were sent, and the run's verdict as in a whole snapshot."""

    upload: UploadKey
    parts: StrictInt = Field(ge=0, le=MAX_PARTS)


class SocialLinkIn(Strict):
    platform: Annotated[str, StringConstraints(max_length=40)]
    url: Url | None
    locked: StrictBool
    price_tokens: Annotated[StrictInt, Field(ge=0, le=MAX_PRICE_TOKENS)] | None


class PhotosetIn(Strict):
    id: Annotated[str, StringConstraints(max_length=40)]
    title: Annotated[str, StringConstraints(max_length=500)]
    locked: StrictBool
    is_video: StrictBool


class HeaderFollowingIn(Strict):
    online: Count
    total: Count


class ProfileScrapeIn(Strict):
    username: Username
    url: Url
    scraped_at: Moment
    follow_status: Literal["following", "not_following", "unknown"]
    online: StrictBool | None
    bio: dict[
        Annotated[str, StringConstraints(max_length=60)], Annotated[str, StringConstraints(max_length=10_000)]
    ] = Field(max_length=60)
    social_links: list[SocialLinkIn] = Field(max_length=100)
    wishlist: list[Url] = Field(max_length=100)
    photosets: list[PhotosetIn] = Field(max_length=1000)
    header_following: HeaderFollowingIn | None = None
    # The extractor's own finding on the embedded room JSON; kept for the record only.
    dossier_matches_page: StrictBool | None = None


class AlertAckRequest(Strict):
    """The extension has shown every desktop alert up to `last_id` (POST /api/ext/v1/alerts/ack)."""

    last_id: StrictInt = Field(ge=0, le=2**63 - 1)


class TaskReportRequest(Strict):
    state: Literal["running", "done", "failed"]
    reason: Annotated[str, StringConstraints(max_length=300)] | None = None
    result_ref: Annotated[str, StringConstraints(pattern=r"^(snapshot|profile):[0-9]{1,12}$")] | None = None
