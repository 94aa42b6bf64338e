"""A signed-in user's own account: changing their password."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from service.errors import InvalidInput
from service.security import password_problem
from service.store import system_users, web_sessions
from service.web import sessions
from service.web.access import Access, requires
from service.web.forms import parse_form
from service.web.keys import db_key, passwords_key
from service.web.render import render


class PasswordChangeForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(max_length=1024)
    new_password_again: str = Field(max_length=1024)


@requires(Access.AUTHENTICATED)
async def account(request: web.Request) -> web.StreamResponse:
    changed = request.query.get("changed") == "1"
    return await render(request, "account/index.html", {"errors": [], "changed": changed})


@requires(Access.AUTHENTICATED)
async def account_password(request: web.Request) -> web.StreamResponse:
    session = sessions.current(request)
    assert session is not None  # guaranteed by the auth middleware
    try:
        form = await parse_form(request, PasswordChangeForm)
        problems = []
        if (problem := password_problem(form.new_password)) is not None:
            problems.append(f"new_password: {problem}")
        if form.new_password != form.new_password_again:
            problems.append("new_password_again: the passwords differ")
        async with request.app[db_key].read() as conn:
            credentials = await system_users.get_credentials(conn, session.user.username)
        passwords = request.app[passwords_key]
        if credentials is None or not passwords.verify(credentials.password_hash, form.current_password):
            problems.append("current_password: that is not your current password")
        if problems:
            raise InvalidInput("The form has errors", details=problems)
    except InvalidInput as exc:
        return await render(
            request, "account/index.html", {"errors": exc.details, "changed": False}, status=400
        )
    async with request.app[db_key].transaction() as conn:
        await system_users.set_password_hash(conn, session.user.id, passwords.hash(form.new_password))
        # Other devices signed in with the old password are signed out.
        await web_sessions.delete_user_sessions(conn, session.user.id)
    response = web.HTTPSeeOther(request.app.router["account"].url_for().with_query(changed="1"))
    await sessions.start(request, response, session.user.id)
    raise response
