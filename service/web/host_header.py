"""The one parser of the HTTP Host header, shared by the Host guard and the CSRF origin check.

Both checks must judge the same value: the Host header as sent, not the authority of an
absolute-form request target (`POST http://other.example/x`), which aiohttp would otherwise report
as the request's host. A port that is not a plain number in range makes the whole header invalid,
so `127.0.0.1:23456.evil.com` or `[::1]evil.com` cannot pass as a loopback name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from aiohttp import web

DEFAULT_PORTS = {"http": 80, "https": 443}
# A DNS name or dotted IPv4 address (RFC 3986 reg-name, restricted to what real host names use).
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*$")
_PORT = re.compile(r"^[0-9]{1,5}$")


@dataclass(frozen=True, slots=True)
class HostHeader:
    """A valid Host header: the lower-cased name (IPv6 without brackets) and the port, if sent."""

    name: str
    port: int | None

    def effective_port(self, scheme: str) -> int | None:
        return self.port if self.port is not None else DEFAULT_PORTS.get(scheme)


def _port(text: str) -> int | None:
    if not _PORT.match(text) or not 0 < int(text) <= 65535:
        raise ValueError(text)
    return int(text)


def parse_host(value: str) -> HostHeader | None:
    """'[::1]:8756' → ('::1', 8756), 'Localhost' → ('localhost', None); None when malformed."""
    text = value.lower()
    try:
        if text.startswith("["):
            inside, bracket, rest = text[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                return None
            name = str(ipaddress.IPv6Address(inside))
            return HostHeader(name, _port(rest[1:]) if rest else None)
        name, colon, port = text.partition(":")
        if not _NAME.match(name):
            return None
        return HostHeader(name, _port(port) if colon else None)
    except ValueError:
        return None


def request_host(request: web.Request) -> HostHeader | None:
    """The request's Host header, parsed; absent or malformed is None."""
    return parse_host(request.headers.get("Host", ""))
