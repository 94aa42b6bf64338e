"""The rules for names: a Chaturbate username, and a panel account's name.

Every layer checks names (extension payloads, upstream rooms, forms, settings, commands), so the
rules live here, below all of them. The extension's copy of the username rule is
extension/lib/site.js; the two must say the same.
"""

from __future__ import annotations

import re

# Lower case: the site shows names in any case, the service keys them lower.
USERNAME_PATTERN = r"^[a-z0-9_]{1,40}$"
USERNAME = re.compile(USERNAME_PATTERN)

# Panel accounts (system users) are local names, not Chaturbate's: case kept, '.' and '-' allowed.
ACCOUNT_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
ACCOUNT_NAME = re.compile(ACCOUNT_NAME_PATTERN)
# The same rule in words, for forms ("Username may only contain …").
ACCOUNT_NAME_HINT = "may only contain letters, digits, “_”, “.” and “-” (at most 64)"


def normalise_username(raw: str) -> str:
    """Lower-cased and checked; ValueError for anything that cannot be a Chaturbate username."""
    name = raw.strip().lower()
    if not USERNAME.match(name):
        raise ValueError(f"not a valid username: {raw!r}")
    return name


def lower_stripped(value: object) -> object:
    """A pydantic before-validator: text lower-cased and stripped, anything else left to fail."""
    return value.strip().lower() if isinstance(value, str) else value
