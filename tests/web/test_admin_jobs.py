"""Admin › Jobs: the list, pause/resume, run now, and state that survives a restart."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote, quote_plus

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from bs4 import BeautifulSoup
from pydantic import SecretStr

from service.app import create_app
from service.models import JobRun
from service.store import jobs as job_store
from service.web.keys import db_key, runner_key
from tests.fakes.stats import PATH as STATS_PATH
from tests.fakes.stats import StatsFake
from tests.fakes.stats import make_app as make_stats_app
from tests.support.panel import Panel, add_user


async def test_jobs_page_lists_the_registered_jobs(admin_panel: Panel) -> None:
    """Every job in the registry has a row with its actions."""
    status, html = await admin_panel.get("/admin/jobs")
    assert status == 200
    for name in admin_panel.app[runner_key].specs:
        assert f'data-job="{name}"' in html
        assert f'action="/admin/jobs/{name}/run"' in html


async def test_run_now_records_a_successful_run(admin_panel: Panel) -> None:
    """'Run now' runs the job in the background and records the result."""
    assert (await admin_panel.post("/admin/jobs/maintenance/run")).status == 303
    for _ in range(100):
        async with admin_panel.app[db_key].read() as conn:
            runs = await job_store.list_runs(conn, "maintenance")
        if runs and runs[0].status != "running":
            break
        await asyncio.sleep(0.02)
    assert runs[0].status == "ok" and runs[0].trigger == "manual"
    _, html = await admin_panel.get("/admin/jobs")
    assert "ok: removed 0 expired sessions" in html


async def test_pause_survives_a_restart(settings, announcements) -> None:
    """A paused job is still paused, with no next run, after the service restarts."""
    enabled = settings.model_copy(update={"jobs_enabled": True})
    app = create_app(enabled, announce=announcements.append)
    async with TestClient(TestServer(app)) as client:
        panel = Panel(client)
        await add_user(app, "owner", "admin")
        await panel.login("owner")
        async with app[db_key].read() as conn:
            assert (await job_store.get_state(conn, "maintenance")).next_run_at is not None  # type: ignore[union-attr]
        assert (await panel.post("/admin/jobs/maintenance/pause")).status == 303
    app = create_app(enabled, announce=announcements.append)
    async with TestClient(TestServer(app)) as client:
        async with app[db_key].read() as conn:
            state = await job_store.get_state(conn, "maintenance")
        assert state is not None and state.paused and state.next_run_at is None
        panel = Panel(client)
        await panel.login("owner")
        assert (await panel.post("/admin/jobs/maintenance/resume")).status == 303
        async with app[db_key].read() as conn:
            state = await job_store.get_state(conn, "maintenance")
        assert state is not None and not state.paused and state.next_run_at is not None


async def test_unknown_job_is_404(admin_panel: Panel) -> None:
    """Actions on a job that does not exist say so."""
    assert (await admin_panel.post("/admin/jobs/nope/run")).status == 404


async def _finished_runs(app: web.Application, name: str) -> list[JobRun]:
    for _ in range(200):
        async with app[db_key].read() as conn:
            runs = await job_store.list_runs(conn, name)
        if runs and runs[0].status != "running":
            return runs
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} did not finish")


async def test_a_token_echoed_in_encoded_form_reaches_neither_job_runs_nor_the_status(
    aiohttp_server, settings, announcements
) -> None:
    """The Stats API's error page echoes our URL (token percent-encoded): masked everywhere."""
    token = "Ab+cd/ef=gh&ij-0123456789"
    fake_server = await aiohttp_server(make_stats_app(StatsFake(echo_url=True)))
    configured = settings.model_copy(
        update={"broadcaster": "my_room", "stats_token": SecretStr(token),
                "stats_url": str(fake_server.make_url(STATS_PATH))}
    )  # fmt: skip
    app = create_app(configured, announce=announcements.append)
    async with TestClient(TestServer(app)) as client:
        panel = Panel(client)
        await add_user(app, "owner", "admin")
        await panel.login("owner")
        assert (await panel.post("/admin/jobs/stats/run")).status == 303
        (run,) = await _finished_runs(app, "stats")
        response = await client.get("/api/v1/status")
        status = await response.text()
        _, page = await panel.get("/admin/jobs")
    assert run.status == "error" and run.error is not None and "***" in run.error
    (stats,) = [job for job in json.loads(status)["jobs"] if job["name"] == "stats"]
    assert stats["last_status"] == "error" and "***" in stats["last_error"]
    for text in (run.error, status, page):
        for shown in (token, quote(token, safe=""), quote_plus(token), "Ab%2Bcd", "Ab+cd"):
            assert shown not in text


async def test_a_partial_run_is_shown_as_a_warning_on_jobs_and_sources(admin_panel: Panel) -> None:
    """'partial: 2 of 200 failed' appears in the warning style, not as ok and not as an error."""
    async with admin_panel.app[db_key].transaction() as conn:
        run_id = await job_store.start_run(conn, "images", trigger="manual")
        await job_store.finish_run(
            conn, run_id, "images", status="partial", summary="2 of 200 failed; 200 thumbnails",
            error="partial: 2 of 200 failed; first: images: HTTP 404",
        )  # fmt: skip
    _, html = await admin_panel.get("/admin/jobs")
    soup = BeautifulSoup(html, "html.parser")
    cell = soup.select_one("tr[data-job=images] td.error-cell")
    assert cell is not None and "partial" in cell["class"]
    assert cell.text.startswith("partial: 2 of 200 failed; first: images: HTTP 404")
    (run,) = soup.select("table[data-testid=job-runs] tr.run-partial")
    assert "partial: 2 of 200 failed; 200 thumbnails" in run.text and "HTTP 404" in run.text
    _, html = await admin_panel.get("/admin/sources")
    source = BeautifulSoup(html, "html.parser").select_one("tr[data-source=affiliate] td.error-cell")
    assert source is not None and "partial" in source["class"] and "2 of 200 failed" in source.text
