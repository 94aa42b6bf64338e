"""A real `mhc serve` process fed by the fake Events API served from a thread, for browser tests that
watch a broadcast arrive the way it does for a user: an admin account, the stream on, and every other
upstream pointed at a closed loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fakes.events import EventsScript, make_app
from tests.support.service_process import ServiceProcess
from tests.support.threaded_app import ThreadedApp

PASSWORD = "correct horse battery"
ROOM = "my_room"
CLOSED = "http://127.0.0.1:9/"  # sources that must not reach out anywhere


@contextmanager
def fake_events(hold_empty: float = 0.0) -> Iterator[tuple[EventsScript, str]]:
    """The fake Events API for ROOM: (its script, the URL to configure as MHC_EVENTS_URL). With
    `hold_empty`, a caught-up poll is held open until events arrive, as the real long poll is."""
    script = EventsScript(username=ROOM, hold_empty=hold_empty)
    fake = ThreadedApp(make_app(script))
    base = fake.start()
    try:
        yield script, base + "/events/"
    finally:
        fake.stop()


@contextmanager
def room_service(
    data_dir: Path,
    script: EventsScript,
    events_url: str,
    *,
    before_start: Callable[[ServiceProcess], object] | None = None,
    **env: str,
) -> Iterator[str]:
    """`mhc serve` on the fake, with an admin "owner" (PASSWORD) and whatever `before_start` does with
    the `mhc` command first (an import, say); yields its base URL."""
    process = ServiceProcess(data_dir, env={
        "MHC_JOBS_ENABLED": "true", "MHC_BROADCASTER": ROOM, "MHC_EVENTS_URL": events_url,
        "MHC_EVENTS_TOKEN": script.token, "MHC_CBHOURS_URL": CLOSED, "MHC_STATBATE_URL": CLOSED, **env,
    })  # fmt: skip
    process.mhc("user", "add", "owner", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    if before_start is not None:
        before_start(process)
    process.start()
    try:
        yield process.url
    finally:
        process.stop()
