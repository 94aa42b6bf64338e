"""`mhc pair` and `mhc scrape`: pairing codes and tasks for the Chrome extension."""

from __future__ import annotations

from service.commands.database import command_database
from service.ingest import pairing
from service.settings import Settings
from service.store import extension as ext_store
from service.usernames import normalise_username


class ScrapeCommandError(Exception):
    pass


async def pair(settings: Settings) -> int:
    async with command_database(settings) as db:
        code, expires = await pairing.new_pairing_code(db, by="cli", minutes=settings.ext_pair_code_minutes)
    print(f"Pairing code: {code}")
    print(f"Enter it on the extension's options page before {expires:%Y-%m-%d %H:%M} UTC; it works once.")
    return 0


async def scrape(settings: Settings, usernames: list[str], *, following: bool, followers: bool) -> int:
    lists = [kind for kind, wanted in (("following", following), ("followers", followers)) if wanted]
    try:
        names = list(dict.fromkeys(normalise_username(name) for name in usernames))
    except ValueError as exc:
        raise ScrapeCommandError(str(exc)) from exc
    if not lists and not names:
        raise ScrapeCommandError("name at least one USERNAME, or --following / --followers")
    async with command_database(settings) as db:
        queued = await ext_store.queue_scrapes(db, lists=lists, usernames=names, by="cli")
    for what, (task_id, new) in zip([*lists, *names], queued, strict=True):
        print(f"task {task_id}: {what} {'queued' if new else 'already queued'}")
    print("The extension picks the tasks up while the browser is open; see Admin › Extension.")
    return 0
