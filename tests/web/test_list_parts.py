"""A list snapshot sent in parts (POST /api/ext/v1/lists/parts, then …/lists/finish): each part
idempotent, nothing counts before the finish, a lost part leaves the run partial (never an unfollow).
Parts are 2 pages here, through the ordinary setting the ping answer announces."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from service.settings import Settings
from service.web.keys import settings_key
from tests.support.extension_api import EXT_ORIGIN, Ext, in_parts, snapshot
from tests.support.panel import Panel

NAMES = [f"fan_{i:03d}" for i in range(500)]  # 6 pages of 90: 3 parts of 2 pages
PART_PAGES = 2


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", jobs_enabled=False, password_time_cost=1, password_memory_kib=8,
        broadcaster="", ext_list_part_pages=PART_PAGES,
    )  # fmt: skip


@pytest.fixture
async def ext(admin_panel: Panel) -> Ext:
    """The extension's calls over the panel's test server, so a test can also read the pages."""
    client = Ext(admin_panel.client)
    await client.pair(admin_panel.app)
    return client


def rows(app: web.Application, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(app[settings_key].database_path) as conn:
        return conn.execute(sql, params).fetchall()


def app_of(ext: Ext) -> web.Application:
    assert ext.client.app is not None
    return ext.client.app


async def send_parts(ext: Ext, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answers = []
    for part in parts:
        status, answer = await ext.post("lists/parts", part)
        assert status == 200, answer
        answers.append(answer)
    return answers


async def finish(ext: Ext, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await ext.post("lists/finish", body)
    assert status == 200, answer
    return answer


async def test_ping_announces_the_part_size(ext: Ext) -> None:
    """The extension learns from the ping answer that lists may go in parts, and how big."""
    status, answer = await ext.get("ping")
    assert status == 200 and answer["list_parts"] == {"max_pages": PART_PAGES}


async def test_a_list_sent_in_parts_lands_like_one_sent_whole(ext: Ext) -> None:
    """Three parts and a finish: one complete snapshot with every page in reading order."""
    app = app_of(ext)
    parts, end = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-0001")
    assert len(parts) == 3
    answers = await send_parts(ext, parts)
    assert [(a["part"], a["duplicate"], a["pages"]) for a in answers] == [
        (1, False, 2),
        (2, False, 2),
        (3, False, 2),
    ]
    # Nothing counts before the finish: no person, no period, no snapshot.
    assert rows(app, "SELECT count(*) FROM persons") == [(0,)]
    assert rows(app, "SELECT count(*) FROM list_snapshots") == [(0,)]
    answer = await finish(ext, end)
    assert (answer["complete"], answer["added"], answer["reason"], answer["duplicate"]) == (
        True,
        500,
        None,
        False,
    )
    snapshot_id = answer["snapshot_id"]
    assert rows(app, "SELECT names, complete FROM list_snapshots WHERE id = :id", id=snapshot_id) == [
        (500, 1)
    ]
    pages = rows(
        app, "SELECT seq, page FROM list_snapshot_pages WHERE snapshot_id = :id ORDER BY seq", id=snapshot_id
    )
    assert pages == [(seq, seq + 1) for seq in range(6)]
    assert rows(app, "SELECT count(*) FROM list_upload_pages") == [(0,)]
    assert rows(app, "SELECT count(*) FROM follow_periods WHERE direction = 'follower'") == [(500,)]


async def test_a_part_sent_twice_changes_nothing(ext: Ext) -> None:
    """A reply lost on the way back: the extension sends the part again; it is stored once."""
    app = app_of(ext)
    parts, end = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-0002")
    await send_parts(ext, parts[:2])
    (again,) = await send_parts(ext, [parts[1]])
    assert again["duplicate"] is True
    await send_parts(ext, parts[2:])
    assert rows(app, "SELECT count(*) FROM list_upload_pages") == [(6,)]
    answer = await finish(ext, end)
    assert answer["complete"] is True
    assert rows(app, "SELECT count(*) FROM list_snapshot_pages") == [(6,)]
    repeated = await finish(ext, end)
    assert (repeated["duplicate"], repeated["snapshot_id"]) == (True, answer["snapshot_id"])
    assert rows(app, "SELECT count(*) FROM list_snapshots") == [(1,)]
    # A part after the end is refused, not used: the snapshot already counted.
    status, late = await ext.post("lists/parts", parts[0])
    assert status == 409 and "already finished" in late["error"]
    assert rows(app, "SELECT count(*) FROM list_snapshot_pages") == [(6,)]


async def test_a_missing_part_leaves_the_run_partial(ext: Ext, admin_panel: Panel) -> None:
    """Part 2 never arrived: the names that did are added, nobody is suspected, and the run history
    says why in a sentence."""
    app = app_of(ext)
    status, first = await ext.post("lists", snapshot("followers", NAMES))
    assert status == 200 and first["complete"] is True
    parts, end = in_parts(snapshot("followers", [*NAMES, "newcomer"], started_at="2026-01-06T10:00:00Z"),
                          PART_PAGES, "run-0003")  # fmt: skip
    await send_parts(ext, [parts[0], parts[2]])
    answer = await finish(ext, end)
    assert (answer["complete"], answer["reason"], answer["suspected"], answer["confirmed"]) == (
        False, "missing_parts", 0, 0,
    )  # fmt: skip
    assert answer["added"] == 1  # the newcomer, on the last page, which arrived
    assert rows(app, "SELECT count(*) FROM follow_removals") == [(0,)]
    assert rows(app, "SELECT count(*) FROM follow_periods WHERE ended_at IS NULL") == [(501,)]
    page = await admin_panel.client.get("/users/followers")
    assert "never reached the service" in await page.text()


async def test_a_finish_without_any_part_is_partial(ext: Ext) -> None:
    """Every part lost: an empty, partial snapshot; the stored list is untouched."""
    app = app_of(ext)
    await ext.post("lists", snapshot("followers", NAMES))
    _, end = in_parts(snapshot("followers", NAMES, started_at="2026-01-06T10:00:00Z"), PART_PAGES, "run-0004")
    answer = await finish(ext, end)
    assert (answer["complete"], answer["reason"], answer["suspected"]) == (False, "missing_parts", 0)
    assert rows(app, "SELECT count(*) FROM follow_removals") == [(0,)]


async def test_the_part_size_is_enforced_and_runs_are_not_mixed(ext: Ext) -> None:
    """A part bigger than announced, or one naming another run's upload, is refused; nothing stored."""
    app = app_of(ext)
    parts, _ = in_parts(snapshot("followers", NAMES), 3, "run-0005")
    status, answer = await ext.post("lists/parts", parts[0])
    assert status == 400 and "at most 2 pages" in answer["error"]
    assert rows(app, "SELECT count(*) FROM list_uploads") == [(0,)]
    following, _ = in_parts(snapshot("following", NAMES), PART_PAGES, "run-0006")
    await send_parts(ext, following[:1])
    followers, _ = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-0006")
    status, answer = await ext.post("lists/parts", followers[1])
    assert status == 409 and "another list run" in answer["error"]
    assert rows(app, "SELECT count(*) FROM list_upload_pages") == [(2,)]


async def test_parts_need_the_extension_token(ext: Ext) -> None:
    """Like every list call: a web origin or a missing token is refused."""
    parts, _ = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-0007")
    response = await ext.client.post("/api/ext/v1/lists/parts", json=parts[0],
                                     headers={"Origin": EXT_ORIGIN, "X-MHC-Protocol": "1"})  # fmt: skip
    assert response.status == 401


async def test_an_upload_never_finished_is_dropped_after_a_week(ext: Ext) -> None:
    """A run whose browser closed for good mid-run leaves pages behind; the next upload clears them
    once they are a week old, and a young one is kept."""
    app = app_of(ext)
    old, _ = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-old1")
    young, _ = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-young")
    await send_parts(ext, old[:1] + young[:1])
    with sqlite3.connect(app[settings_key].database_path) as conn:
        conn.execute(
            "UPDATE list_uploads SET created_at = '2020-01-01T00:00:00.000Z' WHERE upload_key = 'run-old1'"
        )
    fresh, _ = in_parts(snapshot("followers", NAMES), PART_PAGES, "run-new1")
    await send_parts(ext, fresh[:1])
    assert rows(app, "SELECT upload_key FROM list_uploads ORDER BY id") == [("run-young",), ("run-new1",)]
    assert rows(app, "SELECT count(*) FROM list_upload_pages") == [(4,)]
