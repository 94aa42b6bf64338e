"""The one set of parsers for what arrives in a URL: query parameters, route ids and usernames.

A hand-edited URL must get a 400 that names the parameter, never a 500 from an int too large for
SQLite, a date whose next day does not exist, or a digit Python accepts but SQL does not ('²').
Only ASCII digits count as digits here; every number has bounds; dates live in a sane window.
"""

from __future__ import annotations

import re
from datetime import date

from aiohttp import web
from multidict import MultiMapping

from service.errors import InvalidInput, NotFound
from service.usernames import normalise_username

# Far beyond any real list (50 rows a page); small enough that OFFSET stays a 64-bit integer.
MAX_PAGE = 1_000_000
# SQLite integers are signed 64-bit: an id past this cannot name a row, it can only overflow.
MAX_ID = 2**63 - 1
# Dates the service has data for, with a margin below 9999 so "the day after" still exists.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9000, 12, 31)

_DIGITS = re.compile(r"^[0-9]{1,25}$")  # ASCII only: str.isdigit() also accepts '²' and '٣'
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _invalid(name: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{name}: {problem}", details=[f"{name}: {problem}"])


def whole_number(raw: str | None, name: str, *, minimum: int, maximum: int) -> int | None:
    """A bounded whole number, or None when the parameter is absent or empty."""
    text = (raw or "").strip()
    if not text:
        return None
    if not _DIGITS.match(text) or not minimum <= int(text) <= maximum:
        raise _invalid(name, f"a whole number from {minimum} to {maximum}")
    return int(text)


def page_number(query: MultiMapping[str], name: str = "page") -> int:
    """The 1-based page of a list; absent means the first."""
    return whole_number(query.get(name), name, minimum=1, maximum=MAX_PAGE) or 1


def day(raw: str | None, name: str) -> date | None:
    """A calendar day written YYYY-MM-DD within the window the service can count from and to."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text) if _DAY.match(text) else None
    except ValueError:
        value = None
    if value is None:
        raise _invalid(name, "use a date like 2026-01-31")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise _invalid(name, f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    return value


def route_id(request: web.Request, name: str) -> int:
    """A numeric id from the route (`/room/broadcasts/{broadcast_id}`); a 400 when it cannot be one."""
    value = whole_number(request.match_info[name], name, minimum=1, maximum=MAX_ID)
    if value is None:
        raise _invalid(name, f"a whole number from 1 to {MAX_ID}")
    return value


def route_username(request: web.Request) -> str:
    """The Chaturbate username in the route (`/profile/{username}/…`); a 404 when it cannot be one."""
    try:
        return normalise_username(request.match_info["username"])
    except ValueError:
        raise NotFound("No such person.") from None
