"""Fake Chaturbate Affiliate feed: GET /api/public/affiliates/onlinerooms/.

Serves `{"count", "results"}` pages by offset/limit with repeatable gender/tag filters, a
generated feed of any size (benchmarks reuse `generate_rooms`), and paging drift: after each
page it can drop rooms from the front and push new ones in, as the live feed does.
"""

from __future__ import annotations

import random
from typing import Any

from aiohttp import web

from . import FakeUpstream, build_app, json_response, load_fixture

PATH = "/api/public/affiliates/onlinerooms/"

_LANGUAGES = ["English", "Spanish", "Portuguese", "German", "French", "Russian", "Italian", "Romanian"]
_TAGS = ["fit", "muscle", "bigboobs", "asian", "latina", "new", "lovense", "feet", "smoke", "teen", "squirt"]
_PLACES = [
    ("Lisbon, Portugal", "PT"),
    ("Bogota, Colombia", "CO"),
    ("Bucharest, Romania", "RO"),
    ("Somewhere", ""),
    ("Texas, United States", "US"),
    ("Manila, Philippines", "PH"),
]
_FRAME = 'height=528 width=850 style="border: none;"'
_SHOWS = ["public"] * 8 + ["private", "group", "away"]


def make_room(username: str, rng: random.Random) -> dict[str, Any]:
    """One realistic room record, quirks included (comma-string languages, hidden birthdays)."""
    hidden_age = rng.random() < 0.3
    year = rng.randint(1975, 2005)
    location, country = rng.choice(_PLACES)
    tags = rng.sample(_TAGS, rng.randint(0, 5))
    langs = ", ".join(rng.sample(_LANGUAGES, rng.randint(1, 3)))
    link = f"https://chaturbate.com/in/?tour=LQps&campaign=AbCdE&track=default&room={username}"
    room: dict[str, Any] = {
        "username": username,
        "display_name": username.replace("_", " ").title(),
        "gender": rng.choice("ffffmmtc"),
        "age": None if hidden_age else 2026 - year,
        "birthday": "" if hidden_age else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "location": location,
        "country": country,
        "spoken_languages": langs,
        "current_show": rng.choice(_SHOWS),
        "room_subject": " ".join(f"#{t}" for t in tags) + f" [{rng.randint(1, 999)} tokens left]",
        "tags": tags,
        "is_new": rng.random() < 0.05,
        "is_hd": rng.random() < 0.7,
        "num_users": rng.randint(0, 3000),
        "num_followers": rng.randint(0, 500_000),
        "seconds_online": rng.randint(0, 36_000),
        "image_url": f"https://thumb.example-cdn.com/ri/{username}.jpg",
        "image_url_360x270": f"https://thumb.example-cdn.com/riw/{username}.jpg",
        "chat_room_url": link,
        "chat_room_url_revshare": link.replace("LQps", "3Mc9"),
        "iframe_embed": f'<iframe src="{link}&disable_sound=1" {_FRAME}></iframe>',
        "iframe_embed_revshare": f'<iframe src="{link}&revshare=1" {_FRAME}></iframe>',
        "slug": username,
    }
    if rng.random() < 0.1:
        # Older feeds carried these; clients must ignore unknown keys.
        room["recorded"] = "false"
        room["block_from_countries"] = "US,CA"
    return room


def generate_rooms(n: int, *, seed: int = 0, prefix: str = "room") -> list[dict[str, Any]]:
    """`n` deterministic rooms named `<prefix>_00000`…, sorted as the feed sorts (viewers desc)."""
    rng = random.Random(seed)
    rooms = [make_room(f"{prefix}_{i:05d}", rng) for i in range(n)]
    rooms.sort(key=lambda r: r["num_users"], reverse=True)
    return rooms


class AffiliateFake(FakeUpstream):
    """The feed's state. `rooms` is served in order; drift is applied after every non-empty page."""

    def __init__(
        self,
        rooms: list[dict[str, Any]] | None = None,
        *,
        drift_insert: int = 0,
        drift_remove: int = 0,
        require_wm: str | None = None,
    ) -> None:
        super().__init__()
        # A copy: drift edits the list, and callers often reuse theirs to compare against.
        self.rooms = (
            list(rooms) if rooms is not None else load_fixture("affiliate", "onlinerooms.json")["results"]
        )
        self.drift_insert = drift_insert  # new rooms pushed at the front: later rooms repeat on the next page
        self.drift_remove = drift_remove  # rooms dropped from the front: later rooms get skipped
        self.require_wm = require_wm
        self.served = 0  # room records sent over all pages
        self._drift_serial = 0
        self._drift_rng = random.Random(99)

    def _drift(self) -> None:
        del self.rooms[: self.drift_remove]
        fresh = [
            make_room(f"drift_{self._drift_serial + i:05d}", self._drift_rng)
            for i in range(self.drift_insert)
        ]
        self._drift_serial += self.drift_insert
        self.rooms[:0] = fresh

    async def onlinerooms(self, request: web.Request) -> web.Response:
        query = request.query
        wm = query.get("wm")
        if not wm or "client_ip" not in query or (self.require_wm and wm != self.require_wm):
            return json_response({"detail": "wm and client_ip are required"}, status=400)
        try:
            limit = int(query.get("limit", "100"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            return json_response({"detail": "bad limit/offset"}, status=400)
        if not 1 <= limit <= 500 or offset < 0:
            return json_response({"detail": "limit must be 1..500"}, status=400)
        rooms = self._filtered(query.getall("gender", []), query.getall("tag", []))
        page = rooms[offset : offset + limit]
        body = {"count": len(rooms), "results": page}
        self.served += len(page)
        if page:
            self._drift()
        return json_response(body)

    def _filtered(self, genders: list[str], tags: list[str]) -> list[dict[str, Any]]:
        rooms = self.rooms
        if genders:
            rooms = [r for r in rooms if r.get("gender") in genders]
        if tags:
            rooms = [r for r in rooms if set(tags) & set(r.get("tags", []))]
        return rooms


def make_app(fake: AffiliateFake | None = None) -> web.Application:
    """The fake feed app; keep `fake` (or read `app[FAKE]`) for requests and faults."""
    fake = fake if fake is not None else AffiliateFake()
    return build_app(fake, [web.get(PATH, fake.onlinerooms)])
