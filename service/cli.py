"""The `mhc` command: argument parsing only; each command lives in service/commands/."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from service import __version__

# serve, jobs and check load the whole web app (a second or more); the commands that do not need
# it, e.g. `mhc backup` beside a running service, start without it.
from service.commands import backup, export, extension, imports, users
from service.permissions import DEFAULT_ROLES
from service.settings import Settings
from service.store.db import DatabaseLockedError
from service.store.files import OWNER_ONLY_UMASK


class CommandError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for name in ("data_dir", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "allow_remote", False):
        overrides["allow_remote"] = True
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise CommandError(f"invalid settings: {exc}") from exc


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="data folder (default: $MHC_DATA_DIR or ./data)")
    parser = argparse.ArgumentParser(prog="mhc", description="MHC Control Panel", parents=[common])
    parser.add_argument("--version", action="version", version=f"mhc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("serve", parents=[common], help="start the service")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8756)")
    p.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")

    user = commands.add_parser("user", help="panel accounts").add_subparsers(dest="action", required=True)
    p = user.add_parser("add", parents=[common], help="create a panel account")
    p.add_argument("name")
    p.add_argument("--role", choices=sorted(DEFAULT_ROLES), required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_parser("list", parents=[common], help="list panel accounts")

    job = commands.add_parser("job", help="scheduled jobs").add_subparsers(dest="action", required=True)
    job.add_parser("list", parents=[common], help="list jobs and their state")
    p = job.add_parser("run", parents=[common], help="run one job once, now, and print its result")
    p.add_argument("name")

    p = commands.add_parser("backup", parents=[common], help="consistent online copy of the database")
    p.add_argument("path", type=Path)
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    commands.add_parser(
        "check", parents=[common], help="recompute the fan ledger and report any difference from it"
    )
    p = commands.add_parser("export", parents=[common], help="export the data tables")
    p.add_argument("--format", choices=("csv", "json"), required=True)
    p.add_argument("directory", type=Path)
    p.add_argument(
        "--include-notes", action="store_true", help="also export the notes about people (private data)"
    )

    imp = commands.add_parser("import", help="import data from files").add_subparsers(
        dest="action", required=True
    )
    p = imp.add_parser("token-history", parents=[common], help="import the site's token history CSV")
    p.add_argument("file", type=Path)

    commands.add_parser(
        "pair", parents=[common], help="print a one-time code for pairing the Chrome extension"
    )
    p = commands.add_parser("scrape", parents=[common], help="queue work for the Chrome extension")
    p.add_argument("usernames", nargs="*", metavar="USERNAME", help="profiles to scrape")
    p.add_argument("--following", action="store_true", help="read the whole following list")
    p.add_argument("--followers", action="store_true", help="read the whole followers list")
    return parser


def run_command(args: argparse.Namespace) -> int:  # noqa: PLR0911 - one return per command
    settings = _settings(args)
    match (args.command, getattr(args, "action", None)):
        case ("serve", _):
            from service.commands import serve

            return serve.run(settings)
        case ("user", "add"):
            return asyncio.run(users.add(settings, args.name, args.role, password_stdin=args.password_stdin))
        case ("user", "list"):
            return asyncio.run(users.list_(settings))
        case ("job", "list"):
            from service.commands import jobs

            return asyncio.run(jobs.list_(settings))
        case ("job", "run"):
            from service.commands import jobs

            return asyncio.run(jobs.run(settings, args.name))
        case ("backup", _):
            return backup.run(settings, args.path, force=args.force)
        case ("check", _):
            from service.commands import check

            return asyncio.run(check.run(settings))
        case ("export", _):
            return asyncio.run(
                export.run(settings, args.format, args.directory, include_notes=args.include_notes)
            )
        case ("import", "token-history"):
            return asyncio.run(imports.token_history(settings, args.file))
        case ("pair", _):
            return asyncio.run(extension.pair(settings))
        case ("scrape", _):
            return asyncio.run(
                extension.scrape(settings, args.usernames, following=args.following, followers=args.followers)
            )
    raise CommandError(f"unknown command {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Whatever a command creates (database, WAL, images, backups, exports) holds personal data.
    os.umask(OWNER_ONLY_UMASK)
    try:
        return run_command(args)
    except (
        CommandError,
        users.UserCommandError,
        backup.BackupError,
        extension.ScrapeCommandError,
        imports.ImportCommandError,
    ) as exc:
        print(f"mhc: {exc}")
        return 2
    except DatabaseLockedError as exc:
        print(
            f"mhc: the database stayed locked for {exc.waited_ms / 1000:g} s by another process "
            "(probably the service, writing); nothing was changed. "
            "Try again, or wait longer with MHC_COMMAND_BUSY_TIMEOUT_MS.",
            file=sys.stderr,
        )
        return 3
    except sqlite3.Error as exc:
        # Disk full, a damaged file, a lock met outside a transaction's start: one line, never
        # a traceback.
        print(f"mhc: database error: {exc}", file=sys.stderr)
        return 3 if "locked" in str(exc) or "busy" in str(exc) else 1
    except Exception as exc:
        # Only `mhc serve` raises ServeError, and it has loaded the module by then.
        from service.commands.serve import ServeError

        if isinstance(exc, ServeError):
            print(f"mhc: {exc}")
            return 2
        raise
