"""`mhc check`: recompute the fan ledger from the stored events and imported token history, and report
every figure the running totals got wrong (exit 1 if any)."""

from __future__ import annotations

from service.commands.jobs import command_services
from service.settings import Settings
from service.store import fan_ledger, persons

SHOWN = 50


async def run(settings: Settings) -> int:
    async with command_services(settings) as services, services.db.read() as conn:
        broadcaster = services.config.current.broadcaster
        broadcaster_id = await persons.get_person_id(conn, broadcaster) if broadcaster else None
        found = await fan_ledger.differences(conn, broadcaster_id)
    if not found:
        print("fan ledger: OK (equal to a recomputation from the stored events and imported history)")
        return 0
    print(f"fan ledger: {len(found)}{'+' if len(found) >= 1000 else ''} difference(s) from a recomputation:")
    for difference in found[:SHOWN]:
        print(f"  {difference}")
    if len(found) > SHOWN:
        print(f"  … and {len(found) - SHOWN} more")
    return 1
