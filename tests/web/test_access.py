"""Every route declares who may call it, and the declarations hold for each role."""

from __future__ import annotations

import pytest
from aiohttp import web

from service.permissions import Permission
from service.web.access import Access, declared
from tests.support.panel import Panel, add_user

# Routes open to anyone: signing in, first-run setup (token-gated inside), and static files.
PUBLIC_ROUTES = {"login", "login_submit", "setup", "setup_submit", "static", "ext_ping", "ext_pair"}


def _routes(app: web.Application) -> list[tuple[str, str, web.AbstractRoute]]:
    return [
        (route.name or "", route.method, route) for route in app.router.routes() if route.method != "HEAD"
    ]


def test_every_route_declares_a_permission(app: web.Application) -> None:
    """Walks the router: a route with no declaration fails this test."""
    missing = []
    for name, method, route in _routes(app):
        if isinstance(route.resource, web.StaticResource):
            continue
        requirement = declared(route.handler)
        if requirement is None:
            missing.append(f"{method} {name}")
        elif requirement is Access.PUBLIC:
            assert name in PUBLIC_ROUTES, f"{method} {name} is public but not in the allow-list"
    assert missing == []


def test_only_the_allow_listed_routes_are_public(app: web.Application) -> None:
    """Nothing outside login, setup and static files is reachable without signing in."""
    public = {name for name, _m, route in _routes(app) if declared(route.handler) is Access.PUBLIC}
    assert public <= PUBLIC_ROUTES


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("viewer", "/users/directory", 200),
        ("viewer", "/room", 200),
        ("viewer", "/admin", 200),
        ("viewer", "/admin/users", 403),
        ("viewer", "/admin/settings", 403),
        ("viewer", "/admin/jobs", 403),
        ("subscriber", "/events", 200),
        ("subscriber", "/admin/jobs", 403),
        ("admin", "/admin/jobs", 200),
        ("admin", "/admin/users", 200),
        ("viewer", "/users/following", 200),
        ("viewer", "/users/unfollowed", 200),
        ("viewer", "/admin/extension", 403),
        ("admin", "/admin/extension", 200),
    ],
)
async def test_role_permissions_on_pages(panel: Panel, role: str, path: str, status: int) -> None:
    """Default roles get exactly their permissions."""
    await add_user(panel.app, "someone", role)
    await panel.login("someone")
    got, _ = await panel.get(path)
    assert got == status


async def test_signed_out_pages_redirect_to_login(panel: Panel) -> None:
    """A page asks for sign-in and remembers where the user was going."""
    response = await panel.client.get("/admin/jobs", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/admin/jobs"


async def test_signed_out_api_answers_401_json(panel: Panel) -> None:
    """The JSON API never redirects: it says 401 in JSON."""
    response = await panel.client.get("/api/v1/status")
    assert response.status == 401
    assert (await response.json())["error"] == "Sign in first."


async def test_viewer_cannot_run_admin_actions(panel: Panel) -> None:
    """A viewer posting an admin action gets 403 and nothing changes."""
    await add_user(panel.app, "victim", "subscriber")
    await add_user(panel.app, "peeker", "viewer")
    await panel.login("peeker")
    response = await panel.post("/admin/users/1/delete")
    assert response.status == 403
    response = await panel.post(
        "/admin/users", {"username": "mallory", "password": "x" * 12, "roles": "admin"}
    )
    assert response.status == 403
    await panel.login("victim")  # still exists, and no 'mallory'
    from service.store import system_users
    from service.web.keys import db_key

    async with panel.app[db_key].read() as conn:
        names = [u.username for u in await system_users.list_users(conn)]
    assert names == ["peeker", "victim"]


def test_admin_role_holds_every_permission() -> None:
    """New permissions automatically belong to admin."""
    from service.permissions import DEFAULT_ROLES

    assert DEFAULT_ROLES["admin"][1] == frozenset(Permission)
