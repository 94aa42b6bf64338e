"""The images job against a fake CDN: content-addressed files, placeholders, per-person history."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from service.jobs import images
from service.jobs.base import JobContext, JobResult
from service.sources.base import SourceResponseError
from service.store import lookup, person_state, persons
from service.store.db import Database
from tests.fakes import Fault
from tests.fakes.thumbnails import ThumbnailFake, make_app
from tests.support.rows import insert_affiliate_session
from tests.support.upstreams import context, rows, run_via_runner

JPEG = b"\xff\xd8\xff\xe0" + b"picture-one" * 1000
OTHER = b"\xff\xd8\xff\xe0" + b"picture-two" * 1000
PLACEHOLDER_SIZED = b"\xff\xd8\xff\xe0" + b"x" * 5041


async def _with_image(db: Database, name: str, url: str) -> int:
    async with db.transaction() as conn:
        pid = (await persons.ensure_persons(conn, [name]))[name]
        await insert_affiliate_session(conn, {
            "person_id": pid, "session_start": "x", "session_start_s": pid, "first_seen_at": "x",
            "last_seen_at": "x", "seconds_online": 1, "gender": "f", "current_show": "public", "viewers": 1,
            "peak_viewers": 1, "followers_start": 1, "followers_latest": 1, "image_url": url,
        })  # fmt: skip
        await person_state.refresh(conn, [pid])
    return pid


async def _ctx(aiohttp_server: Any, db: Database, http: Any, fake: ThumbnailFake) -> tuple[JobContext, str]:
    server = await aiohttp_server(make_app(fake))
    return context(db, http), str(server.make_url("/ri/"))


async def test_one_file_per_distinct_image_and_placeholders_skipped(aiohttp_server, db, http) -> None:
    fake = ThumbnailFake({
        "a.jpg": (JPEG, "image/jpeg"), "b.jpg": (JPEG, "image/jpeg"),
        "c.jpg": (PLACEHOLDER_SIZED, "image/jpeg"), "no_image.jpg": (OTHER, "image/jpeg"),
    })  # fmt: skip
    ctx, base = await _ctx(aiohttp_server, db, http, fake)
    a = await _with_image(db, "alpha", base + "a.jpg")
    await _with_image(db, "beta", base + "b.jpg")
    await _with_image(db, "gamma", base + "c.jpg")
    await _with_image(db, "delta", base + "no_image.jpg")
    summary = (await images.download(ctx)).summary
    assert summary == "4 thumbnails: 1 new images, 1 already stored, 2 placeholders skipped, 0 failed"
    assert len(fake.requests) == 3  # the placeholder URL is never fetched
    sha = hashlib.sha256(JPEG).hexdigest()
    files = list((ctx.data_dir / "images").rglob("*.*"))
    assert [f.name for f in files] == [f"{sha}.jpg"]
    assert files[0].read_bytes() == JPEG
    history = await rows(db, "SELECT person_id, sha256 FROM person_images ORDER BY person_id")
    assert len(history) == 2 and {h["sha256"] for h in history} == {sha}
    (state,) = await rows(db, "SELECT image_sha256 FROM person_state WHERE person_id = :p", {"p": a})
    assert state["image_sha256"] == sha
    assert (await images.download(ctx)).summary == "no images to fetch"


async def test_tracked_person_keeps_an_image_history(aiohttp_server, db, http) -> None:
    fake = ThumbnailFake({"a.jpg": (JPEG, "image/jpeg")})
    ctx, base = await _ctx(aiohttp_server, db, http, fake)
    pid = await _with_image(db, "alpha", base + "a.jpg")
    async with db.transaction() as conn:
        await lookup.enqueue(conn, "alpha", 2, "", "owner")
    await images.download(ctx)
    fake.images["a.jpg"] = (OTHER, "image/png")
    async with db.transaction() as conn:  # six hours later
        await conn.execute("UPDATE person_source_flags SET image_checked_at = '2000-01-01T00:00:00.000Z'")
    await images.download(ctx)
    history = await rows(db, "SELECT sha256 FROM person_images WHERE person_id = :p ORDER BY id", {"p": pid})
    assert [h["sha256"] for h in history] == [
        hashlib.sha256(JPEG).hexdigest(),
        hashlib.sha256(OTHER).hexdigest(),
    ]
    assert (ctx.data_dir / "images" / hashlib.sha256(OTHER).hexdigest()[:2]).is_dir()


async def test_failures_are_counted_and_all_failing_is_an_error(aiohttp_server, db, http) -> None:
    fake = ThumbnailFake({"a.jpg": (JPEG, "image/jpeg"), "t.txt": (b"hello", "text/plain")})
    ctx, base = await _ctx(aiohttp_server, db, http, fake)
    await _with_image(db, "alpha", base + "a.jpg")
    await _with_image(db, "beta", base + "t.txt")
    await _with_image(db, "gamma", base + "missing.jpg")
    fake.script(Fault.slow(0.2))
    assert (await images.download(ctx)).summary.endswith(
        "1 new images, 0 already stored, 0 placeholders skipped, 2 failed"
    )
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM person_source_flags")
        await conn.execute("DELETE FROM person_images")
    fake.images.clear()
    with pytest.raises(SourceResponseError, match="HTTP 404"):
        await images.download(ctx)


async def test_a_url_with_a_control_character_costs_only_its_own_thumbnail(aiohttp_server, db, http) -> None:
    """httpx refuses such a URL (InvalidURL, no HTTPError): that person fails, is marked checked,
    and the others are still fetched; the next run does not stumble over it again."""
    fake = ThumbnailFake({"a.jpg": (JPEG, "image/jpeg")})
    ctx, base = await _ctx(aiohttp_server, db, http, fake)
    await _with_image(db, "alpha", base + "a.jpg")
    bad = await _with_image(db, "beta", base + "b\x01.jpg")
    result = await images.download(ctx)
    assert (result.total, result.failed) == (2, 1)
    assert result.first_error is not None and "unusable URL" in result.first_error
    assert result.summary.startswith("2 thumbnails: 1 new images")
    (flag,) = await rows(
        db, "SELECT image_checked_at FROM person_source_flags WHERE person_id = :p", {"p": bad}
    )
    assert flag["image_checked_at"] is not None
    assert (await images.download(ctx)).summary == "no images to fetch"


async def test_some_failed_thumbnails_make_a_partial_run(aiohttp_server, db, http) -> None:
    """Two of three fetched: the run is 'partial: 1 of 3 failed', not 'ok', with the first reason."""
    fake = ThumbnailFake({"a.jpg": (JPEG, "image/jpeg"), "b.jpg": (OTHER, "image/jpeg")})
    ctx, base = await _ctx(aiohttp_server, db, http, fake)
    for name, file in (("alpha", "a.jpg"), ("beta", "b.jpg"), ("gamma", "missing.jpg")):
        await _with_image(db, name, base + file)
    status, message, last_error = await run_via_runner(images.SPEC, ctx)
    assert status == "partial"
    assert message.startswith("1 of 3 failed; 3 thumbnails: 2 new images")
    assert last_error is not None and last_error.startswith("partial: 1 of 3 failed; first: images: HTTP 404")
    (run,) = await rows(db, "SELECT status, summary, error FROM job_runs")
    assert run["status"] == "partial" and run["error"] == last_error
    (state,) = await rows(db, "SELECT last_status, last_ok_at FROM job_state WHERE name = 'images'")
    assert state["last_status"] == "partial" and state["last_ok_at"] is not None


def test_a_job_result_cannot_fail_more_items_than_it_had() -> None:
    with pytest.raises(ValueError, match="failed"):
        JobResult("x", total=1, failed=2)
