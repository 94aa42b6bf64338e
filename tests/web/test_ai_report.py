"""The optional AI report against a fake OpenAI-compatible server on 127.0.0.1: what is sent (exactly the
preview; names only when ticked; the key only in the header), what is stored, and every failure shown
as a sentence with nothing stored."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from bs4 import BeautifulSoup

from service.store import insights_form, saved_settings
from service.web.keys import config_key, db_key
from tests.fakes import Fault
from tests.fakes.openai_chat import DEFAULT_KEY, PATH, ChatFake, make_app
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel

FORM = "/room/insights-form"
NAMES = ("alice", "bob", "secret_sam", "carol")
ANSWERS = [("goals", "more_tokens"), ("schedule", "Evenings"), ("tip_item", "Flash"), ("tip_price", "50"),
           ("never_suggest", "Private shows.")]  # fmt: skip

Server = Callable[[web.Application], Awaitable[TestServer]]


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _configure(panel: Panel, **values: str) -> None:
    """As Admin › Settings saves them: stored, then the configuration reloaded."""
    async with panel.app[db_key].transaction() as conn:
        for key, value in values.items():
            await saved_settings.upsert(conn, key, value, by="test")
    await panel.app[config_key].reload(panel.app[db_key])


async def _seed_room(panel: Panel) -> None:
    """A broadcast two days ago: alice tips 300, bob 100, an anonymous 200; carol follows."""
    start = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    f = Feed(start)
    await ingest(panel.app[db_key], [
        f.event(0, "broadcastStart", ROOM), f.event(5, "tip", "alice", tokens=300),
        f.event(6, "follow", "carol"), f.event(30, "tip", "bob", tokens=100),
        f.event(40, "tip", "secret_sam", tokens=200, is_anon=True), f.event(120, "broadcastStop", ROOM),
    ])  # fmt: skip


@pytest.fixture
async def fake() -> ChatFake:
    return ChatFake()


@pytest.fixture
async def ai_panel(admin_panel: Panel, fake: ChatFake, aiohttp_server: Server) -> Panel:
    """Signed in as an admin, the room seeded, the form saved and the AI report pointed at the fake."""
    server = await aiohttp_server(make_app(fake))
    await _configure(admin_panel, ai_base_url=str(server.make_url("/v1")), ai_model="llama3.1:8b",
                     ai_api_key=DEFAULT_KEY, ai_timeout_seconds="5")  # fmt: skip
    await _seed_room(admin_panel)
    await admin_panel.get(FORM)
    assert (await admin_panel.post(FORM, ANSWERS)).status == 303
    return admin_panel


async def _preview(panel: Panel, *, names: bool = False) -> tuple[BeautifulSoup, dict[str, str]]:
    status, html = await panel.get("/room/insights-form/preview" + ("?include_names=1" if names else ""))
    assert status == 200
    page = _soup(html)
    form = page.select_one("[data-testid=generate-form]")
    assert form is not None
    fields = {str(i["name"]): str(i["value"]) for i in form.select("input") if i["name"] != "csrf_token"}
    return page, fields


async def _reports(panel: Panel) -> list[insights_form.ReportSummary]:
    async with panel.app[db_key].read() as conn:
        return await insights_form.list_reports(conn)


async def _stored_rows(panel: Panel) -> str:
    async with panel.app[db_key].read() as conn, conn.execute("SELECT * FROM ai_reports") as cursor:
        return json.dumps([list(row) for row in await cursor.fetchall()])


async def test_a_report_is_generated_and_stored_with_its_inputs(ai_panel: Panel, fake: ChatFake) -> None:
    """The preview's body is what the fake receives and what the report stores, with its numbers."""
    page, fields = await _preview(ai_panel)
    shown = json.loads(page.select_one("[data-testid=preview-body]").text)  # type: ignore[union-attr]
    assert "Authorization: Bearer ••••••" in page.text
    response = await ai_panel.post("/room/insights-form/reports", fields)
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/room/insights-form/reports/1"
    [request] = fake.requests
    assert request.path == PATH
    assert request.headers["Authorization"] == f"Bearer {DEFAULT_KEY}"
    sent = request.json()
    assert sent == shown
    assert sent["model"] == "llama3.1:8b"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    user = sent["messages"][1]["content"]
    assert '"tokens": 600' in user and '"followers_gained": 1' in user and "Private shows." in user
    async with ai_panel.app[db_key].read() as conn:
        report = await insights_form.get_report(conn, 1)
    assert report is not None
    assert report.request == sent
    assert report.statistics["tokens"] == 600 and report.statistics["broadcasts"] == 1
    assert (report.model, report.answered_model, report.content) == ("llama3.1:8b", "llama3.1:8b",
                                                                     "Go live on Fridays.")  # fmt: skip
    assert report.revision_id == 1 and report.created_by == "owner" and not report.include_names
    assert report.endpoint.endswith("/v1/chat/completions")

    status, html = await ai_panel.get("/room/insights-form/reports/1")
    assert status == 200
    assert _soup(html).select_one("[data-testid=report-content]").text == "Go live on Fridays."  # type: ignore[union-attr]
    status, html = await ai_panel.get(FORM)
    assert [a.text for a in _soup(html).select("[data-testid=reports] a[href$='/reports/1']")] == ["Report 1"]
    status, data = await ai_panel.get_json("/room/insights-form/reports/1.json")
    assert status == 200 and data["request"] == sent and data["content"] == "Go live on Fridays."


async def test_usernames_are_sent_only_when_ticked(ai_panel: Panel, fake: ChatFake) -> None:
    _, fields = await _preview(ai_panel)
    assert (await ai_panel.post("/room/insights-form/reports", fields)).status == 303
    page, fields = await _preview(ai_panel, names=True)
    assert "alice" in page.select_one("[data-testid=preview-body]").text  # type: ignore[union-attr]
    assert (await ai_panel.post("/room/insights-form/reports", fields)).status == 303
    plain, named = (r.body.decode() for r in fake.requests)
    assert not any(name in plain for name in NAMES)
    assert (
        json.loads(named)["messages"][1]["content"].count('"username"') == 2
    )  # alice and bob, named tippers
    assert "alice" in named and "bob" in named and "secret_sam" not in named  # anonymous stays anonymous
    assert [r.include_names for r in await _reports(ai_panel)] == [True, False]


async def test_the_key_never_reaches_a_page_a_stored_report_or_a_log(ai_panel: Panel, fake: ChatFake) -> None:
    """Not in the preview, the report, the JSON, the settings page or the stored rows; and not in the
    logs or the error page when the server echoes the header it got with its 401."""
    root = logging.getLogger()
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep(logging.DEBUG)
    root.addHandler(keep)
    try:
        pages = []
        page, fields = await _preview(ai_panel, names=True)
        pages.append(str(page))
        assert (await ai_panel.post("/room/insights-form/reports", fields)).status == 303
        for path in (FORM, "/room/insights-form/reports/1", "/admin/settings"):
            pages.append((await ai_panel.get(path))[1])
        pages.append(json.dumps((await ai_panel.get_json("/room/insights-form/reports/1.json"))[1]))
        fake.key = "another-key-the-server-wants"
        _, fields = await _preview(ai_panel)
        response = await ai_panel.post("/room/insights-form/reports", fields)
        assert response.status == 502
        pages.append(await response.text())
    finally:
        root.removeHandler(keep)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {DEFAULT_KEY}"  # it was sent, in the header
    assert all(DEFAULT_KEY not in text for text in pages)
    assert DEFAULT_KEY not in await _stored_rows(ai_panel)
    assert any("HTTP 401" in line for line in lines)
    assert all(DEFAULT_KEY not in line for line in lines)


@pytest.mark.parametrize(
    ("fault", "status", "sentence"),
    [
        (Fault(401, b'{"error": {"message": "bad key"}}'), 502,
         "The AI server refused the API key (HTTP 401). Check it in Admin › Settings › AI report."),
        (Fault.server_error(500), 502, "The AI server failed (HTTP 500). Try again later."),
        (Fault.slow(3), 504, "The AI server did not answer within 1 seconds."),
        (Fault.answer(200, {"id": "x", "object": "chat.completion", "choices": []}), 502,
         "The AI server's answer was not a chat completion (no choices[0].message.content)."),
        (Fault(200, b"<html>It works!</html>", {"Content-Type": "text/html"}), 502,
         "The AI server's answer was not a chat completion (no choices[0].message.content)."),
    ],
    ids=["401", "500", "timeout", "no-choices", "not-json"],
)  # fmt: skip
async def test_each_failure_is_a_sentence_and_stores_nothing(
    ai_panel: Panel, fake: ChatFake, fault: Fault, status: int, sentence: str
) -> None:
    await _configure(ai_panel, ai_timeout_seconds="1")
    fake.script(fault)
    _, fields = await _preview(ai_panel)
    response = await ai_panel.post("/room/insights-form/reports", fields)
    html = await response.text()
    assert response.status == status
    errors = _soup(html).select_one(".errors")
    assert errors is not None and sentence in errors.text and "No report was stored." in errors.text
    assert len(fake.requests) == 1  # one attempt: the person asking decides whether to try again
    assert await _reports(ai_panel) == []
    # The page offers the same preview again, ready to retry.
    assert _soup(html).select_one("[data-testid=generate-form]") is not None


async def test_an_unreachable_server_is_a_sentence(ai_panel: Panel, unused_tcp_port: int) -> None:
    await _configure(ai_panel, ai_base_url=f"http://127.0.0.1:{unused_tcp_port}/v1")
    _, fields = await _preview(ai_panel)
    response = await ai_panel.post("/room/insights-form/reports", fields)
    assert response.status == 502
    assert "could not be reached. Is it running?" in await response.text()
    assert await _reports(ai_panel) == []


async def test_what_was_previewed_is_what_is_sent_or_nothing(ai_panel: Panel, fake: ChatFake) -> None:
    """A new revision (or new events) after the preview: 409 with the new preview, nothing sent."""
    _, fields = await _preview(ai_panel)
    assert (await ai_panel.post(FORM, [*ANSWERS, ("improve", "Retention")])).status == 303
    await ai_panel.get(FORM)
    stale: dict[str, Any] = {**fields, "revision_id": "2"}
    response = await ai_panel.post("/room/insights-form/reports", stale)
    assert response.status == 409
    assert "changed since the preview" in await response.text()
    tampered = {**fields, "digest": "f" * 64}
    assert (await ai_panel.post("/room/insights-form/reports", tampered)).status == 409
    old = {**fields, "as_of": "2020-01-01T00:00:00.000Z"}
    response = await ai_panel.post("/room/insights-form/reports", old)
    assert response.status == 400 and "too old" in await response.text()
    assert fake.requests == []
    assert await _reports(ai_panel) == []


async def test_the_ai_report_settings_are_checked_and_the_key_is_write_only(admin_panel: Panel) -> None:
    """Admin › Settings › AI report: a bad model name or timeout refuses the save; a key is shown as "set"."""
    await admin_panel.get("/admin/settings")
    for bad in ({"ai_model": "bad model!"}, {"ai_timeout_seconds": "0"}, {"ai_base_url": "ollama"}):
        response = await admin_panel.post("/admin/settings", bad)
        assert response.status == 400, bad
    good = {"ai_base_url": "http://127.0.0.1:11434/v1", "ai_model": "llama3.1:8b", "ai_api_key": DEFAULT_KEY,
            "ai_timeout_seconds": "90"}  # fmt: skip
    assert (await admin_panel.post("/admin/settings", good)).status == 303
    current = admin_panel.app[config_key].current
    assert (current.ai_model, current.ai_timeout_seconds) == ("llama3.1:8b", "90")
    _, html = await admin_panel.get("/admin/settings")
    assert "AI report" in html and DEFAULT_KEY not in html
    _, html = await admin_panel.get(FORM)
    assert "llama3.1:8b" in html and "http://127.0.0.1:11434/v1/chat/completions" in html
    assert "not configured" not in html
