"""Admin › Import: uploading the token history CSV, its progress JSON, refusals and permissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from bs4 import BeautifulSoup

from service.app import create_app
from service.settings import Settings
from service.store import token_history
from service.store.db import open_database
from service.web.keys import db_key, import_tasks_key
from tests.support.panel import Panel, add_user

HEADER = "User,Token change,Timestamp,Note\n"
GOOD = (
    HEADER
    + "alice,100,2026-01-02 10:00:00,Tip\nbob,30,2026-01-02 11:00:00,Spy show\nbob,-1,2026-01-02 11:00:00,x\n"
)
LIMIT = 4096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's settings with a small upload limit, so a too-large file is cheap to send."""
    return Settings(data_dir=tmp_path / "data", jobs_enabled=False, password_time_cost=1,
                    password_memory_kib=8, broadcaster="", import_max_body_bytes=LIMIT)  # fmt: skip


async def upload(panel: Panel, text: str, *, path: str = "/admin/import.json", csrf: bool = True) -> Any:
    await panel.get("/admin/import")
    form = aiohttp.FormData()
    form.add_field("file", text.encode("utf-8"), filename="token_history.csv", content_type="text/csv")
    headers = {"Origin": panel.origin}
    if csrf:
        headers["X-CSRF-Token"] = panel.csrf
    return await panel.client.post(path, data=form, headers=headers, allow_redirects=False)


async def rows(panel: Panel, sql: str) -> list[tuple[Any, ...]]:
    async with panel.app[db_key].read() as conn:
        return [tuple(r) for r in await conn.execute_fetchall(sql)]


async def test_page_explains_the_file_and_lists_no_imports(admin_panel: Panel) -> None:
    """The help names the columns and the UTC rule; the form and the empty list are there."""
    status, html = await admin_panel.get("/admin/import")
    assert status == 200
    page = BeautifulSoup(html, "html.parser")
    help_text = page.select_one("[data-testid=import-help]").get_text(" ")  # type: ignore[union-attr]
    for needed in ("User", "Token change", "Timestamp", "Note", "UTC"):
        assert needed in help_text
    assert page.select_one("form#import-form input[type=file][name=file]") is not None
    assert "No imports yet." in page.select_one("[data-testid=imports]").get_text()  # type: ignore[union-attr]
    assert page.select_one("nav.subnav a.active")["href"] == "/admin/import"  # type: ignore[index]


async def test_upload_runs_the_import_and_reports_progress(admin_panel: Panel, settings: Settings) -> None:
    """The upload answers with the import's id; its JSON ends 'done' with the counts; the page lists it."""
    response = await upload(admin_panel, GOOD)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["lines"] == 4
    await admin_panel.app[import_tasks_key].wait()
    status = await admin_panel.client.get(body["status_url"])
    item = (await status.json())["import"]
    assert (item["status"], item["rows_read"], item["rows_added"], item["rows_not_spending"]) == (
        "done",
        3,
        2,
        1,
    )
    assert item["filename"] == "token_history.csv"
    sql = "SELECT p.username, s.imported_tokens FROM person_room_stats s JOIN persons p ON p.id = s.person_id"
    assert await rows(admin_panel, sql + " ORDER BY 1") == [("alice", 100), ("bob", 30)]
    assert list((settings.data_dir / "uploads").iterdir()) == []  # the uploaded copy is removed
    _, html = await admin_panel.get("/admin/import")
    row = BeautifulSoup(html, "html.parser").select_one(f"tr[data-import='{body['id']}']")
    assert row is not None and row["data-status"] == "done"
    listed = await (await admin_panel.client.get("/admin/import.json")).json()
    assert [i["id"] for i in listed["imports"]] == [body["id"]]


async def test_a_refused_file_shows_its_sentence_and_stores_nothing(admin_panel: Panel) -> None:
    """A bad timestamp: the import is 'failed' with the line's sentence; no person, row or figure."""
    response = await upload(admin_panel, HEADER + "alice,100,2026-01-02 10:00:00,Tip\nbob,5,tomorrow,Tip\n")
    body = await response.json()
    await admin_panel.app[import_tasks_key].wait()
    item = (await (await admin_panel.client.get(body["status_url"])).json())["import"]
    assert (item["status"], item["error"]) == (
        "failed",
        "Line 3: the Timestamp 'tomorrow' is not a date and time.",
    )
    assert await rows(admin_panel, "SELECT count(*) FROM persons") == [(0,)]
    assert await rows(admin_panel, "SELECT count(*) FROM token_history") == [(0,)]
    _, html = await admin_panel.get("/admin/import")
    row = BeautifulSoup(html, "html.parser").select_one(f"tr[data-import='{body['id']}']")
    assert row is not None and "Line 3: the Timestamp 'tomorrow'" in row.get_text()


async def test_too_large_an_upload_is_refused_before_anything_is_recorded(admin_panel: Panel) -> None:
    """Over the limit: 413 with a sentence, no import recorded."""
    response = await upload(admin_panel, HEADER + "alice,100,2026-01-02 10:00:00,Tip\n" * 200)
    assert response.status == 413
    assert "upload limit" in (await response.json())["error"]
    assert await rows(admin_panel, "SELECT count(*) FROM token_history_imports") == [(0,)]


async def test_upload_needs_the_csrf_token_and_a_file(admin_panel: Panel) -> None:
    """Without the page's token: 403; a form without a file: 400 with a sentence."""
    assert (await upload(admin_panel, GOOD, csrf=False)).status == 403
    response = await admin_panel.client.post(
        "/admin/import.json", data=aiohttp.FormData({"x": "1"}),
        headers={"Origin": admin_panel.origin, "X-CSRF-Token": admin_panel.csrf},
    )  # fmt: skip
    assert response.status == 400
    assert (await response.json())["error"] == "Choose a token history file (a CSV) to upload."
    assert await rows(admin_panel, "SELECT count(*) FROM token_history_imports") == [(0,)]


async def test_the_plain_form_redirects_back_to_the_list(admin_panel: Panel) -> None:
    """Without script the form posts to /admin/import (CSRF as a field) and lands on the list."""
    await admin_panel.get("/admin/import")
    form = aiohttp.FormData()
    form.add_field("csrf_token", admin_panel.csrf)
    form.add_field("file", GOOD.encode(), filename="plain.csv", content_type="text/csv")
    response = await admin_panel.client.post(
        "/admin/import", data=form, headers={"Origin": admin_panel.origin}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/admin/import"
    await admin_panel.app[import_tasks_key].wait()
    assert await rows(admin_panel, "SELECT filename, status FROM token_history_imports") == [
        ("plain.csv", "done")
    ]


async def test_only_managers_of_jobs_may_import(panel: Panel) -> None:
    """A viewer is refused the page, the upload and the progress."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    assert (await panel.get("/admin/import"))[0] == 403
    assert (await upload(panel, GOOD)).status == 403
    assert (await panel.client.get("/admin/import/1.json")).status == 403
    assert await rows(panel, "SELECT count(*) FROM token_history_imports") == [(0,)]


async def test_an_import_left_running_by_a_stopped_service_is_marked_failed(
    settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    """The service starts again: the import it was running is on record as failed, with why."""
    async with open_database(settings.database_path) as db, db.transaction() as conn:
        await token_history.start_import(conn, "old.csv", "0" * 64)
    client = await aiohttp_client(create_app(settings, announce=lambda _: None))
    async with client.app[db_key].read() as conn:
        (item,) = await token_history.list_imports(conn)
    assert (item.status, item.error) == (
        "failed", "The service stopped before this import finished; nothing of it was stored."
    )  # fmt: skip
