"""Pairing the extension: one-time codes (panel or `mhc pair`) exchanged for bearer tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from service.clock import utcnow
from service.errors import Forbidden, InvalidInput, NotFound
from service.ingest.models import TaskReportRequest
from service.security import hash_token, new_token
from service.store import extension as ext_store
from service.store.db import Connection, Database

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


async def report_task(
    db: Database, task_id: int, report: TaskReportRequest, *, client_id: int
) -> tuple[bool, ext_store.ScrapeTask]:
    """Apply an extension's report on a task: (changed, the task as it now is).

    A task belongs to the extension that took it (its first report), so another paired extension
    cannot finish or fail it; a result reference must name a stored snapshot or scrape of what the
    task asked for. A refused report changes nothing.
    """
    async with db.transaction() as conn:
        task = await ext_store.get_task(conn, task_id)
        if task is None:
            raise NotFound(f"No task {task_id}.")
        taker = await ext_store.get_task_client(conn, task_id)
        if taker is not None and taker != client_id:
            raise Forbidden(f"Task {task_id} was taken by another extension; only that one may report on it.")
        if report.result_ref is not None:
            await _check_result(conn, task, report.result_ref)
        changed = await ext_store.update_task(
            conn,
            task_id,
            report.state,
            client_id=client_id,
            reason=report.reason,
            result_ref=report.result_ref,
        )
        updated = await ext_store.get_task(conn, task_id)
    if updated is None:
        raise RuntimeError("a task vanished inside its own transaction")
    return changed, updated


async def _check_result(conn: Connection, task: ext_store.ScrapeTask, ref: str) -> None:
    ref_type, _, ref_id = ref.partition(":")
    found = await ext_store.task_result(conn, ref_type, int(ref_id))
    if found is None:
        raise InvalidInput(f"The result {ref} does not exist; nothing was changed.")
    kind, username = found
    if kind != task.kind or (
        task.kind == "profile" and (username or "").lower() != (task.username or "").lower()
    ):
        wanted = (
            f"a profile scrape of {task.username}" if task.kind == "profile" else f"a {task.kind} snapshot"
        )
        raise InvalidInput(
            f"The result {ref} is not {wanted}, which task {task.id} asked for; nothing was changed."
        )
