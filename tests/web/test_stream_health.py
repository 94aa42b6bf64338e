"""A stream that stopped completing polls shows as "stalled" wherever it is shown; the header warns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from service.clock import to_db
from service.jobs.events_health import shown_state
from service.jobs.events_stream import LiveStatus
from service.store import stream_state
from service.store.room import StreamState
from service.web.keys import db_key
from tests.support.events import ROOM, Feed, ingest
from tests.support.panel import Panel

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STALL_AFTER = timedelta(seconds=60)


@pytest.fixture
def broadcaster() -> str:
    """The panel is set up for ROOM, as a configured panel is."""
    return ROOM


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def _last_poll(panel: Panel, minutes_ago: float) -> None:
    """The stream's stored row as a task that said "connected" and then went quiet leaves it."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    db = panel.app[db_key]
    await ingest(db, [Feed().event(0, "tip", "alice", tokens=5)], now=at)
    async with db.transaction() as conn:
        await stream_state.set_status(conn, state="connected", detail=None, until=None, at=to_db(at))


async def test_a_stream_without_a_completed_poll_shows_stalled_everywhere(admin_panel: Panel) -> None:
    """Ten minutes without a completed poll: Room, Events and Admin say "stalled"; every page warns."""
    await _last_poll(admin_panel, 10)
    for path in ("/room", "/events", "/admin/events"):
        _, html = await admin_panel.get(path)
        status = soup(html).select_one("[data-testid=stream-status]")
        assert status is not None, path
        assert "stalled" in status.get_text() and "connected" not in status.get_text(), path
    for path in ("/account", "/users/directory"):  # the Directory reads its header in its own trip
        _, html = await admin_panel.get(path)
        warning = soup(html).select_one("header [data-testid=stream-warning]")
        assert warning is not None and "stalled" in warning.get_text(), path
        assert warning.select_one("a")["href"] == "/admin/events"  # type: ignore[index]


async def test_a_stream_that_polled_just_now_is_connected_without_a_warning(admin_panel: Panel) -> None:
    """A poll completed seconds ago: "connected", and no header warning."""
    await _last_poll(admin_panel, 0.05)
    _, html = await admin_panel.get("/room")
    assert "connected" in soup(html).select_one("[data-testid=stream-status]").get_text()  # type: ignore[union-attr]
    assert soup(html).select_one("[data-testid=stream-warning]") is None


async def test_the_header_warning_is_not_shown_before_login(admin_panel: Panel) -> None:
    """Signed-out pages (the login form) say nothing about the stream."""
    await _last_poll(admin_panel, 10)
    await admin_panel.post("/logout", {})
    _, html = await admin_panel.get("/login")
    assert soup(html).select_one("[data-testid=stream-warning]") is None


def _stored(state: str, *, polled: datetime | None) -> StreamState:
    return StreamState(state, None, None, "1-0", polled, polled, polled or NOW - timedelta(hours=1))


def _live(state: str, *, polled: datetime | None, started: datetime, detail: str | None = None) -> LiveStatus:
    return LiveStatus(state, detail, None, started, polled, started)


def test_the_running_task_overrides_what_the_database_last_recorded() -> None:
    """While the database refuses writes it still says "connected"; the running task says why not."""
    stored = _stored("connected", polled=NOW - timedelta(seconds=5))
    live = _live("store_error", polled=NOW - timedelta(seconds=5), started=NOW - timedelta(hours=1),
                 detail="could not store a batch: database is locked")  # fmt: skip
    shown = shown_state(stored, live, now=NOW, stall_after=STALL_AFTER)
    assert shown is not None and shown.state == "store_error" and not shown.stalled
    assert shown.detail == "could not store a batch: database is locked" and shown.needs_attention


def test_stalled_counts_from_this_run_not_from_an_old_stored_poll() -> None:
    """Just started, the old row's poll is hours old: not stalled; with no poll for too long: stalled."""
    stored = _stored("connected", polled=NOW - timedelta(hours=3))
    fresh = _live("starting", polled=None, started=NOW - timedelta(seconds=10))
    shown = shown_state(stored, fresh, now=NOW, stall_after=STALL_AFTER)
    assert shown is not None and shown.state == "starting" and not shown.needs_attention
    hung = _live("connected", polled=NOW - timedelta(minutes=5), started=NOW - timedelta(hours=1))
    shown = shown_state(stored, hung, now=NOW, stall_after=STALL_AFTER)
    assert shown is not None and shown.state == "stalled" and shown.needs_attention


def test_backing_off_for_too_long_keeps_its_reason_and_warns() -> None:
    """Retrying 503s for ten minutes: still "backing_off" with its reason, but flagged for the header."""
    live = _live("backing_off", polled=NOW - timedelta(minutes=10), started=NOW - timedelta(hours=1),
                 detail="503 upstream down")  # fmt: skip
    shown = shown_state(None, live, now=NOW, stall_after=STALL_AFTER)
    assert shown is not None and shown.state == "backing_off" and shown.stalled and shown.needs_attention


def test_stopped_or_unconfigured_streams_are_never_stalled() -> None:
    """A stream waiting for new settings is not expected to poll."""
    for state in ("stopped", "not_configured"):
        shown = shown_state(
            _stored(state, polled=NOW - timedelta(days=1)), None, now=NOW, stall_after=STALL_AFTER
        )
        assert shown is not None and shown.state == state and not shown.stalled
