"""`mhc import token-history FILE`: the site's token history CSV into the fan ledger."""

from __future__ import annotations

from pathlib import Path

from service.commands.database import command_database
from service.ingest.token_import import import_file
from service.settings import Settings


class ImportCommandError(Exception):
    """The file cannot be opened at all (printed as one line, exit status 2)."""


async def token_history(settings: Settings, path: Path) -> int:
    if not path.is_file():
        raise ImportCommandError(f"no such file: {path}")
    async with command_database(settings) as db:
        result = await import_file(db, path)
    if result.error:
        print(f"mhc: {path.name} was not imported: {result.error} Nothing was stored.")
        return 1
    r = result
    counts = (
        f"added {r.added:,}, already known {r.known:,}, matched to room events {r.matched:,}, "
        f"not spending {r.not_spending:,}"
    )
    print(f"{path.name}: read {r.rows_read:,} rows; {counts}")
    return 0
