"""Profile pages scraped by the extension, stored whole with their scrape time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.clock import from_db, now_db
from service.store.db import Connection


@dataclass(frozen=True, slots=True)
class ProfileScrape:
    id: int
    person_id: int
    url: str
    scraped_at: datetime
    follow_status: str
    identity_ok: bool
    online: bool | None
    bio: dict[str, str]
    social_links: list[dict[str, Any]]
    wishlist: list[str]
    photosets: list[dict[str, Any]]


async def scrape_id_for_key(conn: Connection, key: str) -> int | None:
    async with conn.execute(
        "SELECT id FROM profile_scrapes WHERE idempotency_key = :key", {"key": key}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def insert_profile_scrape(
    conn: Connection,
    *,
    person_id: int,
    key: str,
    client_id: int | None,
    url: str,
    scraped_at: str,
    follow_status: str,
    identity_ok: bool,
    online: bool | None,
    bio: dict[str, str],
    social_links: list[dict[str, Any]],
    wishlist: list[str],
    photosets: list[dict[str, Any]],
    header_online: int | None,
    header_total: int | None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO profile_scrapes (person_id, idempotency_key, client_id, url, scraped_at, received_at, "
        "follow_status, identity_ok, online, bio, social_links, wishlist, photosets, header_online, "
        "header_total) VALUES (:person, :key, :client, :url, :scraped, :now, :status, :identity, :online, "
        ":bio, :social, :wishlist, :photosets, :h_online, :h_total)",
        {"person": person_id, "key": key, "client": client_id, "url": url, "scraped": scraped_at,
         "now": now_db(), "status": follow_status, "identity": int(identity_ok),
         "online": None if online is None else int(online), "bio": json.dumps(bio),
         "social": json.dumps(social_links), "wishlist": json.dumps(wishlist),
         "photosets": json.dumps(photosets), "h_online": header_online, "h_total": header_total},
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


async def latest_scrape(conn: Connection, person_id: int) -> ProfileScrape | None:
    async with conn.execute(
        "SELECT * FROM v_person_latest_scrape WHERE person_id = :person", {"person": person_id}
    ) as cursor:
        r = await cursor.fetchone()
    if r is None:
        return None
    return ProfileScrape(
        id=r["id"],
        person_id=r["person_id"],
        url=r["url"],
        scraped_at=from_db(r["scraped_at"]),
        follow_status=r["follow_status"],
        identity_ok=bool(r["identity_ok"]),
        online=None if r["online"] is None else bool(r["online"]),
        bio=json.loads(r["bio"]),
        social_links=json.loads(r["social_links"]),
        wishlist=json.loads(r["wishlist"]),
        photosets=json.loads(r["photosets"]),
    )
