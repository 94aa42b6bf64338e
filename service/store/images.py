"""The content-addressed image store's index: one row per distinct image, a history per person."""

from __future__ import annotations

from dataclasses import dataclass

from service.clock import now_db
from service.store import person_state
from service.store.db import Connection
from service.store.tracked import TRACKED_IDS


@dataclass(frozen=True, slots=True)
class StoredImage:
    sha256: str
    content_type: str
    bytes: int
    path: str  # relative to the data directory


@dataclass(frozen=True, slots=True)
class ImageCandidate:
    person_id: int
    username: str
    url: str


async def get_image(conn: Connection, sha256: str) -> StoredImage | None:
    async with conn.execute(
        "SELECT sha256, content_type, bytes, path FROM images WHERE sha256 = :sha", {"sha": sha256}
    ) as cursor:
        row = await cursor.fetchone()
    return StoredImage(*tuple(row)) if row else None


_CANDIDATES = f"""SELECT s.person_id, s.username, s.image_url FROM person_state s
LEFT JOIN person_source_flags f ON f.person_id = s.person_id
WHERE s.image_url IS NOT NULL AND s.image_url <> '' AND (f.image_checked_at IS NULL
    OR (f.image_checked_at < :recheck AND s.person_id IN ({TRACKED_IDS})))
ORDER BY f.image_checked_at IS NOT NULL, s.last_seen_at DESC LIMIT :limit"""  # noqa: S608 - constants


async def candidates(
    conn: Connection, *, broadcaster: str, recheck_before: str, limit: int
) -> list[ImageCandidate]:
    """Persons whose current image URL should be fetched: never fetched, or tracked and due."""
    async with conn.execute(
        _CANDIDATES,
        {"broadcaster": broadcaster, "recheck": recheck_before, "limit": limit},
    ) as cursor:
        return [ImageCandidate(int(r[0]), str(r[1]), str(r[2])) for r in await cursor.fetchall()]


async def mark_checked(conn: Connection, person_id: int, *, at: str) -> None:
    await conn.execute(
        "INSERT INTO person_source_flags (person_id, image_checked_at, updated_at) VALUES (:id, :at, :at) "
        "ON CONFLICT (person_id) DO UPDATE SET image_checked_at = :at, updated_at = :at",
        {"id": person_id, "at": at},
    )


async def record_image(
    conn: Connection, person_id: int, image: StoredImage, *, url: str, seen_at: str
) -> bool:
    """Index an image file and add it to the person's history; True if the image was new."""
    created = await conn.execute(
        "INSERT INTO images (sha256, content_type, bytes, path, first_seen_at) "
        "VALUES (:sha, :type, :bytes, :path, :at) ON CONFLICT (sha256) DO NOTHING",
        {"sha": image.sha256, "type": image.content_type, "bytes": image.bytes, "path": image.path,
         "at": seen_at},
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO person_images (person_id, sha256, url, first_seen_at, last_seen_at) "
        "VALUES (:id, :sha, :url, :at, :at) ON CONFLICT (person_id, sha256) DO UPDATE SET "
        "last_seen_at = max(last_seen_at, excluded.last_seen_at), url = excluded.url",
        {"id": person_id, "sha": image.sha256, "url": url, "at": seen_at},
    )
    await mark_checked(conn, person_id, at=now_db())
    await person_state.refresh(conn, [person_id])
    return created.rowcount == 1


@dataclass(frozen=True, slots=True)
class PersonImage:
    sha256: str
    url: str
    first_seen_at: str
    last_seen_at: str


async def person_history(conn: Connection, person_id: int) -> list[PersonImage]:
    """A person's images, newest first (for the Profile)."""
    async with conn.execute(
        "SELECT sha256, url, first_seen_at, last_seen_at FROM person_images WHERE person_id = :id "
        "ORDER BY last_seen_at DESC, id DESC",
        {"id": person_id},
    ) as cursor:
        return [PersonImage(*tuple(row)) for row in await cursor.fetchall()]
