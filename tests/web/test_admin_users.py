"""Admin › Users: create, roles, disable, reset password, delete, and the last-admin guard."""

from __future__ import annotations

from service.models import SystemUser
from service.store import system_users
from service.web.keys import db_key
from tests.support.panel import PASSWORD, Panel, add_user


async def _user(panel: Panel, name: str) -> SystemUser | None:
    async with panel.app[db_key].read() as conn:
        return await system_users.get_user_by_name(conn, name)


async def test_admin_creates_a_user_who_can_sign_in(admin_panel: Panel) -> None:
    """The new account exists with its role and works."""
    response = await admin_panel.post(
        "/admin/users", {"username": "helper", "password": "helper password", "roles": "subscriber"}
    )
    assert response.status == 303
    _, html = await admin_panel.get("/admin/users")
    assert 'data-user="helper"' in html and "User helper created." in html
    user = await _user(admin_panel, "helper")
    assert user is not None and user.roles == ("subscriber",)
    await admin_panel.login("helper", "helper password")


async def test_invalid_new_user_is_400_with_reasons(admin_panel: Panel) -> None:
    """Bad username, short password, unknown role or duplicate: 400, nothing created."""
    cases = [
        (
            {"username": "has space", "password": "long enough pw", "roles": "viewer"},
            "Username may only contain letters, digits",
        ),
        ({"username": "ok_name", "password": "short", "roles": "viewer"}, "at least 10 characters"),
        ({"username": "ok_name", "password": "long enough pw", "roles": "superuser"}, "unknown role"),
        ({"username": "owner", "password": "long enough pw", "roles": "viewer"}, "already taken"),
        ({"username": "ok_name", "password": "long enough pw"}, "Roles: choose at least one."),
    ]
    for form, message in cases:
        response = await admin_panel.post("/admin/users", form)
        assert response.status == 400, form
        assert message in await response.text(), form
    assert await _user(admin_panel, "ok_name") is None


async def test_roles_can_be_changed(admin_panel: Panel) -> None:
    """Roles are replaced by the checked set."""
    user_id = await add_user(admin_panel.app, "helper", "viewer")
    response = await admin_panel.post(
        f"/admin/users/{user_id}/roles", [("roles", "subscriber"), ("roles", "viewer")]
    )
    assert response.status == 303
    user = await _user(admin_panel, "helper")
    assert user is not None and set(user.roles) == {"subscriber", "viewer"}


async def test_disabling_signs_the_user_out_and_enabling_restores(admin_panel: Panel, aiohttp_client) -> None:
    """A disabled user's open session stops working at once."""
    user_id = await add_user(admin_panel.app, "helper", "viewer")
    other = Panel(await aiohttp_client(admin_panel.client.server))
    await other.login("helper")
    assert (await other.get("/users/directory"))[0] == 200
    assert (await admin_panel.post(f"/admin/users/{user_id}/disable")).status == 303
    response = await other.client.get("/users/directory", allow_redirects=False)
    assert response.status == 303
    assert (await admin_panel.post(f"/admin/users/{user_id}/enable")).status == 303
    await other.login("helper")


async def test_password_reset(admin_panel: Panel) -> None:
    """The admin sets a new password; the old one stops working."""
    user_id = await add_user(admin_panel.app, "helper", "viewer")
    response = await admin_panel.post(f"/admin/users/{user_id}/password", {"password": "reset password 1"})
    assert response.status == 303
    probe = Panel(admin_panel.client)
    await probe.get("/login")
    # The admin's own session must be untouched; test the helper's credentials on the login form.
    assert (await probe.post("/login", {"username": "helper", "password": PASSWORD})).status == 401


async def test_delete_user(admin_panel: Panel) -> None:
    """A deleted user is gone."""
    user_id = await add_user(admin_panel.app, "helper", "viewer")
    assert (await admin_panel.post(f"/admin/users/{user_id}/delete")).status == 303
    assert await _user(admin_panel, "helper") is None


async def test_the_last_admin_cannot_be_removed(admin_panel: Panel) -> None:
    """Disabling, demoting or deleting the only active admin is refused with 409."""
    owner = await _user(admin_panel, "owner")
    assert owner is not None
    assert (await admin_panel.post(f"/admin/users/{owner.id}/disable")).status == 409
    assert (await admin_panel.post(f"/admin/users/{owner.id}/roles", {"roles": "viewer"})).status == 409
    second = await add_user(admin_panel.app, "second", "admin")
    assert (await admin_panel.post(f"/admin/users/{owner.id}/delete")).status == 409  # cannot delete self
    assert (await admin_panel.post(f"/admin/users/{second}/delete")).status == 303
    owner_after = await _user(admin_panel, "owner")
    assert owner_after is not None and owner_after.roles == ("admin",) and not owner_after.disabled


async def test_unknown_user_id_is_404(admin_panel: Panel) -> None:
    """Actions on a user that does not exist say so."""
    assert (await admin_panel.post("/admin/users/999/disable")).status == 404
    # Not an id at all is a malformed URL, not a missing user (issue 8 item 10: one route-id parser).
    assert (await admin_panel.post("/admin/users/abc/disable")).status == 400
