"""Adding an upstream touches only its spec, its client and its job.

A sixth upstream, the "Tally API", is declared entirely in this file (its fake server is
tests/fakes/tally.py) and registered the way the real ones are: its spec among the app's sources,
its job among the app's jobs. The Settings page, Admin › Sources (configured, connection test,
row counts) and the job list then show it without a change anywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient
from bs4 import BeautifulSoup, Tag
from pytest_aiohttp import AiohttpServer

from service.app import create_app
from service.jobs.base import JobContext, JobSpec
from service.jobs.registry import ALL_JOBS
from service.settings import Settings
from service.sources.http import ONCE, RetryPolicy, request_json
from service.sources.registry import SOURCES
from service.sources.spec import FieldKind, SettingField, SourceConfig, SourceSpec
from service.web.keys import config_key, db_key, runner_key
from tests.fakes.tally import DEFAULT_TOKEN, PATH, TallyFake, make_app
from tests.support.panel import Panel, add_user

# --- its client ----------------------------------------------------------------------------------


class TallyClient:
    def __init__(self, http: httpx.AsyncClient, url: str, token: str, *, retry: RetryPolicy) -> None:
        self._http, self._url, self._token, self._retry = http, url, token, retry

    async def readings(self) -> list[int]:
        body = await request_json(
            self._http, "GET", self._url, source="tally", retry=self._retry,
            headers={"Authorization": f"Bearer {self._token}"}, secrets=(self._token,),
        )  # fmt: skip
        return [int(item["value"]) for item in body["readings"]]


# --- its spec ------------------------------------------------------------------------------------


def _missing(config: SourceConfig) -> str | None:
    return None if config.tally_token else "no Tally API token"


async def _test_connection(http: httpx.AsyncClient, config: SourceConfig) -> str:
    readings = await TallyClient(http, config.tally_url, config.tally_token, retry=ONCE).readings()
    return f"{len(readings)} readings available"


TALLY = SourceSpec(
    key="tally",
    label="Tally API",
    fields=(
        SettingField(
            "tally_url", "Tally API URL", FieldKind.URL, default="https://tally.invalid/v1/readings"
        ),
        SettingField("tally_token", "Tally API token", FieldKind.SECRET),
    ),
    missing_configuration=_missing,
    test_connection=_test_connection,
    tables=("tally_readings",),
)

# --- its job -------------------------------------------------------------------------------------


async def _run(context: JobContext) -> str:
    config = context.config
    client = TallyClient(context.http, config.tally_url, config.tally_token, retry=ONCE)
    readings = await client.readings()
    async with context.db.transaction() as conn:
        for value in readings:
            await conn.execute("INSERT INTO tally_readings (value) VALUES (:value)", {"value": value})
    return f"{len(readings)} readings stored"


TALLY_JOB = JobSpec(
    name="tally",
    title="Tally readings",
    description="Stores every reading the Tally API offers.",
    default_interval=timedelta(minutes=30),
    run=_run,
    upstream=TALLY,
)

# --- the test ------------------------------------------------------------------------------------


@pytest.fixture
async def tally(aiohttp_server: AiohttpServer) -> tuple[TallyFake, str]:
    fake = TallyFake()
    server = await aiohttp_server(make_app(fake))
    return fake, str(server.make_url(PATH))


@pytest.fixture
async def tally_panel(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    tally: tuple[TallyFake, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Panel:
    # Its URL comes from the environment, as MHC_<FIELD> does for every field of every spec.
    monkeypatch.setenv("MHC_TALLY_URL", tally[1])
    settings = Settings(data_dir=tmp_path / "data", jobs_enabled=False, password_time_cost=1,
                        password_memory_kib=8)  # fmt: skip
    app = create_app(
        settings, announce=lambda _: None, sources=(*SOURCES, TALLY), jobs=(*ALL_JOBS, TALLY_JOB)
    )
    panel = Panel(await aiohttp_client(app))
    # The table it owns; a shipped upstream adds it with a migration and a store module.
    async with app[db_key].transaction() as conn:
        await conn.execute("CREATE TABLE tally_readings (value INTEGER NOT NULL)")
    await add_user(app, "owner", "admin")
    await panel.login("owner")
    return panel


def _fieldset(html: str, legend: str) -> Tag:
    soup = BeautifulSoup(html, "html.parser")
    (found,) = [fs for fs in soup.select("form.settings fieldset") if fs.legend and fs.legend.text == legend]
    return found


def _row(html: str, selector: str) -> Tag:
    row = BeautifulSoup(html, "html.parser").select_one(selector)
    assert row is not None, selector
    return row


async def test_settings_page_offers_its_fields_and_its_job_interval(
    tally_panel: Panel, tally: tuple[TallyFake, str]
) -> None:
    """Its group lists its URL (from the environment), its write-only token and its job's interval."""
    status, html = await tally_panel.get("/admin/settings")
    assert status == 200
    group = _fieldset(html, "Tally API")
    url = group.select_one('[data-key="tally_url"]')
    assert url is not None and url.select_one("input")["value"] == tally[1]  # type: ignore[index]
    assert "from the environment" in url.text
    token = group.select_one('[data-key="tally_token"]')
    assert token is not None and token.select_one("input")["type"] == "password"  # type: ignore[index]
    assert "not set" in token.text
    assert group.select_one('input[name="interval__tally"]') is not None

    response = await tally_panel.post("/admin/settings", {"tally_token": DEFAULT_TOKEN})
    assert response.status == 303
    assert tally_panel.app[config_key].current.tally_token == DEFAULT_TOKEN
    _, html = await tally_panel.get("/admin/settings")
    assert DEFAULT_TOKEN not in html
    assert '<span class="state set">set</span>' in str(_fieldset(html, "Tally API"))


async def test_sources_page_and_job_list_show_it_until_it_runs(
    tally_panel: Panel, tally: tuple[TallyFake, str]
) -> None:
    """Not configured without a token; a wrong token fails masked; the right one passes; rows count."""
    _, html = await tally_panel.get("/admin/sources")
    row = _row(html, 'tr[data-source="tally"]')
    assert row.select_one(".configured").text == "not configured: no Tally API token"  # type: ignore[union-attr]
    assert row.select_one(".rows").text == "tally_readings 0"  # type: ignore[union-attr]
    assert "Tally readings" in row.text
    _, jobs = await tally_panel.get("/admin/jobs")
    job = _row(jobs, 'tr[data-job="tally"]')
    assert "Tally API" in job.text and "not configured: no Tally API token" in job.text

    await tally_panel.post("/admin/settings", {"tally_token": "wrong-token-31337"})
    await tally_panel.get("/admin/sources")
    assert (await tally_panel.post("/admin/sources/tally/test")).status == 303
    _, html = await tally_panel.get("/admin/sources")
    assert "Tally API: failed" in html
    assert "wrong-token-31337" not in html  # the fake echoed it; the one error path masked it

    await tally_panel.post("/admin/settings", {"tally_token": DEFAULT_TOKEN})
    await tally_panel.get("/admin/sources")
    await tally_panel.post("/admin/sources/tally/test")
    _, html = await tally_panel.get("/admin/sources")
    assert "Tally API: OK — 3 readings available" in html
    assert _row(html, 'tr[data-source="tally"]').select_one(".configured").text == "yes"  # type: ignore[union-attr]

    outcome = await tally_panel.app[runner_key].run("tally", trigger="manual")
    assert (outcome.status, outcome.message) == ("ok", "3 readings stored")
    _, html = await tally_panel.get("/admin/sources")
    assert _row(html, 'tr[data-source="tally"]').select_one(".rows").text == "tally_readings 3"  # type: ignore[union-attr]
    _, jobs = await tally_panel.get("/admin/jobs")
    assert "not configured" not in _row(jobs, 'tr[data-job="tally"]').text
    assert [r.headers.get("Authorization") for r in tally[0].requests][-1] == f"Bearer {DEFAULT_TOKEN}"
