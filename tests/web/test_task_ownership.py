"""Issue 8 item 12: a task is reported only by the extension that took it, and its result must exist."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.store import extension as ext_store
from service.web.keys import db_key
from tests.support.extension_api import Ext, snapshot

PROFILE = {
    "username": "harbor_lights", "url": "https://chaturbate.com/harbor_lights/",
    "scraped_at": "2026-01-05T10:00:00Z", "follow_status": "following", "online": False, "bio": {},
    "social_links": [], "wishlist": [], "photosets": [], "header_following": None,
}  # fmt: skip


def _app(ext: Ext) -> web.Application:
    app = ext.client.app
    assert app is not None
    return app


async def _second_extension(ext: Ext) -> Ext:
    other = Ext(ext.client)
    await other.pair(_app(ext))
    return other


async def _queue(ext: Ext, kind: str) -> int:
    lists, names = ([kind], []) if kind != "profile" else ([], ["harbor_lights"])
    ((task_id, _),) = await ext_store.queue_scrapes(_app(ext)[db_key], lists=lists, usernames=names, by="t")
    return task_id


async def _task(ext: Ext, task_id: int) -> Any:
    async with _app(ext)[db_key].read() as conn:
        return await ext_store.get_task(conn, task_id)


async def test_another_extension_cannot_report_a_task_it_did_not_take(ext: Ext) -> None:
    """B's done/failed/running on A's running task: 403, and the task is exactly as A left it."""
    other = await _second_extension(ext)
    task_id = await _queue(ext, "following")
    status, _ = await ext.post(f"tasks/{task_id}", {"state": "running"})
    assert status == 200
    before = await _task(ext, task_id)
    for report in ({"state": "done"}, {"state": "failed", "reason": "x"}, {"state": "running"}):
        status, body = await other.post(f"tasks/{task_id}", report)
        assert status == 403, body
        assert "another extension" in body["error"]
    assert await _task(ext, task_id) == before


async def test_a_finished_task_of_another_extension_is_refused_too(ext: Ext) -> None:
    """Even a late report on a finished task belongs to its taker alone."""
    other = await _second_extension(ext)
    task_id = await _queue(ext, "following")
    await ext.post(f"tasks/{task_id}", {"state": "failed", "reason": "login"})
    status, _ = await other.post(f"tasks/{task_id}", {"state": "done"})
    assert status == 403


async def test_a_queued_task_is_taken_by_whoever_reports_first(ext: Ext) -> None:
    """The first report takes the task; from then on only that extension may report."""
    other = await _second_extension(ext)
    task_id = await _queue(ext, "following")
    status, _ = await other.post(f"tasks/{task_id}", {"state": "running"})
    assert status == 200
    assert (await ext.post(f"tasks/{task_id}", {"state": "failed", "reason": "x"}))[0] == 403
    assert (await other.post(f"tasks/{task_id}", {"state": "failed", "reason": "x"}))[0] == 200


async def test_a_result_that_does_not_exist_is_refused(ext: Ext) -> None:
    """done with snapshot:999999 or profile:0: 400, the task stays running."""
    list_task = await _queue(ext, "following")
    profile_task = await _queue(ext, "profile")
    for task_id, ref in ((list_task, "snapshot:999999"), (profile_task, "profile:0")):
        await ext.post(f"tasks/{task_id}", {"state": "running"})
        status, body = await ext.post(f"tasks/{task_id}", {"state": "done", "result_ref": ref})
        assert status == 400, body
        assert ref in body["error"]
        task = await _task(ext, task_id)
        assert task.state == "running" and task.result_ref is None


async def test_a_result_of_another_kind_is_refused(ext: Ext) -> None:
    """A following run cannot be closed with a followers snapshot or a profile scrape."""
    task_id = await _queue(ext, "following")
    _, answer = await ext.post("lists", snapshot("followers", ["fan_1"]))
    _, scraped = await ext.post("profiles", PROFILE)
    await ext.post(f"tasks/{task_id}", {"state": "running"})
    for ref in (f"snapshot:{answer['snapshot_id']}", f"profile:{scraped['profiles'][0]['scrape_id']}"):
        status, _ = await ext.post(f"tasks/{task_id}", {"state": "done", "result_ref": ref})
        assert status == 400
    assert (await _task(ext, task_id)).state == "running"


async def test_real_results_close_their_tasks(ext: Ext) -> None:
    """The outbox's own references (a snapshot of the kind, the scrape of that name) are accepted."""
    list_task = await _queue(ext, "following")
    profile_task = await _queue(ext, "profile")
    _, answer = await ext.post("lists", snapshot("following", ["room_1"]))
    _, scraped = await ext.post("profiles", PROFILE)
    refs = {
        list_task: f"snapshot:{answer['snapshot_id']}",
        profile_task: f"profile:{scraped['profiles'][0]['scrape_id']}",
    }
    for task_id, ref in refs.items():
        await ext.post(f"tasks/{task_id}", {"state": "running"})
        status, body = await ext.post(f"tasks/{task_id}", {"state": "done", "result_ref": ref})
        assert status == 200 and body["changed"] is True, body
        task = await _task(ext, task_id)
        assert task.state == "done" and task.result_ref == ref
