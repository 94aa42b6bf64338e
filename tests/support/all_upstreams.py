"""Every fake upstream at once, each served from its own thread on loopback, for browser tests that
run a real `mhc serve` the way a user sets it up: the Affiliate feed (its thumbnails on a loopback
image host too, so nothing leaves the machine), Stats, CBHours, Statbate and the Events API."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.fakes import affiliate, cbhours, load_fixture, statbate, stats, thumbnails
from tests.fakes import events as events_fake
from tests.fakes.events import EventsScript
from tests.support.threaded_app import ThreadedApp


@dataclass
class Upstreams:
    """What a test needs of them: the MHC_*_URL settings pointing at each, and the events script."""

    urls: dict[str, str]
    events: EventsScript


def solid_png(rgb: tuple[int, int, int], width: int = 96, height: int = 72) -> bytes:
    """A one-colour PNG: a thumbnail that shows as a picture on the pages."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@contextmanager
def all_upstreams(broadcaster: str, wm: str) -> Iterator[Upstreams]:
    """The five upstreams for `broadcaster` (the Affiliate feed wants campaign `wm`), started and
    stopped together. Their tokens are the fakes' DEFAULT_TOKENs and `events.token`."""
    thumbs = ThreadedApp(thumbnails.make_app(pictures := thumbnails.ThumbnailFake()))
    thumbs_base = thumbs.start()
    rooms = load_fixture("affiliate", "onlinerooms.json")["results"]
    colours = [(0x6A, 0x4C, 0x93), (0x1E, 0x7D, 0x32), (0xB3, 0x26, 0x1E), (0x1F, 0x5F, 0x99)]
    for room, colour in zip(rooms, itertools.cycle(colours), strict=False):
        name = f"{room['username']}.png"
        pictures.images[name] = (solid_png(colour), "image/png")
        room["image_url"] = room["image_url_360x270"] = f"{thumbs_base}/ri/{name}"
    script = EventsScript(username=broadcaster, hold_empty=5.0)
    snapshot = load_fixture("stats", "statsapi.json") | {"username": broadcaster}
    apps = {
        "affiliate": ThreadedApp(affiliate.make_app(affiliate.AffiliateFake(rooms, require_wm=wm))),
        "stats": ThreadedApp(stats.make_app(stats.StatsFake(snapshot=snapshot))),
        "cbhours": ThreadedApp(cbhours.make_app()),
        "statbate": ThreadedApp(statbate.make_app()),
        "events": ThreadedApp(events_fake.make_app(script)),
    }
    bases = {name: app.start() for name, app in apps.items()}
    urls = {
        "MHC_AFFILIATE_URL": bases["affiliate"] + affiliate.PATH,
        "MHC_STATS_URL": bases["stats"] + stats.PATH,
        "MHC_CBHOURS_URL": bases["cbhours"] + cbhours.PATH,
        "MHC_STATBATE_URL": bases["statbate"] + "/api",
        "MHC_EVENTS_URL": bases["events"] + "/events/",
    }
    try:
        yield Upstreams(urls, script)
    finally:
        for app in [*apps.values(), thumbs]:
            app.stop()
