"""Issue 8 items 10 and 14: what the extension sends is typed strictly and bounded to plausible values.

A quoted number or boolean is a bug in the sender, not a value to guess at; an out-of-range date or
count used to reach SQLite or datetime arithmetic and end in a 500. Each is a 400 that says which
field, and nothing is stored.
"""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

import pytest
from aiohttp import web

from service.web.keys import settings_key
from tests.support.extension_api import Ext, snapshot

PROFILE: dict[str, Any] = {
    "username": "harbor_lights", "url": "https://chaturbate.com/harbor_lights/",
    "scraped_at": "2026-01-05T10:00:00Z", "follow_status": "following", "online": False,
    "bio": {"Location": "Somewhere"},
    "social_links": [
        {"platform": "twitter", "url": "https://x.example/h", "locked": True, "price_tokens": 25}
    ],
    "wishlist": [], "photosets": [{"id": "11", "title": "Beach", "locked": False, "is_video": False}],
    "header_following": {"online": 3, "total": 40},
}  # fmt: skip


def _count(app: web.Application, table: str) -> int:
    with sqlite3.connect(app[settings_key].database_path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - test tables


def _app(ext: Ext) -> web.Application:
    app = ext.client.app
    assert app is not None
    return app


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


BAD_SNAPSHOTS = [
    ("pages.1.page", "1"),
    ("complete", "true"),
    ("complete", 1),
    ("expected_total", "130"),
    ("expected_total", 10**30),
    ("expected_total", -1),
    ("started_at", "0001-01-01T00:00:00+14:00"),
    ("started_at", "9999-12-31T23:59:59-14:00"),
    ("started_at", "1999-12-31T23:59:59Z"),
    ("started_at", 1767607200),
    ("finished_at", "2026-01-05T09:00:00Z"),  # before it started
    ("pages.1.page", 10**20),
]


@pytest.mark.parametrize(("path", "value"), BAD_SNAPSHOTS)
async def test_bad_snapshot_fields_are_400_and_store_nothing(ext: Ext, path: str, value: Any) -> None:
    """Loose types and implausible values in a list snapshot: 400 naming the field, nothing stored."""
    body = _set(snapshot("following", ["room_1", "room_2"]), path, value)
    status, answer = await ext.post("lists", body)
    assert status == 400, answer
    field = path.rsplit(".", maxsplit=1)[-1]
    assert any(field in detail for detail in answer["details"]), answer
    assert _count(_app(ext), "list_snapshots") == 0 and _count(_app(ext), "persons") == 0


BAD_PROFILES = [
    ("online", "false"),
    ("scraped_at", "0001-01-01T00:00:00+14:00"),
    ("scraped_at", "2026-01-05T10:00:00"),  # no zone: ambiguous
    ("header_following.total", 10**20),
    ("header_following.online", "3"),
    ("social_links.0.locked", "true"),
    ("social_links.0.price_tokens", 10**20),
    ("social_links.0.price_tokens", "25"),
    ("photosets.0.is_video", 0),
    ("dossier_matches_page", "yes"),
]


@pytest.mark.parametrize(("path", "value"), BAD_PROFILES)
async def test_bad_profile_fields_are_400_and_store_nothing(ext: Ext, path: str, value: Any) -> None:
    """The same for a profile scrape."""
    status, answer = await ext.post("profiles", _set(PROFILE, path, value))
    assert status == 400, answer
    field = path.rsplit(".", maxsplit=1)[-1]
    assert any(field in detail for detail in answer["details"]), answer
    assert _count(_app(ext), "profile_scrapes") == 0


async def test_well_formed_payloads_are_still_accepted(ext: Ext) -> None:
    """The strict models accept exactly what the extension sends."""
    status, answer = await ext.post("lists", snapshot("following", ["room_1"]))
    assert status == 200, answer
    status, answer = await ext.post("profiles", PROFILE)
    assert status == 200, answer
    assert _count(_app(ext), "list_snapshots") == 1 and _count(_app(ext), "profile_scrapes") == 1


async def test_quoted_task_state_fields_are_refused(ext: Ext) -> None:
    """Task reports are strict too: a numeric reason is not a string."""
    status, _ = await ext.post("tasks/1", {"state": "failed", "reason": 5})
    assert status == 400
