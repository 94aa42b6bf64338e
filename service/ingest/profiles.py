"""Profile scrapes: stored whole with their scrape time; their follow status only corroborates.

A page's follow status is used only when the page showed the room its URL names and the status is
known; what it then does to the follow periods is decided by `ingest.follows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from service.clock import to_db
from service.ingest import follows
from service.ingest.models import ProfileScrapeIn
from service.store import person_state, persons, scrapes
from service.store.db import Connection, Database

SITE_HOSTS = ("chaturbate.com", "www.chaturbate.com")


@dataclass(frozen=True, slots=True)
class ProfileOutcome:
    username: str
    scrape_id: int
    duplicate: bool
    identity_ok: bool
    effect: str  # "none" | "confirmed_unfollow" | "opened_following" | "dismissed_suspicion"

    def as_json(self) -> dict[str, object]:
        return {"username": self.username, "scrape_id": self.scrape_id, "duplicate": self.duplicate,
                "identity_ok": self.identity_ok, "effect": self.effect}  # fmt: skip


def identity_ok(scrape: ProfileScrapeIn) -> bool:
    """The page is the room its URL names: https://chaturbate.com/<username>/."""
    parts = urlsplit(scrape.url)
    slug = parts.path.strip("/").lower()
    return parts.scheme == "https" and parts.netloc.lower() in SITE_HOSTS and slug == scrape.username


def idempotency_key(scrape: ProfileScrapeIn) -> str:
    # One person cannot be scraped twice in the same millisecond, so this names one scrape.
    return f"{scrape.username}@{to_db(scrape.scraped_at)}"


async def ingest_profile(
    conn: Connection, scrape: ProfileScrapeIn, *, client_id: int | None
) -> ProfileOutcome:
    key = idempotency_key(scrape)
    if (existing := await scrapes.scrape_id_for_key(conn, key)) is not None:
        return ProfileOutcome(scrape.username, existing, True, identity_ok(scrape), "none")
    person_id = (await persons.ensure_persons(conn, [scrape.username]))[scrape.username]
    trusted = identity_ok(scrape)
    header = scrape.header_following
    scrape_id = await scrapes.insert_profile_scrape(
        conn, person_id=person_id, key=key, client_id=client_id, url=scrape.url,
        scraped_at=to_db(scrape.scraped_at), follow_status=scrape.follow_status, identity_ok=trusted,
        online=scrape.online, bio=dict(scrape.bio),
        social_links=[link.model_dump() for link in scrape.social_links], wishlist=list(scrape.wishlist),
        photosets=[item.model_dump() for item in scrape.photosets],
        header_online=header.online if header else None, header_total=header.total if header else None,
    )  # fmt: skip
    effect = "none"
    if trusted and scrape.follow_status != "unknown":
        effect = await follows.apply_profile_status(
            conn, person_id, scrape.follow_status, at=to_db(scrape.scraped_at), ref=f"profile:{scrape_id}"
        )
    # The scraped bio is a source of the person's current state (name, age, followers).
    await person_state.refresh(conn, [person_id])
    return ProfileOutcome(scrape.username, scrape_id, False, trusted, effect)


async def ingest_profiles(
    db: Database, batch: list[ProfileScrapeIn], *, client_id: int | None
) -> list[ProfileOutcome]:
    """All scrapes of one request in one transaction: a rejected request changes nothing."""
    async with db.transaction() as conn:
        return [await ingest_profile(conn, scrape, client_id=client_id) for scrape in batch]
