"""Personal API keys: made and revoked on the account page, stored hashed, read-only, never a cookie,
and only ever as strong as their owner (a disabled or deleted owner's keys stop working)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from bs4 import BeautifulSoup

from service.security import hash_token
from service.store import api_keys, lookup, system_users
from service.web.keys import db_key
from tests.support.panel import Panel, add_user


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create_key(panel: Panel, name: str = "my script") -> str:
    """Make a key on the account page, as a user would, and read it off the one page that shows it."""
    await panel.get("/account")
    response = await panel.post("/account/api-keys", {"name": name})
    assert response.status == 200, await response.text()
    shown = BeautifulSoup(await response.text(), "html.parser").select_one("[data-testid=new-key-value]")
    assert shown is not None
    return shown.get_text()


async def read(panel: Panel, path: str, key: str, status: int = 200) -> dict[str, Any]:
    """A script's GET: the key only, no cookie jar."""
    response = await panel.client.session.get(panel.client.make_url(path), headers=bearer(key))
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    assert "Set-Cookie" not in response.headers
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture
async def key(admin_panel: Panel) -> str:
    return await create_key(admin_panel)


async def test_key_is_shown_once_and_stored_hashed(admin_panel: Panel, key: str) -> None:
    """The key appears on its creation response only; the table holds its SHA-256, name and times."""
    assert key.startswith("mhc_") and len(key) > 40
    _, html = await admin_panel.get("/account")
    assert key not in html
    page = BeautifulSoup(html, "html.parser")
    assert "my script" in page.select_one("[data-testid=keys]").get_text()  # type: ignore[union-attr]
    sql = "SELECT name, token_hash, created_at, last_used_at FROM api_keys"
    async with admin_panel.app[db_key].read() as conn, conn.execute(sql) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert len(rows) == 1
    name, token_hash, created_at, last_used_at = rows[0]
    assert (name, token_hash, last_used_at) == ("my script", hash_token(key), None)
    assert created_at and key not in str(rows)


async def test_key_reads_the_json_pages_as_its_owner(admin_panel: Panel, key: str) -> None:
    """GET on a .json page or an /api/ route answers with the owner's permissions, sets no cookie,
    and records when the key was last used."""
    assert (await read(admin_panel, "/users/directory.json", key))["ok"] is True
    assert (await read(admin_panel, "/events.json", key))["ok"] is True
    assert (await read(admin_panel, "/api/followers/unfollowed", key))["ok"] is True
    assert (await read(admin_panel, "/api/v1/status", key))["service"] == "mhc"
    async with admin_panel.app[db_key].read() as conn:
        listed = await api_keys.list_keys(conn, 1)
    assert listed[0].last_used_at is not None


async def test_key_has_only_its_owners_permissions(panel: Panel) -> None:
    """A viewer's key reads what a viewer reads and is refused what a viewer is refused."""
    await add_user(panel.app, "watcher", "viewer")
    await panel.login("watcher")
    key = await create_key(panel)
    assert (await read(panel, "/users/directory.json", key))["ok"] is True
    assert (await read(panel, "/events.json?reveal=1", key))["revealed"] is False  # needs manage_users
    # The extension API takes only a paired extension's token: a key is not one.
    refused = await panel.client.session.get(
        panel.client.make_url("/api/ext/v1/tasks"), headers={**bearer(key), "X-MHC-Protocol": "1"}
    )
    assert refused.status == 401


async def test_revoked_key_stops_working(admin_panel: Panel, key: str) -> None:
    """Revoking on the account page refuses the key at once; the list says when it was revoked."""
    assert (await read(admin_panel, "/users/directory.json", key))["ok"] is True
    async with admin_panel.app[db_key].read() as conn:
        (only,) = await api_keys.list_keys(conn, 1)
    response = await admin_panel.post(f"/account/api-keys/{only.id}/revoke")
    assert response.status == 303
    body = await read(admin_panel, "/users/directory.json", key, status=401)
    assert body == {"ok": False, "error": "Unknown or revoked API key."}
    _, html = await admin_panel.get("/account")
    assert "revoked" in BeautifulSoup(html, "html.parser").select_one("[data-testid=keys]").get_text()  # type: ignore[union-attr]
    again = await admin_panel.post(f"/account/api-keys/{only.id}/revoke")
    assert again.status == 404


async def test_only_the_owner_revokes_a_key(panel: Panel) -> None:
    """Another user posting the revoke gets 404 and the key keeps working."""
    await add_user(panel.app, "owner", "admin")
    await add_user(panel.app, "other", "subscriber")
    await panel.login("owner")
    key = await create_key(panel)
    await panel.login("other")
    assert (await panel.post("/account/api-keys/1/revoke")).status == 404
    assert (await read(panel, "/users/directory.json", key))["ok"] is True


async def test_disabled_or_deleted_owner_takes_the_keys_along(panel: Panel) -> None:
    """A disabled user's key is refused; enabled again it works; deleted, it is gone."""
    user_id = await add_user(panel.app, "worker", "viewer")
    await panel.login("worker")
    key = await create_key(panel)
    db = panel.app[db_key]
    async with db.transaction() as conn:
        await system_users.set_disabled(conn, user_id, disabled=True)
    await read(panel, "/users/directory.json", key, status=401)
    async with db.transaction() as conn:
        await system_users.set_disabled(conn, user_id, disabled=False)
    await read(panel, "/users/directory.json", key)
    async with db.transaction() as conn:
        await system_users.delete_user(conn, user_id)
        async with conn.execute("SELECT count(*) FROM api_keys") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    await read(panel, "/users/directory.json", key, status=401)


STATE_CHANGES = [
    ("/users/directory/queue", {"username": "someone_new", "priority": "1"}),
    ("/users/directory/scrape", {"username": "someone_new"}),
    ("/users/following/update", {}),
    ("/account/api-keys", {"name": "another"}),
    (
        "/account/password",
        {"current_password": "x", "new_password": "y" * 12, "new_password_again": "y" * 12},
    ),
    ("/admin/users", {"username": "mallory", "password": "x" * 12, "roles": "admin"}),
    ("/admin/users/1/disable", {}),
    ("/logout", {}),
    ("/users/directory.json", {}),
]


@pytest.mark.parametrize(("path", "form"), STATE_CHANGES)
async def test_key_never_changes_state(admin_panel: Panel, key: str, path: str, form: dict[str, str]) -> None:
    """A POST carrying a key is 403, even an admin's key, even beside a valid cookie session and CSRF
    token and a same-origin Origin; nothing changes."""
    for with_cookie in (False, True):
        if with_cookie:
            response: ClientResponse = await admin_panel.post(path, form, headers=bearer(key))
        else:
            response = await admin_panel.client.session.post(
                admin_panel.client.make_url(path),
                data=form,
                headers={**bearer(key), "Origin": admin_panel.origin},
                allow_redirects=False,
            )
        assert response.status == 403, await response.text()
        assert "Set-Cookie" not in response.headers
    for method in ("PUT", "DELETE", "PATCH"):
        response = await admin_panel.client.session.request(
            method, admin_panel.client.make_url("/users/directory.json"), headers=bearer(key)
        )
        assert response.status in (403, 405)
    async with admin_panel.app[db_key].read() as conn:
        assert await lookup.list_queue(conn) == []
        users = await system_users.list_users(conn)
        assert [(u.username, u.disabled) for u in users] == [("owner", False)]
        assert len(await api_keys.list_keys(conn, 1)) == 1
    assert (await admin_panel.get("/account"))[0] == 200  # the cookie session was not signed out


async def test_key_only_reads_json(admin_panel: Panel, key: str) -> None:
    """HTML pages, the CSV download and the live feed refuse a key: it is for the JSON pages only."""
    for path in ("/users/directory", "/users/directory.csv", "/events/live", "/account", "/login"):
        response = await admin_panel.client.session.get(
            admin_panel.client.make_url(path), headers=bearer(key), allow_redirects=False
        )
        assert response.status == 403, path
        assert "Set-Cookie" not in response.headers


async def test_unknown_or_malformed_key_is_401_json(panel: Panel) -> None:
    """A wrong key never falls back to anything: 401 in JSON, like the /api/ routes."""
    for header in ("Bearer mhc_not-a-key", "Bearer ", "bearer mhc_x"):
        response = await panel.client.session.get(
            panel.client.make_url("/users/directory.json"), headers={"Authorization": header}
        )
        assert response.status == 401
        assert (await response.json())["ok"] is False


async def test_key_name_is_required(admin_panel: Panel) -> None:
    """An empty or overlong name is a 400 on the account page and makes no key."""
    await admin_panel.get("/account")
    for name in ("", "x" * 101):
        response = await admin_panel.post("/account/api-keys", {"name": name})
        assert response.status == 400
        errors = BeautifulSoup(await response.text(), "html.parser").select_one(".errors")
        assert errors is not None and "name" in errors.get_text().lower()  # "Name must not be empty."
    async with admin_panel.app[db_key].read() as conn:
        assert await api_keys.list_keys(conn, 1) == []
