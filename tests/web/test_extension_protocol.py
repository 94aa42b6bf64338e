"""The extension API's guards: pairing, bearer token, protocol header, origin, validation, size."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from service.store import extension as ext_store
from service.web.keys import db_key, settings_key
from tests.support.extension_api import EXT_ORIGIN, Ext, snapshot


def _count(app: web.Application, table: str) -> int:
    with sqlite3.connect(app[settings_key].database_path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - test tables


async def test_ping_answers_without_token_and_names_the_service(ext: Ext) -> None:
    """Ping is public and carries X-MHC-Version, which is how the extension knows it is us."""
    response = await ext.client.get("/api/ext/v1/ping", headers={"Origin": EXT_ORIGIN})
    assert response.status == 200
    body = await response.json()
    assert body["service"] == "mhc" and body["protocol"] == 1
    assert response.headers["X-MHC-Version"] == body["version"]
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_pairing_code_is_single_use(ext: Ext) -> None:
    """A code pairs once; reusing it, or a made-up code, is refused."""
    from service.ingest import pairing

    code, _ = await pairing.new_pairing_code(ext.client.app[db_key], by="t", minutes=5)
    body = {"code": code.lower().replace("-", ""), "extension_id": "abc"}
    first = await ext.client.post("/api/ext/v1/pair", json=body, headers={"Origin": EXT_ORIGIN})
    assert first.status == 200
    again = await ext.client.post("/api/ext/v1/pair", json=body, headers={"Origin": EXT_ORIGIN})
    assert again.status == 401


async def test_calls_need_a_live_token(ext: Ext) -> None:
    """No token, a wrong token or a revoked token: 401 and nothing stored."""
    app = ext.client.app
    assert app is not None
    for token in ("", "wrong"):
        status, _ = await Ext(ext.client, token).post("lists", snapshot("followers", ["a"]))
        assert status == 401
    async with app[db_key].transaction() as conn:
        (client,) = await ext_store.list_clients(conn)
        await ext_store.revoke_client(conn, client.id)
    status, body = await ext.get("tasks")
    assert status == 401 and "not paired" in body["error"]
    assert _count(app, "list_snapshots") == 0


async def test_protocol_mismatch_is_412(ext: Ext) -> None:
    """A missing or different X-MHC-Protocol answers 412, so the popup can say 'incompatible'."""
    status, _ = await ext.get("tasks", **{"X-MHC-Protocol": "2"})
    assert status == 412
    response = await ext.client.get("/api/ext/v1/tasks", headers={"Authorization": f"Bearer {ext.token}"})
    assert response.status == 412


async def test_web_origins_are_refused(ext: Ext) -> None:
    """A web page (http/https Origin) cannot use the API, even holding a token."""
    status, _ = await ext.post("lists", snapshot("followers", ["a"]), Origin="http://evil.example")
    assert status == 403
    status, _ = await ext.get("tasks", Origin="https://chaturbate.com")
    assert status == 403


async def test_invalid_payload_says_why_and_changes_nothing(ext: Ext) -> None:
    """extra="forbid" and the username pattern give 400 with `loc: msg` details."""
    app = ext.client.app
    assert app is not None
    body = snapshot("followers", ["ok_name", "Bad Name!"])
    body["surprise"] = 1
    status, answer = await ext.post("lists", body)
    assert status == 400
    assert any(d.startswith("surprise:") for d in answer["details"])
    assert any(d.startswith("pages.0.usernames.1:") for d in answer["details"])
    assert _count(app, "list_snapshots") == 0 and _count(app, "persons") == 0


async def test_usernames_are_lower_cased(ext: Ext) -> None:
    """Names arrive in any case and are stored lower-case."""
    status, _ = await ext.post("lists", snapshot("followers", ["MixedCase_1"]))
    assert status == 200
    app = ext.client.app
    assert app is not None
    with sqlite3.connect(app[settings_key].database_path) as conn:
        assert conn.execute("SELECT username FROM persons").fetchall() == [("mixedcase_1",)]


async def test_big_snapshots_fit_but_the_panel_keeps_its_limit(ext: Ext) -> None:
    """A 2 MiB snapshot is accepted on the extension API; past MHC_EXT_MAX_BODY_BYTES it is 413."""
    app = ext.client.app
    assert app is not None
    names = [f"user_{i:07d}_padding_{i % 97:02d}" for i in range(60_000)]
    status, body = await ext.post("lists", snapshot("followers", names))
    assert status == 200, body
    assert body["added"] == 60_000
    app[settings_key].ext_max_body_bytes = 100_000
    status, _ = await ext.post("lists", snapshot("followers", names[:10_000]))
    assert status == 413


async def test_tasks_are_listed_and_reported(ext: Ext) -> None:
    """Queued tasks come back from GET /tasks; reports move them to running and done."""
    app = ext.client.app
    assert app is not None
    queued = await ext_store.queue_scrapes(
        app[db_key], lists=["following"], usernames=["harbor_lights"], by="t"
    )
    again = await ext_store.queue_scrapes(app[db_key], lists=["following"], usernames=[], by="t")
    assert again[0] == (queued[0][0], False)
    status, body = await ext.get("tasks")
    assert status == 200
    assert [(t["kind"], t["username"]) for t in body["tasks"]] == [
        ("following", None),
        ("profile", "harbor_lights"),
    ]
    task_id = body["tasks"][0]["id"]
    status, body = await ext.post(f"tasks/{task_id}", {"state": "running"})
    assert status == 200 and body["task"]["state"] == "running"
    status, body = await ext.post(f"tasks/{task_id}", {"state": "failed", "reason": "login"})
    assert body["task"]["state"] == "failed"
    status, body = await ext.post(f"tasks/{task_id}", {"state": "done"})
    assert body["changed"] is False and body["task"]["state"] == "failed"
    status, body = await ext.get("tasks")
    assert [t["kind"] for t in body["tasks"]] == ["profile"]


async def test_daily_job_queues_list_runs_once(ext: Ext) -> None:
    """The schedule queues following and followers; while they wait, it does not queue them again."""
    from service.jobs import extension_lists
    from service.jobs.base import JobContext
    from service.web.keys import config_key, http_key

    app = ext.client.app
    assert app is not None
    context = JobContext(
        db=app[db_key],
        config=app[config_key].current,
        data_dir=app[settings_key].data_dir,
        http=app[http_key],
    )
    assert await extension_lists.run(context) == "queued 2 list run(s) for the extension (0 already waiting)"
    assert await extension_lists.run(context) == "queued 0 list run(s) for the extension (2 already waiting)"
    _, body = await ext.get("tasks")
    assert [(t["kind"], t["username"]) for t in body["tasks"]] == [("following", None), ("followers", None)]
