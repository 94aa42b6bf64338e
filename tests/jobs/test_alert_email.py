"""E-mail destinations against a local SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from service.jobs.alert_delivery import send_test
from service.store import alert_destinations
from service.store.db import Database
from tests.support.alert_outbox import FAST, add_destination, config_of, deliveries, raise_one, sender
from tests.support.service_process import free_port

PASSWORD = "app password with spaces"


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"panel"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    with warnings.catch_warnings():
        # Sign-in without TLS is what a local test server offers; aiosmtpd warns about it.
        warnings.simplefilter("ignore")
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                                auth_require_tls=False)  # fmt: skip
        controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


async def test_an_alert_email_is_sent_once_with_its_key_as_message_id(
    db: Database, tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    """Signed in with the SMTP user and password; subject, body link, Message-ID from the key."""
    mailbox, port = smtp
    config = config_of(tmp_path, smtp_host="127.0.0.1", smtp_port=str(port), smtp_starttls="off",
                       smtp_user="panel", smtp_password=PASSWORD, smtp_from="panel@example.org")  # fmt: skip
    dest = await add_destination(db, "email", "me@example.org", kinds=["summary_ready", "source_failing"])
    alert_id = await raise_one(db, 1, kind="summary_ready", title="Your broadcast summary\nis ready")
    await raise_one(db, 2, kind="big_tip")  # not a kind this destination takes
    async with httpx.AsyncClient() as http:
        delivery = sender(db, http, config)
        assert await delivery.deliver_due() == 1
        assert await delivery.deliver_due() == 0
    assert mailbox.envelopes == [("panel@example.org", ["me@example.org"])]
    [mail] = mailbox.messages
    assert mail["Subject"] == "Your broadcast summary is ready"
    assert mail["Message-ID"] == f"<mhc-alert-{alert_id}-destination-{dest}@mhc-control-panel>"
    assert mail["X-MHC-Idempotency-Key"] == f"mhc-alert-{alert_id}-destination-{dest}"
    assert "http://127.0.0.1:8756/profile/whale" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert [d.state for d in await deliveries(db)] == ["sent"]


async def test_a_wrong_smtp_password_is_a_failed_attempt_with_the_password_masked(
    db: Database, tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    """The server refuses the sign-in: the delivery stays pending with the SMTP error, no password."""
    mailbox, port = smtp
    config = config_of(tmp_path, smtp_host="127.0.0.1", smtp_port=str(port), smtp_starttls="off",
                       smtp_user="panel", smtp_password="wrong-password",
                       smtp_from="panel@example.org")  # fmt: skip
    await add_destination(db, "email", "me@example.org")
    await raise_one(db, 1, kind="source_failing")
    async with httpx.AsyncClient() as http:
        await sender(db, http, config).deliver_due()
    [row] = await deliveries(db)
    assert row.state == "pending" and row.attempts == 1
    assert row.last_error is not None and row.last_error.startswith("SMTP: (535")
    assert "wrong-password" not in row.last_error
    assert mailbox.messages == []


async def test_email_without_smtp_settings_says_what_is_missing(db: Database, tmp_path: Path) -> None:
    """No SMTP server configured: the send test says so in a sentence."""
    await add_destination(db, "email", "me@example.org")
    async with db.read() as conn:
        [destination] = await alert_destinations.list_destinations(conn)
    async with httpx.AsyncClient() as http:
        ok, sentence = await send_test(http, destination, config_of(tmp_path), FAST)
    assert not ok
    assert sentence == (
        "The test message to “my email” failed: e-mail is not set up: set the SMTP server and the sender "
        "address in Admin › Settings."
    )


async def test_starttls_on_refuses_a_server_without_it(
    db: Database, tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    """STARTTLS "on" never falls back to plain text: a server that does not offer it is a failure."""
    mailbox, port = smtp
    config = config_of(tmp_path, smtp_host="127.0.0.1", smtp_port=str(port), smtp_starttls="on",
                       smtp_from="panel@example.org")  # fmt: skip
    await add_destination(db, "email", "me@example.org")
    await raise_one(db, 1, kind="source_failing")
    async with httpx.AsyncClient() as http:
        await sender(db, http, config).deliver_due()
    [row] = await deliveries(db)
    assert row.state == "pending" and row.last_error == "SMTP: STARTTLS extension not supported by server."
    assert mailbox.messages == []
