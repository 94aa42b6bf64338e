"""Admin › Users: create, disable, delete system users, assign roles, reset passwords."""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.errors import Conflict, InvalidInput, NotFound
from service.models import SystemUser
from service.permissions import ALL_PERMISSIONS_ROLE, Permission
from service.security import password_problem
from service.store import system_users, web_sessions
from service.store.db import Connection
from service.usernames import ACCOUNT_NAME_HINT, ACCOUNT_NAME_PATTERN
from service.web import sessions
from service.web.access import requires
from service.web.forms import parse_form
from service.web.keys import db_key, passwords_key
from service.web.query_params import route_id
from service.web.render import render

log = logging.getLogger(__name__)


def _check_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class NewUserForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(
        pattern=ACCOUNT_NAME_PATTERN,
        description=ACCOUNT_NAME_HINT,
    )
    password: str
    roles: list[str] = Field(min_length=1)
    check_password = field_validator("password")(_check_password)


class RolesForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(min_length=1)


class PasswordResetForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str
    check_password = field_validator("password")(_check_password)


async def _page(request: web.Request, *, errors: list[str], status: int = 200) -> web.Response:
    async with request.app[db_key].read() as conn:
        users = await system_users.list_users(conn)
        roles = await system_users.list_roles(conn)
    context = {"users": users, "roles": roles, "errors": errors, "active": "admin",
               "admin_section": "users"}  # fmt: skip
    return await render(request, "admin/users.html", context, status=status)


async def _known_roles(conn: Connection, names: list[str]) -> list[str]:
    known = {role.name for role in await system_users.list_roles(conn)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput("The form has errors", details=[f"roles: unknown role {n!r}" for n in unknown])
    return list(dict.fromkeys(names))


async def _target(conn: Connection, request: web.Request) -> SystemUser:
    user = await system_users.get_user(conn, route_id(request, "user_id"))
    if user is None:
        raise NotFound("No such user.")
    return user


async def _keep_an_admin(conn: Connection, user: SystemUser, *, losing_admin: bool) -> None:
    """Refuse any change that would leave the panel without an active admin."""
    is_active_admin = ALL_PERMISSIONS_ROLE in user.roles and not user.disabled
    if (
        losing_admin
        and is_active_admin
        and await system_users.count_active_admins(conn, excluding_user_id=user.id) == 0
    ):
        raise Conflict("At least one active admin must remain; create another admin first.")


async def _done(request: web.Request, message: str) -> web.StreamResponse:
    await sessions.flash(request, message)
    raise web.HTTPSeeOther(request.app.router["admin_users"].url_for())


@requires(Permission.MANAGE_USERS)
async def admin_users(request: web.Request) -> web.StreamResponse:
    return await _page(request, errors=[])


@requires(Permission.MANAGE_USERS)
async def admin_user_create(request: web.Request) -> web.StreamResponse:
    try:
        form = await parse_form(request, NewUserForm, lists=("roles",))
        async with request.app[db_key].read() as conn:
            roles = await _known_roles(conn, form.roles)
            if await system_users.username_taken(conn, form.username):
                raise InvalidInput("The form has errors", details=["That username is already taken."])
    except InvalidInput as exc:
        return await _page(request, errors=exc.details, status=400)
    password_hash = request.app[passwords_key].hash(form.password)
    async with request.app[db_key].transaction() as conn:
        if await system_users.username_taken(conn, form.username):
            raise Conflict(f"The username {form.username!r} is already taken.")
        await system_users.insert_user(conn, username=form.username, password_hash=password_hash, roles=roles)
    log.info("system user %r created", form.username)
    return await _done(request, f"User {form.username} created.")


@requires(Permission.MANAGE_USERS)
async def admin_user_roles(request: web.Request) -> web.StreamResponse:
    form = await parse_form(request, RolesForm, lists=("roles",))
    async with request.app[db_key].transaction() as conn:
        user = await _target(conn, request)
        roles = await _known_roles(conn, form.roles)
        await _keep_an_admin(conn, user, losing_admin=ALL_PERMISSIONS_ROLE not in roles)
        await system_users.set_roles(conn, user.id, roles)
    return await _done(request, f"Roles of {user.username} set to {', '.join(roles)}.")


async def _set_disabled(request: web.Request, *, disabled: bool) -> web.StreamResponse:
    async with request.app[db_key].transaction() as conn:
        user = await _target(conn, request)
        await _keep_an_admin(conn, user, losing_admin=disabled)
        await system_users.set_disabled(conn, user.id, disabled=disabled)
        if disabled:
            await web_sessions.delete_user_sessions(conn, user.id)
    return await _done(request, f"User {user.username} {'disabled' if disabled else 'enabled'}.")


@requires(Permission.MANAGE_USERS)
async def admin_user_disable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, disabled=True)


@requires(Permission.MANAGE_USERS)
async def admin_user_enable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, disabled=False)


@requires(Permission.MANAGE_USERS)
async def admin_user_password(request: web.Request) -> web.StreamResponse:
    form = await parse_form(request, PasswordResetForm)
    password_hash = request.app[passwords_key].hash(form.password)
    async with request.app[db_key].transaction() as conn:
        user = await _target(conn, request)
        await system_users.set_password_hash(conn, user.id, password_hash)
        await web_sessions.delete_user_sessions(conn, user.id)
    return await _done(request, f"Password of {user.username} reset; their sessions were signed out.")


@requires(Permission.MANAGE_USERS)
async def admin_user_delete(request: web.Request) -> web.StreamResponse:
    session = sessions.current(request)
    async with request.app[db_key].transaction() as conn:
        user = await _target(conn, request)
        if session and session.user.id == user.id:
            raise Conflict("You cannot delete your own account while signed in with it.")
        await _keep_an_admin(conn, user, losing_admin=True)
        await system_users.delete_user(conn, user.id)
    log.info("system user %r deleted", user.username)
    return await _done(request, f"User {user.username} deleted.")
