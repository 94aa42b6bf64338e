"""Desktop alerts through the extension API: after the client's cursor, never quiet ones, the kinds
someone wants on the desktop, each with the absolute panel URL it opens; the ack never goes back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from service.clock import utcnow
from service.store import alert_inbox
from service.web.keys import db_key
from tests.support.alerts import raise_one
from tests.support.extension_api import Ext
from tests.support.panel import add_user


async def _set_desktop(ext: Ext, user_id: int, off: list[str]) -> None:
    app = ext.client.app
    assert app is not None
    async with app[db_key].transaction() as conn:
        await alert_inbox.set_preferences(conn, user_id, {("desktop", kind): False for kind in off})


async def test_alerts_after_pairing_with_absolute_profile_urls(ext: Ext) -> None:
    app = ext.client.app
    assert app is not None
    await raise_one(app, title="before pairing", at=utcnow() - timedelta(minutes=5))
    whale = await raise_one(app, "fan_enters", "alice entered", body="Tier: whale", username="alice")
    await raise_one(app, "big_tip", "quiet tip", quiet=True)
    summary = await raise_one(app, "summary_ready", "Summary ready", url="/room/broadcasts/3")
    status, body = await ext.get("alerts")
    assert status == 200, body
    origin = f"http://{ext.client.host}:{ext.client.port}"
    assert [(a["id"], a["title"], a["body"], a["url"]) for a in body["alerts"]] == [
        (whale, "alice entered", "Tier: whale", f"{origin}/profile/alice"),
        (summary, "Summary ready", "", f"{origin}/room/broadcasts/3"),
    ]
    assert body["cursor"] == 0 and body["last_id"] == summary


async def test_ack_advances_the_cursor_never_backwards(ext: Ext) -> None:
    app = ext.client.app
    assert app is not None
    first = await raise_one(app, title="one")
    second = await raise_one(app, title="two")
    status, body = await ext.post("alerts/ack", {"last_id": first})
    assert (status, body["cursor"]) == (200, first)
    status, body = await ext.get("alerts")
    assert [a["id"] for a in body["alerts"]] == [second] and body["cursor"] == first
    await ext.post("alerts/ack", {"last_id": second})
    status, body = await ext.post("alerts/ack", {"last_id": first})
    assert (status, body["cursor"]) == (200, second)
    status, body = await ext.get("alerts")
    assert body["alerts"] == [] and body["last_id"] == second


async def test_ack_is_strict_and_refuses_the_future(ext: Ext) -> None:
    """A bad body is a 400 that says why and changes nothing."""
    app = ext.client.app
    assert app is not None
    alert = await raise_one(app, title="one")
    for bad in ({"last_id": "1"}, {"last_id": 1, "more": True}, {}, {"last_id": -1}, [1]):
        status, body = await ext.post("alerts/ack", bad)
        assert status == 400, bad
    status, body = await ext.post("alerts/ack", {"last_id": alert + 1})
    assert status == 400 and f"There is no alert {alert + 1} yet" in body["error"]
    status, body = await ext.get("alerts")
    assert body["cursor"] == 0 and [a["id"] for a in body["alerts"]] == [alert]


async def test_kinds_follow_the_union_of_users_desktop_choices(ext: Ext) -> None:
    """A paired browser belongs to no account: a kind is left out only when every enabled user
    turned it off."""
    app = ext.client.app
    assert app is not None
    owner = await add_user(app, "owner", "admin")
    other = await add_user(app, "other", "viewer")
    await _set_desktop(ext, owner, ["unfollow", "new_follower"])
    await _set_desktop(ext, other, ["unfollow"])
    await raise_one(app, "unfollow", "carol left")
    follower = await raise_one(app, "new_follower", "bob followed")
    _, body = await ext.get("alerts")
    assert [a["id"] for a in body["alerts"]] == [follower]
    assert body["last_id"] == follower  # the passed-over unfollow is acknowledged with it


async def test_each_client_has_its_own_cursor_and_a_page_is_twenty(ext: Ext) -> None:
    app = ext.client.app
    assert app is not None
    ids = [await raise_one(app, title=f"tip {n}") for n in range(25)]
    _, body = await ext.get("alerts")
    assert [a["id"] for a in body["alerts"]] == ids[:20] and body["last_id"] == ids[19] and body["more"]
    await ext.post("alerts/ack", {"last_id": body["last_id"]})
    second = Ext(ext.client)
    await second.pair(app)
    await raise_one(app, title="after the second pairing")
    _, mine = await ext.get("alerts")
    _, theirs = await second.get("alerts")
    assert (
        len(mine["alerts"]) == 6
        and not mine["more"]
        and [a["title"] for a in theirs["alerts"]] == ["after the second pairing"]
    )


async def test_wait_holds_the_call_until_an_alert_is_raised(ext: Ext) -> None:
    app = ext.client.app
    assert app is not None
    call = asyncio.ensure_future(ext.get("alerts?wait=10"))
    await asyncio.sleep(0.2)
    assert not call.done()
    alert = await raise_one(app, title="now")
    status, body = await asyncio.wait_for(call, 5)
    assert status == 200 and [a["id"] for a in body["alerts"]] == [alert]
    status, _ = await ext.get("alerts?wait=99")
    assert status == 400


async def test_alerts_need_the_token_and_the_protocol(ext: Ext) -> None:
    status, _ = await Ext(ext.client, "wrong").get("alerts")
    assert status == 401
    status, _ = await ext.get("alerts", **{"X-MHC-Protocol": "2"})
    assert status == 412
    status, _ = await ext.post("alerts/ack", {"last_id": 0}, Origin="https://example.org")
    assert status == 403
