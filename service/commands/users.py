"""`mhc user add` and `mhc user list`."""

from __future__ import annotations

import getpass
import sys

from service.commands.database import command_database
from service.security import Passwords, password_problem
from service.settings import Settings
from service.store import system_users
from service.usernames import ACCOUNT_NAME


class UserCommandError(Exception):
    pass


def _read_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise UserCommandError("the passwords differ")
    return first


async def add(settings: Settings, name: str, role: str, *, password_stdin: bool) -> int:
    if not ACCOUNT_NAME.match(name):
        raise UserCommandError("a username is 1–64 letters, digits, '.', '-' or '_'")
    password = _read_password(from_stdin=password_stdin)
    if problem := password_problem(password):
        raise UserCommandError(f"password {problem}")
    passwords = Passwords(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib)
    async with (
        command_database(settings) as db,
        db.transaction() as conn,
    ):
        await system_users.sync_roles_and_permissions(conn)
        if await system_users.username_taken(conn, name):
            raise UserCommandError(f"a user named {name!r} already exists")
        await system_users.insert_user(
            conn, username=name, password_hash=passwords.hash(password), roles=[role]
        )
    print(f"created {name} ({role})")
    return 0


async def list_(settings: Settings) -> int:
    async with (
        command_database(settings) as db,
        db.read() as conn,
    ):
        users = await system_users.list_users(conn)
    if not users:
        print("no users yet: start the service for a setup link, or run 'mhc user add'")
        return 0
    print(f"{'USERNAME':24} {'ROLES':24} {'STATUS':9} LAST SIGN-IN (UTC)")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        status = "disabled" if user.disabled else "active"
        print(f"{user.username:24} {','.join(user.roles) or '-':24} {status:9} {last}")
    return 0
