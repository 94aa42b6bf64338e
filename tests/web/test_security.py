"""The localhost surface: foreign Hosts and Origins, CSRF, body size, headers, error pages."""

from __future__ import annotations

import io
import sqlite3

from service.store import system_users
from service.web.keys import db_key
from tests.support.panel import PASSWORD, Panel, add_user


async def _count_users(panel: Panel) -> int:
    async with panel.app[db_key].read() as conn:
        return await system_users.count_users(conn)


async def test_foreign_host_is_refused(panel: Panel) -> None:
    """A DNS-rebinding request (Host: attacker's name) gets 403 on every route."""
    for path in ("/login", "/api/v1/status", "/static/panel.css", "/nope"):
        response = await panel.client.get(path, headers={"Host": "rebind.attacker.example"})
        assert response.status == 403, path


async def test_loopback_host_names_are_accepted(panel: Panel) -> None:
    """localhost, 127.0.0.1 and [::1], with any port, are our own names."""
    for host in ("localhost", "localhost:8756", "127.0.0.1:9", "[::1]:8756", "LOCALHOST"):
        response = await panel.client.get("/login", headers={"Host": host})
        assert response.status == 200, host


async def test_configured_host_name_is_accepted(aiohttp_client, settings, announcements) -> None:
    """MHC_ALLOWED_HOSTS adds the user's own names."""
    from service.app import create_app

    client = await aiohttp_client(
        create_app(
            settings.model_copy(update={"allowed_hosts": ["panel.home"]}), announce=announcements.append
        )
    )
    assert (await client.get("/login", headers={"Host": "panel.home:8756"})).status == 200
    assert (await client.get("/login", headers={"Host": "other.home"})).status == 403


async def test_post_from_a_foreign_origin_is_refused(admin_panel: Panel) -> None:
    """A cross-site form post fails even with a valid session and token, and changes nothing."""
    before = await _count_users(admin_panel)
    response = await admin_panel.post(
        "/admin/users",
        {"username": "mallory", "password": "x" * 12, "roles": "admin"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert await _count_users(admin_panel) == before


async def test_post_without_origin_or_referer_is_refused(admin_panel: Panel) -> None:
    """A state change must say where it comes from."""
    response = await admin_panel.client.post(
        "/admin/users",
        data={"username": "m", "password": "x" * 12, "roles": "admin", "csrf_token": admin_panel.csrf},
    )
    assert response.status == 403


async def test_missing_or_wrong_csrf_token_is_refused(admin_panel: Panel) -> None:
    """Same origin but no token, or another token: 403, nothing changes."""
    before = await _count_users(admin_panel)
    form = {"username": "mallory", "password": "x" * 12, "roles": "admin"}
    assert (await admin_panel.post("/admin/users", form, csrf=False)).status == 403
    assert (
        await admin_panel.post("/admin/users", [*form.items(), ("csrf_token", "forged")], csrf=False)
    ).status == 403
    assert await _count_users(admin_panel) == before


async def test_login_form_needs_its_csrf_token(panel: Panel) -> None:
    """Even signing in is protected against login-CSRF."""
    await add_user(panel.app, "owner", "admin")
    response = await panel.client.post(
        "/login", data={"username": "owner", "password": PASSWORD}, headers={"Origin": panel.origin}
    )
    assert response.status == 403


async def test_oversized_body_is_413(admin_panel: Panel) -> None:
    """A body over the limit is refused before it is read, and nothing changes."""
    before = await _count_users(admin_panel)
    body = io.BytesIO(
        f"csrf_token={admin_panel.csrf}&username=big&roles=admin&password=".encode() + b"x" * 2**21
    )
    response = await admin_panel.client.post(
        "/admin/users",
        data=body,
        headers={"Origin": admin_panel.origin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 413
    assert "Request Entity Too Large" in await response.text()
    assert await _count_users(admin_panel) == before


async def test_security_headers_on_every_response(panel: Panel) -> None:
    """Pages, redirects and errors carry our version and the hardening headers."""
    for path in ("/login", "/", "/missing-page"):
        response = await panel.client.get(path, allow_redirects=False)
        assert response.headers["X-MHC-Version"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_unknown_page_is_a_404_page_and_unknown_api_is_404_json(admin_panel: Panel) -> None:
    """Errors render as the errors/404 page, or as JSON under /api/."""
    status, html = await admin_panel.get("/no-such-page")
    assert status == 404 and "<h1>404" in html
    response = await admin_panel.client.get("/api/v1/nothing")
    assert response.status == 404
    assert (await response.json())["ok"] is False


async def test_internal_errors_do_not_leak_tracebacks(admin_panel: Panel) -> None:
    """A broken database gives a plain 500 page, never a traceback."""
    with sqlite3.connect(admin_panel.app[db_key].path) as conn:
        conn.execute("DROP TABLE job_runs")
    status, html = await admin_panel.get("/admin/jobs")
    assert status == 500
    assert "Traceback" not in html and "job_runs" not in html
    assert "The service hit an error" in html
