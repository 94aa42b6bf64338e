"""How one alert is sent to one destination: a generic JSON webhook (HMAC-signed), a Discord-compatible
webhook, an ntfy-compatible topic, or an e-mail over SMTP.

Every message carries its idempotency key (alert id + destination id) in the payload where the
format has room for it and in the `X-MHC-Idempotency-Key` header (e-mail: also its Message-ID), so
a receiver can drop the repeat a crash between sending and recording may cause. A failed send
raises SendError with a one-line reason; the caller masks secrets before storing it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from service import __version__
from service.sources.spec import SourceConfig
from service.store.alert_destinations import Destination

IDEMPOTENCY_HEADER = "X-MHC-Idempotency-Key"
SIGNATURE_HEADER = "X-MHC-Signature"
_USER_AGENT = f"mhc-control-panel/{__version__}"

# ntfy shows these emoji short codes as icons beside the title.
_NTFY_TAGS = {
    "fan_enters": "wave", "fan_returns": "tada", "big_tip": "moneybag", "new_follower": "heart",
    "fanclub_join": "star", "unfollow": "broken_heart", "summary_ready": "memo",
    "source_failing": "warning", "extension_silent": "zzz", "test": "bell",
}  # fmt: skip
# Discord's limits (characters).
_DISCORD_CONTENT, _DISCORD_TITLE, _DISCORD_DESCRIPTION = 2000, 256, 4096


class SendError(Exception):
    """A send that did not succeed: a one-line reason, and how long the receiver asked us to wait."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Message:
    """One alert as every format sends it."""

    idempotency_key: str
    alert_id: int | None  # None for a test message
    kind: str
    title: str
    body: str
    url: str | None  # absolute (the panel's address + the alert's path)
    raised_at: str
    person: str | None

    @property
    def text(self) -> str:
        """Body and link as plain text."""
        return "\n\n".join(part for part in (self.body or self.title, self.url) if part)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str

    @classmethod
    def of(cls, config: SourceConfig) -> SmtpSettings:
        return cls(host=config.smtp_host, port=int(config.smtp_port or 587),
                   starttls=config.smtp_starttls != "off", user=config.smtp_user,
                   password=config.smtp_password, sender=config.smtp_from)  # fmt: skip

    def missing(self) -> str | None:
        if not self.host or not self.sender:
            return "e-mail is not set up: set the SMTP server and the sender address in Admin › Settings"
        return None


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the HMAC-SHA256 of the body, in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(message: Message) -> bytes:
    payload = {
        "idempotency_key": message.idempotency_key,
        "test": message.alert_id is None,
        "alert": {"id": message.alert_id, "kind": message.kind, "title": message.title, "body": message.body,
                  "url": message.url, "raised_at": message.raised_at, "person": message.person},
    }  # fmt: skip
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def discord_body(message: Message) -> bytes:
    embed: dict[str, object] = {
        "title": message.title[:_DISCORD_TITLE],
        "timestamp": message.raised_at,
        "footer": {"text": f"MHC Control Panel · {message.kind} · {message.idempotency_key}"},
    }
    if message.body:
        embed["description"] = message.body[:_DISCORD_DESCRIPTION]
    if message.url:
        embed["url"] = message.url
    payload = {"content": message.title[:_DISCORD_CONTENT], "embeds": [embed],
               "allowed_mentions": {"parse": []}}  # fmt: skip
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def header_text(value: str) -> str:
    """A header value as ASCII: RFC 2047 encoded-word when it holds anything else (ntfy decodes it)."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return "=?UTF-8?B?" + base64.b64encode(value.encode()).decode() + "?="


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _retry_after(response: httpx.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            return None
    return None


async def _post(
    http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], seconds: float
) -> str:
    sent = {"User-Agent": _USER_AGENT, **headers}
    try:
        response = await http.post(url, content=body, headers=sent, timeout=httpx.Timeout(seconds))
    except httpx.TimeoutException:
        raise SendError(f"no answer within {seconds:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SendError(f"could not connect: {_one_line(str(exc)) or type(exc).__name__}") from None
    if 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    detail = _one_line(response.text)
    raise SendError(
        f"HTTP {response.status_code}{f': {detail}' if detail else ''}", retry_after=_retry_after(response)
    )


def _send_mail(smtp: SmtpSettings, mail: EmailMessage, timeout: float) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        client.ehlo()
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(mail)


def email_message(message: Message, *, sender: str, recipient: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = " ".join(message.title.split())  # a header is one line
    mail["Date"] = formatdate(usegmt=True)
    # The Message-ID is the idempotency key: a mail system or client that sees it twice keeps one.
    mail["Message-ID"] = f"<{message.idempotency_key}@mhc-control-panel>"
    mail[IDEMPOTENCY_HEADER] = message.idempotency_key
    signature = f"MHC Control Panel · {message.kind} · {message.idempotency_key}"
    mail.set_content(f"{message.text}\n\n-- \n{signature}\n")
    return mail


async def _email(destination: Destination, message: Message, smtp: SmtpSettings, seconds: float) -> str:
    missing = smtp.missing()
    if missing:
        raise SendError(missing)
    mail = email_message(message, sender=smtp.sender, recipient=destination.target)
    try:
        await asyncio.wait_for(asyncio.to_thread(_send_mail, smtp, mail, seconds), seconds * 3)
    except TimeoutError:
        raise SendError(f"the SMTP server did not answer within {seconds:g} s") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"SMTP: {_one_line(str(exc)) or type(exc).__name__}") from None
    except OSError as exc:
        raise SendError(f"could not reach the SMTP server: {_one_line(str(exc))}") from None
    return f"handed to {smtp.host}"


async def send(
    http: httpx.AsyncClient, destination: Destination, message: Message, *, smtp: SmtpSettings, seconds: float
) -> str:
    """Send `message` to `destination`; a one-line outcome, or SendError."""
    key = {IDEMPOTENCY_HEADER: message.idempotency_key}
    if destination.kind == "webhook":
        body = webhook_body(message)
        headers = {"Content-Type": "application/json", "X-MHC-Event": message.kind, **key}
        if destination.signing_secret:
            headers[SIGNATURE_HEADER] = sign(destination.signing_secret, body)
        return await _post(http, destination.target, body, headers, seconds)
    if destination.kind == "discord":
        headers = {"Content-Type": "application/json", **key}
        return await _post(http, destination.target, discord_body(message), headers, seconds)
    if destination.kind == "ntfy":
        headers = {"Content-Type": "text/plain; charset=utf-8", "Title": header_text(message.title),
                   "Tags": _NTFY_TAGS.get(message.kind, "bell"), **key}  # fmt: skip
        if message.url:
            headers["Click"] = message.url
        return await _post(http, destination.target, message.text.encode(), headers, seconds)
    if destination.kind == "email":
        return await _email(destination, message, smtp, seconds)
    raise SendError(f"unknown destination kind {destination.kind!r}")
