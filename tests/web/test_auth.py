"""Signing in and out, and the one-time setup link for the first admin."""

from __future__ import annotations

import re
import sqlite3

from aiohttp import web

from service.store import system_users
from service.web.keys import db_key
from tests.support.panel import PASSWORD, Panel, add_user


def _setup_token(announcements: list[str]) -> str:
    assert announcements, "the service should announce a setup link when no account exists"
    found = re.search(r"/setup\?token=(\S+)", announcements[-1])
    assert found
    return found.group(1)


async def _user_names(app: web.Application) -> list[str]:
    async with app[db_key].read() as conn:
        return [u.username for u in await system_users.list_users(conn)]


async def test_setup_link_creates_the_first_admin(panel: Panel, announcements: list[str]) -> None:
    """The printed link leads to a form that creates an admin and signs them in."""
    token = _setup_token(announcements)
    status, html = await panel.get(f"/setup?token={token}")
    assert status == 200 and "Create the admin account" in html
    form = {"token": token, "username": "owner", "password": PASSWORD, "password_again": PASSWORD}
    response = await panel.post("/setup", form)
    assert response.status == 303
    status, html = await panel.get("/admin/users")
    assert status == 200 and 'data-user="owner"' in html
    assert await _user_names(panel.app) == ["owner"]


async def test_setup_without_a_valid_link_is_refused(panel: Panel, announcements: list[str]) -> None:
    """No token, a wrong token: 403, and no account is created."""
    _setup_token(announcements)
    assert (await panel.get("/setup"))[0] == 403
    assert (await panel.get("/setup?token=guess"))[0] == 403
    await panel.get("/login")
    form = {"token": "guess", "username": "intruder", "password": PASSWORD, "password_again": PASSWORD}
    assert (await panel.post("/setup", form)).status == 403
    assert await _user_names(panel.app) == []


async def test_expired_setup_link_is_refused(panel: Panel, announcements: list[str]) -> None:
    """A link older than its 15 minutes no longer works."""
    token = _setup_token(announcements)
    path = panel.app[db_key].path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE setup_tokens SET expires_at = '2000-01-01T00:00:00.000Z'")
    status, html = await panel.get(f"/setup?token={token}")
    assert status == 403 and "expired" in html


async def test_setup_link_works_once(panel: Panel, announcements: list[str]) -> None:
    """After the first account exists, setup is closed even with the same link."""
    token = _setup_token(announcements)
    await panel.get(f"/setup?token={token}")
    form = {"token": token, "username": "owner", "password": PASSWORD, "password_again": PASSWORD}
    assert (await panel.post("/setup", form)).status == 303
    # The old link now leads into the panel, or to the sign-in page, which says why (not a bare "404").
    response = await panel.client.get(f"/setup?token={token}", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/")
    panel.client.session.cookie_jar.clear()
    response = await panel.client.get(f"/setup?token={token}", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/login?setup=complete")
    status, html = await panel.get("/login?setup=complete")
    assert status == 200 and "Setup is already complete" in html


async def test_setup_form_errors_are_explained(panel: Panel, announcements: list[str]) -> None:
    """A short password or a mismatch re-renders the form with 400 and creates nothing."""
    token = _setup_token(announcements)
    await panel.get(f"/setup?token={token}")
    form = {"token": token, "username": "owner", "password": "short", "password_again": "short"}
    response = await panel.post("/setup", form)
    assert response.status == 400
    assert "at least 10 characters" in await response.text()
    form = {"token": token, "username": "owner", "password": PASSWORD, "password_again": PASSWORD + "x"}
    response = await panel.post("/setup", form)
    assert response.status == 400 and "differ" in await response.text()
    assert await _user_names(panel.app) == []


async def test_no_setup_link_when_an_account_exists(settings, announcements) -> None:
    """A service that already has users prints no link."""
    from aiohttp.test_utils import TestClient, TestServer

    from service.app import create_app

    first = create_app(settings, announce=announcements.append)
    async with TestClient(TestServer(first)):
        await add_user(first, "owner", "admin")
    announcements.clear()
    async with TestClient(TestServer(create_app(settings, announce=announcements.append))):
        pass
    assert announcements == []


async def test_login_and_logout(panel: Panel) -> None:
    """The right password opens a session; signing out closes it."""
    await add_user(panel.app, "owner", "admin")
    await panel.login("owner")
    assert (await panel.get("/admin/jobs"))[0] == 200
    response = await panel.post("/logout")
    assert response.status == 303
    response = await panel.client.get("/admin/jobs", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_wrong_password_and_unknown_user_get_the_same_401(panel: Panel) -> None:
    """Neither answer reveals whether the account exists."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    wrong = await panel.post("/login", {"username": "owner", "password": "nope nope nope"})
    unknown = await panel.post("/login", {"username": "nobody", "password": "nope nope nope"})
    assert wrong.status == unknown.status == 401
    assert "Wrong username or password" in await wrong.text()
    assert "mhc_session" not in wrong.cookies


async def test_session_cookie_is_httponly_and_samesite_strict(panel: Panel) -> None:
    """The login cookie cannot be read by scripts or sent cross-site."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    response = await panel.post("/login", {"username": "owner", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "mhc_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_disabled_user_cannot_sign_in(panel: Panel) -> None:
    """A disabled account is refused even with the right password."""
    user_id = await add_user(panel.app, "former", "viewer")
    async with panel.app[db_key].transaction() as conn:
        await system_users.set_disabled(conn, user_id, disabled=True)
    await panel.get("/login")
    assert (await panel.post("/login", {"username": "former", "password": PASSWORD})).status == 401


async def test_failed_logins_are_rate_limited_per_account(panel: Panel) -> None:
    """After 5 failures the account answers 429, even to the right password."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    for _ in range(5):
        assert (await panel.post("/login", {"username": "owner", "password": "bad password"})).status == 401
    response = await panel.post("/login", {"username": "owner", "password": PASSWORD})
    assert response.status == 429
    assert "Too many failed sign-ins" in await response.text()


async def test_login_redirects_only_to_local_paths(panel: Panel) -> None:
    """?next= cannot send the user to another site."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    response = await panel.post(
        "/login", {"username": "owner", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == "/"
    await panel.post("/logout")
    await panel.get("/login")
    response = await panel.post("/login", {"username": "owner", "password": PASSWORD, "next": "/admin/jobs"})
    assert response.headers["Location"] == "/admin/jobs"


async def test_malformed_login_form_is_400(panel: Panel) -> None:
    """Missing fields or unknown extra fields are rejected with field messages."""
    await panel.get("/login")
    response = await panel.post("/login", {"username": "owner"})
    assert response.status == 400
    assert "Password is required." in await response.text()
    response = await panel.post("/login", {"username": "o", "password": "p", "admin": "1"})
    assert response.status == 400
    assert "“admin” is not part of this form." in await response.text()


async def test_changing_own_password(admin_panel: Panel) -> None:
    """The new password works, the old one no longer does."""
    new = "a brand new passphrase"
    response = await admin_panel.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert response.status == 303
    await admin_panel.get("/account")  # the change opened a fresh session with a new CSRF token
    assert (await admin_panel.post("/logout")).status == 303
    await admin_panel.get("/login")
    assert (await admin_panel.post("/login", {"username": "owner", "password": PASSWORD})).status == 401
    assert (await admin_panel.post("/login", {"username": "owner", "password": new})).status == 303


async def test_wrong_current_password_changes_nothing(admin_panel: Panel) -> None:
    """The current password is required to set a new one."""
    response = await admin_panel.post(
        "/account/password",
        {"current_password": "not it at all", "new_password": "x" * 12, "new_password_again": "x" * 12},
    )
    assert response.status == 400
    assert "not your current password" in await response.text()
