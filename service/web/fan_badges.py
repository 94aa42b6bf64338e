"""What a page shows beside a fan's name wherever it appears: their spend tier and their relationship
lists (with a pinned-note mark). Read for a whole page of names at once: three statements, whatever the
page size (two when the page has its persons' ids)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web

from service.clock import utcnow
from service.fan_tiers import Tier
from service.store import fan_lists, fans, persons
from service.store.db import Connection
from service.store.fan_lists import PersonMarks
from service.web.keys import config_key


@dataclass(frozen=True, slots=True)
class Badge:
    tier: Tier | None
    marks: PersonMarks | None
    lifetime_tokens: int = 0  # in the room and imported (the ledger)


# username → badge, as badges_for answers.
Badges = dict[str, Badge]


async def badges_for(
    request: web.Request, conn: Connection, usernames: Iterable[str | None]
) -> dict[str, Badge]:
    """username → badge, for the names that have a tier, are on a list or spent something (others are
    left out). Pass
    only names the page shows: an anonymous tip's sender must not be among them."""
    names = list(dict.fromkeys(name for name in usernames if name))
    if not names:
        return {}
    ids = {name: person.id for name, person in (await persons.find_persons(conn, names)).items()}
    return await badges_for_persons(request, conn, ids)


async def badges_for_persons(
    request: web.Request, conn: Connection, ids: Mapping[str, int]
) -> dict[str, Badge]:
    """badges_for, for a page that has its persons' ids already (the Directory's rows): two
    statements, without looking the names up."""
    if not ids:
        return {}
    rules = request.app[config_key].fans.tiers
    standings = await fans.standings(conn, rules, list(ids.values()), now=utcnow())
    marks = await fan_lists.marks_for(conn, ids.values())
    found: dict[str, Badge] = {}
    for name, person_id in ids.items():
        lifetime, tier = standings.get(person_id, (0, None))
        mark = marks.get(person_id)
        shown_mark = mark if mark is not None and not mark.empty else None
        if tier is not None or shown_mark is not None or lifetime:
            found[name] = Badge(tier, shown_mark, lifetime)
    return found
