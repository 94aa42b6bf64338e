"""Every route declares who may call it; the auth middleware enforces the declaration.

A handler without a declaration is refused for everyone, so forgetting one fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from service.permissions import Permission

Handler = TypeVar("Handler", bound=Callable[..., Any])

_ATTRIBUTE = "__mhc_access__"


class Access(Enum):
    PUBLIC = "public"  # login, setup, the extension's ping/pair
    AUTHENTICATED = "authenticated"  # any signed-in user (logout, own password)
    EXTENSION = "extension"  # a paired extension's bearer token (checked by web/ext_guard.py)


Requirement = Permission | Access


def requires(requirement: Requirement) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        setattr(handler, _ATTRIBUTE, requirement)
        return handler

    return mark


def declared(handler: object) -> Requirement | None:
    requirement = getattr(handler, _ATTRIBUTE, None)
    return requirement if isinstance(requirement, Permission | Access) else None
