"""Pairing the extension: one-time codes (panel or `mhc pair`) exchanged for bearer tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from service.clock import utcnow
from service.security import hash_token, new_token
from service.store import extension as ext_store
from service.store.db import Database

# No 0/O or 1/I/L: the code is read off a screen and typed into the options page.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def _new_code() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


async def new_pairing_code(db: Database, *, by: str | None, minutes: int) -> tuple[str, datetime]:
    """A fresh code (replacing any unused one) and when it expires. Only its hash is stored."""
    code = _new_code()
    expires_at = utcnow() + timedelta(minutes=minutes)
    async with db.transaction() as conn:
        await ext_store.insert_pairing_code(
            conn, code_hash=hash_token(normalise_code(code)), expires_at=expires_at, created_by=by
        )
    return code, expires_at


async def pair(db: Database, *, code: str, extension_id: str) -> str | None:
    """The new bearer token, or None when the code is unknown, used or expired."""
    token = new_token()
    async with db.transaction() as conn:
        client_id = await ext_store.use_pairing_code(
            conn, code_hash=hash_token(normalise_code(code)), extension_id=extension_id,
            token_hash=hash_token(token),
        )  # fmt: skip
    return token if client_id is not None else None


async def queue_scrapes(
    db: Database, *, lists: list[str], usernames: list[str], by: str
) -> list[tuple[int, bool]]:
    """Queue list runs and profile scrapes; (task id, newly queued) for each, in the order given."""
    async with db.transaction() as conn:
        queued = [await ext_store.queue_task(conn, kind, None, requested_by=by) for kind in lists]
        for name in usernames:
            queued.append(await ext_store.queue_task(conn, "profile", name, requested_by=by))
    return queued
