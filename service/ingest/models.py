"""The extension API's request bodies (DESIGN.md), validated strictly: unknown fields are refused."""

from __future__ import annotations

import builtins
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# Lower-cased first, then checked: the site shows names in any case, the service keys them lower.
Username = Annotated[str, BeforeValidator(_lower), StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
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
    page: int = Field(ge=1, le=100_000)
    url: Url | None
    final_url: Url | None
    usernames: builtins.list[Username] = Field(max_length=MAX_NAMES_PER_PAGE)


class ListSnapshotRequest(Strict):
    kind: Literal["following", "followers"]
    account: Username
    started_at: AwareDatetime
    finished_at: AwareDatetime
    expected_total: int | None = Field(ge=0)
    complete: bool
    abort_reason: Annotated[str, StringConstraints(max_length=200)] | None
    pages: list[ListPageIn] = Field(max_length=MAX_PAGES)


class SocialLinkIn(Strict):
    platform: Annotated[str, StringConstraints(max_length=40)]
    url: Url | None
    locked: bool
    price_tokens: int | None = Field(ge=0)


class PhotosetIn(Strict):
    id: Annotated[str, StringConstraints(max_length=40)]
    title: Annotated[str, StringConstraints(max_length=500)]
    locked: bool
    is_video: bool


class HeaderFollowingIn(Strict):
    online: int = Field(ge=0)
    total: int = Field(ge=0)


class ProfileScrapeIn(Strict):
    username: Username
    url: Url
    scraped_at: AwareDatetime
    follow_status: Literal["following", "not_following", "unknown"]
    online: bool | None
    bio: dict[
        Annotated[str, StringConstraints(max_length=60)], Annotated[str, StringConstraints(max_length=10_000)]
    ] = Field(max_length=60)
    social_links: list[SocialLinkIn] = Field(max_length=100)
    wishlist: list[Url] = Field(max_length=100)
    photosets: list[PhotosetIn] = Field(max_length=1000)
    header_following: HeaderFollowingIn | None = None
    # The extractor's own finding on the embedded room JSON; kept for the record only.
    dossier_matches_page: bool | None = None


class TaskReportRequest(Strict):
    state: Literal["running", "done", "failed"]
    reason: Annotated[str, StringConstraints(max_length=300)] | None = None
    result_ref: Annotated[str, StringConstraints(pattern=r"^(snapshot|profile):[0-9]{1,12}$")] | None = None
