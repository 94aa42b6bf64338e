"""Thumbnails into the content-addressed store: <data_dir>/images/<sha[:2]>/<sha256>.<ext>.

The same picture served under several URLs (or twice under one) is stored once; placeholder
images are recognised and never stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from pathlib import Path

from service.clock import now_db, to_db, utcnow
from service.jobs.base import JobContext, JobResult, JobSpec
from service.sources.affiliate.spec import SPEC as AFFILIATE
from service.sources.base import SourceConnectionError, SourceError
from service.sources.http import RateLimiter
from service.sources.images import FetchedImage, ImageClient, is_placeholder, is_placeholder_url
from service.sources.spec import always_configured
from service.store import images as image_store

log = logging.getLogger(__name__)

IMAGES_DIR = "images"
PER_RUN = 200
# Tracked persons' thumbnails are fetched again this often; others once.
RECHECK_TRACKED = timedelta(hours=6)


def image_path(sha256: str, extension: str) -> str:
    """Path relative to the data directory, fanned out by the first two hex digits."""
    return f"{IMAGES_DIR}/{sha256[:2]}/{sha256}.{extension}"


def save(data_dir: Path, image: FetchedImage) -> image_store.StoredImage:
    """Write the file unless that content is already stored; atomic, so readers never see half."""
    sha = hashlib.sha256(image.content).hexdigest()
    relative = image_path(sha, image.extension)
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(image.content)
        os.replace(partial, target)
    return image_store.StoredImage(sha, image.content_type, len(image.content), relative)


async def fetch_one(context: JobContext, client: ImageClient, candidate: image_store.ImageCandidate) -> str:
    """'stored' | 'known' | 'placeholder' for one person's current thumbnail."""
    if is_placeholder_url(candidate.url):
        outcome = "placeholder"
    else:
        image = await client.fetch(candidate.url)
        if is_placeholder(candidate.url, image):
            outcome = "placeholder"
        else:
            stored = save(context.data_dir, image)
            async with context.db.transaction() as conn:
                new = await image_store.record_image(
                    conn, candidate.person_id, stored, url=candidate.url, seen_at=now_db()
                )
            return "stored" if new else "known"
    async with context.db.transaction() as conn:
        await image_store.mark_checked(conn, candidate.person_id, at=now_db())
    return outcome


async def download(context: JobContext, *, limiter: RateLimiter | None = None) -> JobResult:
    async with context.db.read() as conn:
        todo = await image_store.candidates(
            conn,
            broadcaster=context.config.broadcaster,
            recheck_before=to_db(utcnow() - RECHECK_TRACKED),
            limit=PER_RUN,
        )
    if not todo:
        return JobResult("no images to fetch")
    client = ImageClient(context.http, limiter=limiter)
    counts = {"stored": 0, "known": 0, "placeholder": 0, "failed": 0}
    first_error: SourceError | None = None
    for candidate in todo:
        try:
            counts[await fetch_one(context, client, candidate)] += 1
        except SourceError as exc:
            counts["failed"] += 1
            first_error = first_error or exc
            log.warning("images: %s for %s: %s", candidate.url, candidate.username, exc)
            if not isinstance(exc, SourceConnectionError):
                # The URL itself is bad (invalid, 404, not an image): asking again at once cannot
                # help, and left unchecked it would head the queue, and fail, on every run.
                async with context.db.transaction() as conn:
                    await image_store.mark_checked(conn, candidate.person_id, at=now_db())
    if first_error is not None and counts["failed"] == len(todo):
        raise first_error
    return JobResult(
        f"{len(todo)} thumbnails: {counts['stored']} new images, {counts['known']} already stored, "
        f"{counts['placeholder']} placeholders skipped, {counts['failed']} failed",
        total=len(todo),
        failed=counts["failed"],
        first_error=str(first_error) if first_error else None,
    )


async def run(context: JobContext) -> JobResult:
    return await download(context, limiter=RateLimiter(0.2))


SPEC = JobSpec(
    name="images",
    title="Thumbnail images",
    description="Downloads thumbnails named by the affiliate feed into the local image store (one file "
    "per distinct image), skipping placeholders; tracked persons are refreshed every 6 hours.",
    default_interval=timedelta(minutes=15),
    run=run,
    # The thumbnails are the affiliate feed's: grouped with it, though they need no slug.
    upstream=AFFILIATE,
    missing_configuration=always_configured,
)
