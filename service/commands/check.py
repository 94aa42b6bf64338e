"""`mhc check`: recompute the fan ledger from the stored events and imported token history, and who is
in the room from the stored events, and report every figure the running totals got wrong (exit 1 if
any)."""

from __future__ import annotations

from collections.abc import Sequence

from service.commands.jobs import command_services
from service.ingest import presence
from service.settings import Settings
from service.store import fan_ledger, persons

SHOWN = 50


async def run(settings: Settings) -> int:
    async with command_services(settings) as services, services.db.read() as conn:
        broadcaster = services.config.current.broadcaster
        broadcaster_id = await persons.get_person_id(conn, broadcaster) if broadcaster else None
        found = await fan_ledger.differences(conn, broadcaster_id)
        present = await presence.differences(conn, broadcaster_id)
    ledger_ok = _report("fan ledger", found, "the stored events and imported history", capped=True)
    presence_ok = _report("presence", present, "the stored events", capped=False)
    return 0 if ledger_ok and presence_ok else 1


def _report(what: str, found: Sequence[object], source: str, *, capped: bool) -> bool:
    if not found:
        print(f"{what}: OK (equal to a recomputation from {source})")
        return True
    more = "+" if capped and len(found) >= 1000 else ""
    print(f"{what}: {len(found)}{more} difference(s) from a recomputation:")
    for difference in found[:SHOWN]:
        print(f"  {difference}")
    if len(found) > SHOWN:
        print(f"  … and {len(found) - SHOWN} more")
    return False
