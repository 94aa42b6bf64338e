"""The follow rules applied to list snapshots, profile scrapes and Events unfollows."""

from __future__ import annotations

import sqlite3
from typing import Any

from aiohttp import web

from service.store import follows, persons, removals
from service.web.keys import db_key, settings_key
from tests.support.extension_api import Ext, snapshot

NAMES = [f"fan_{i:03d}" for i in range(100)]


def rows(app: web.Application, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(app[settings_key].database_path) as conn:
        return conn.execute(sql, params).fetchall()


def periods(app: web.Application, name: str) -> list[tuple[Any, ...]]:
    return rows(
        app,
        "SELECT f.direction, f.start_source, f.start_ref, f.ended_at IS NOT NULL, f.end_source, f.end_ref "
        "FROM follow_periods f JOIN persons p ON p.id = f.person_id WHERE p.username = :n ORDER BY f.id",
        n=name,
    )


def removal_states(app: web.Application, name: str) -> list[str]:
    return [r[0] for r in rows(app, "SELECT r.state FROM follow_removals r JOIN persons p ON p.id = "
                                    "r.person_id WHERE p.username = :n ORDER BY r.id", n=name)]  # fmt: skip


async def post(ext: Ext, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    extra = {"Idempotency-Key": key} if key else {}
    status, answer = await ext.post("lists", body, **extra)
    assert status == 200, answer
    return answer


def app_of(ext: Ext) -> web.Application:
    assert ext.client.app is not None
    return ext.client.app


async def test_additions_from_a_partial_snapshot(ext: Ext) -> None:
    """A partial snapshot still adds the names it read, naming itself."""
    answer = await post(ext, snapshot("followers", NAMES[:10], complete=False, abort_reason="challenge"))
    assert (answer["complete"], answer["added"], answer["reason"]) == (False, 10, "challenge")
    ref = f"snapshot:{answer['snapshot_id']}"
    assert periods(app_of(ext), "fan_000") == [("follower", "list_snapshot", ref, 0, None, None)]


async def test_a_retried_snapshot_changes_nothing(ext: Ext) -> None:
    """The same idempotency key twice: one snapshot, one set of periods."""
    first = await post(ext, snapshot("followers", NAMES), key="run-1")
    second = await post(ext, snapshot("followers", NAMES), key="run-1")
    assert second["duplicate"] is True and second["snapshot_id"] == first["snapshot_id"]
    assert rows(app_of(ext), "SELECT count(*) FROM list_snapshots") == [(1,)]
    assert rows(app_of(ext), "SELECT count(*) FROM follow_periods") == [(100,)]


async def test_missing_name_is_suspected_then_confirmed(ext: Ext) -> None:
    """Two complete snapshots without a name: suspected, then an unfollow naming the second."""
    app = app_of(ext)
    await post(ext, snapshot("following", NAMES))
    first = await post(ext, snapshot("following", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    assert (first["complete"], first["suspected"], first["confirmed"]) == (True, 1, 0)
    assert removal_states(app, "fan_000") == ["suspected"]
    assert periods(app, "fan_000")[0][3] == 0
    second = await post(ext, snapshot("following", NAMES[1:], started_at="2026-01-07T10:00:00Z"))
    assert (second["suspected"], second["confirmed"]) == (0, 1)
    assert periods(app, "fan_000")[0][3:] == (1, "list_snapshot", f"snapshot:{second['snapshot_id']}")
    # The unfollow is dated when the name first went missing.
    assert rows(app, "SELECT unfollowed_at FROM v_person_follow_state WHERE username = 'fan_000'") == [
        ("2026-01-06T10:00:00.000Z",)
    ]


async def test_a_name_back_dismisses_the_suspicion(ext: Ext) -> None:
    """Missing once, present again: nothing ends."""
    app = app_of(ext)
    await post(ext, snapshot("followers", NAMES))
    await post(ext, snapshot("followers", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    await post(ext, snapshot("followers", NAMES, started_at="2026-01-07T10:00:00Z"))
    assert removal_states(app, "fan_000") == ["dismissed"]
    assert periods(app, "fan_000")[0][3] == 0


async def test_the_service_rechecks_completeness(ext: Ext) -> None:
    """Claimed complete but a page is missing or the total does not add up: no removal."""
    app = app_of(ext)
    await post(ext, snapshot("following", NAMES))
    gap = await post(ext, snapshot("following", NAMES, drop_page=1, expected_total=100))
    assert (gap["complete"], gap["reason"]) == (False, "missing_pages")
    short = await post(ext, snapshot("following", NAMES[1:], expected_total=100))
    assert (short["complete"], short["reason"]) == (False, "total_mismatch")
    assert rows(app, "SELECT count(*) FROM follow_removals") == [(0,)]


async def test_a_big_drop_is_held_then_released_or_reverted(ext: Ext) -> None:
    """More than 5% missing at once waits for review; released names become suspected."""
    app = app_of(ext)
    await post(ext, snapshot("followers", NAMES))
    held = await post(ext, snapshot("followers", NAMES[10:], started_at="2026-01-06T10:00:00Z"))
    assert (held["status"], held["held"], held["suspected"]) == ("held", 10, 0)
    async with app[db_key].transaction() as conn:
        pending = await removals.list_removals(conn, "follower", "held")
        assert len(pending) == 10
        assert await removals.release_held(conn, pending[0].id)
    assert removal_states(app, pending[0].username) == ["suspected"]
    assert removal_states(app, pending[1].username) == ["held"]
    async with app[db_key].transaction() as conn:
        assert await removals.revert_snapshot(conn, held["snapshot_id"], by="owner")
    assert removal_states(app, pending[0].username) == ["dismissed"]
    assert removal_states(app, pending[1].username) == ["dismissed"]
    assert rows(app, "SELECT count(*) FROM follow_periods WHERE ended_at IS NULL") == [(100,)]


async def test_reverting_a_snapshot_undoes_its_periods(ext: Ext) -> None:
    """A bad snapshot's additions disappear and the unfollows it confirmed reopen."""
    app = app_of(ext)
    await post(ext, snapshot("followers", NAMES))
    await post(ext, snapshot("followers", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    bad = await post(ext, snapshot("followers", [*NAMES[1:], "intruder"], started_at="2026-01-07T10:00:00Z"))
    assert bad["confirmed"] == 1 and bad["added"] == 1
    async with app[db_key].transaction() as conn:
        assert await removals.revert_snapshot(conn, bad["snapshot_id"], by="owner")
        assert not await removals.revert_snapshot(conn, bad["snapshot_id"], by="owner")
    assert periods(app, "intruder") == []
    assert periods(app, "fan_000")[0][3] == 0
    assert removal_states(app, "fan_000") == ["suspected"]


async def test_an_events_unfollow_settles_a_suspicion(ext: Ext) -> None:
    """The Events consumer closing the period counts as the confirmation."""
    app = app_of(ext)
    await post(ext, snapshot("followers", NAMES))
    await post(ext, snapshot("followers", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    async with app[db_key].transaction() as conn:
        person = await persons.get_person_id(conn, "fan_000")
        assert person is not None
        await follows.close_period(conn, person, "follower", at="2026-01-06T12:00:00.000Z", source="events",
                                   ref="event:1")  # fmt: skip
        assert await removals.list_removals(conn, "follower", "suspected") == []
    await post(ext, snapshot("followers", NAMES[2:], started_at="2026-01-07T10:00:00Z"))
    settled = "SELECT r.state, r.resolved_source FROM follow_removals r JOIN persons p ON p.id = r.person_id "
    assert rows(app, settled + "WHERE p.username = 'fan_000'") == [("confirmed", "events")]


def profile(name: str, status: str, url: str | None = None) -> dict[str, Any]:
    return {
        "username": name,
        "url": url or f"https://chaturbate.com/{name}/",
        "scraped_at": "2026-01-08T09:00:00Z",
        "follow_status": status,
        "online": False,
        "bio": {"age": "23"},
        "social_links": [],
        "wishlist": [],
        "photosets": [],
        "header_following": {"online": 1, "total": 99},
    }


async def test_a_profile_scrape_confirms_but_never_starts_an_unfollow(ext: Ext) -> None:
    """not_following confirms a suspicion; alone, or on a mismatched page, it does nothing."""
    app = app_of(ext)
    await post(ext, snapshot("following", NAMES))
    await post(ext, snapshot("following", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    status, answer = await ext.post("profiles", [
        profile("fan_000", "not_following", url="https://chaturbate.com/someone_else/"),
        profile("fan_005", "not_following"),
    ])  # fmt: skip
    assert status == 200, answer
    assert [p["effect"] for p in answer["profiles"]] == ["none", "none"]
    assert answer["profiles"][0]["identity_ok"] is False
    assert periods(app, "fan_000")[0][3] == 0 and periods(app, "fan_005")[0][3] == 0
    status, answer = await ext.post(
        "profiles", profile("fan_000", "not_following") | {"scraped_at": "2026-01-08T09:01:00Z"}
    )
    assert answer["profiles"][0]["effect"] == "confirmed_unfollow"
    assert periods(app, "fan_000")[0][3:5] == (1, "profile_scrape")
    status, again = await ext.post(
        "profiles", profile("fan_000", "not_following") | {"scraped_at": "2026-01-08T09:01:00Z"}
    )
    assert again["profiles"][0]["duplicate"] is True
    assert rows(app, "SELECT count(*) FROM profile_scrapes") == [(3,)]


async def test_a_scraped_bio_reaches_the_current_state(ext: Ext) -> None:
    """The Directory and Profile see scraped values at once, marked as coming from the scrape."""
    app = app_of(ext)
    status, answer = await ext.post(
        "profiles", profile("fresh_face", "unknown") | {"bio": {"age": "23", "followers": "1,204"}}
    )
    assert status == 200, answer
    assert rows(app, "SELECT age, age_source, followers, followers_source FROM person_state "
                     "WHERE username = 'fresh_face'") == [(23, "scrape", 1204, "scrape")]  # fmt: skip


async def test_a_name_on_two_pages_counts_once(ext: Ext) -> None:
    """A room read on both following lists (it went offline mid-run) is one name, one period."""
    app = app_of(ext)
    body = snapshot("following", NAMES[:20], expected_total=20)
    body["pages"][0]["usernames"] = ["FAN_005", "fan_019", "newbie"]  # the online page; case differs
    body["expected_total"] = 21
    answer = await post(ext, body)
    assert (answer["complete"], answer["added"]) == (True, 21)
    assert rows(app, "SELECT names FROM list_snapshots WHERE id = :id", id=answer["snapshot_id"]) == [(21,)]
    assert rows(app, "SELECT count(*) FROM follow_periods WHERE direction = 'following'") == [(21,)]
    assert rows(app, "SELECT count(*) FROM persons WHERE username IN ('fan_005', 'newbie')") == [(2,)]
