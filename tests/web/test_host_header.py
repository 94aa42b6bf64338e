"""Issue 8 item 11: one Host header parser, with a validated port, for the Host guard and CSRF."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from service.store import system_users
from service.web.host_header import HostHeader, parse_host
from service.web.keys import db_key
from tests.support.panel import Panel


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("localhost", HostHeader("localhost", None)),
        ("LocalHost:8756", HostHeader("localhost", 8756)),
        ("127.0.0.1:9", HostHeader("127.0.0.1", 9)),
        ("[::1]:8756", HostHeader("::1", 8756)),
        ("[0:0:0:0:0:0:0:1]", HostHeader("::1", None)),
    ],
)
def test_valid_host_headers_are_parsed(header: str, parsed: HostHeader) -> None:
    """Name lower-cased, IPv6 without brackets (in its short form), port as a number."""
    assert parse_host(header) == parsed


@pytest.mark.parametrize(
    "header",
    ["127.0.0.1:23456.evil.com", "[::1]evil.com", "[::1]:80x", "127.0.0.1:", "127.0.0.1:65536",
     "127.0.0.1:0", "localhost:+80", "::1", "[::1", "[evil.com]:80", "local host", "", "127.0.0.1:80:80"],
)  # fmt: skip
def test_malformed_host_headers_are_refused_by_the_parser(header: str) -> None:
    """A port that is not a plain number in range, or junk after the brackets, is no host at all."""
    assert parse_host(header) is None


@pytest.mark.parametrize("host", ["127.0.0.1:23456.evil.com", "[::1]evil.com", "localhost:8756x"])
async def test_host_guard_refuses_loopback_lookalikes(panel: Panel, host: str) -> None:
    """A loopback name followed by something that is not a port is a foreign Host: 403."""
    response = await panel.client.get("/login", headers={"Host": host})
    assert response.status == 403


async def _raw_request(panel: Panel, head: str, body: bytes) -> int:
    """Send one request exactly as written (aiohttp's client cannot send an absolute-form target)."""
    reader, writer = await asyncio.open_connection(panel.client.host, panel.client.port)
    try:
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


async def test_csrf_origin_comes_from_the_host_header_not_an_absolute_target(admin_panel: Panel) -> None:
    """`POST http://evil.example/...` with Origin http://evil.example is cross-site: 403, nothing made."""
    cookies = admin_panel.client.session.cookie_jar.filter_cookies(URL(admin_panel.origin))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    body = f"username=mallory&password={'x' * 12}&roles=admin&csrf_token={admin_panel.csrf}".encode()
    head = (
        "POST http://evil.example/admin/users HTTP/1.1\r\n"
        f"Host: {admin_panel.client.host}:{admin_panel.client.port}\r\n"
        "Origin: http://evil.example\r\n"
        f"Cookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
    )
    assert await _raw_request(admin_panel, head, body) == 403
    async with admin_panel.app[db_key].read() as conn:
        names = [user.username for user in await system_users.list_users(conn)]
    assert "mallory" not in names


async def test_same_origin_post_with_an_absolute_target_still_works(admin_panel: Panel) -> None:
    """The browser's own origin matches the Host header, whatever form the request target takes."""
    cookies = admin_panel.client.session.cookie_jar.filter_cookies(URL(admin_panel.origin))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    body = f"username=carol&password={'x' * 12}&roles=viewer&csrf_token={admin_panel.csrf}".encode()
    host = f"{admin_panel.client.host}:{admin_panel.client.port}"
    head = (
        f"POST http://{host}/admin/users HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Origin: {admin_panel.origin}\r\n"
        f"Cookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
    )
    assert await _raw_request(admin_panel, head, body) == 303


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1", "https://{host}", "http://{host}.evil.com", "http://127.0.0.1:1", "null"],
)
async def test_origin_must_match_the_host_header_exactly(admin_panel: Panel, origin: str) -> None:
    """Scheme, name and port all count; a different port on loopback is another site."""
    host = f"{admin_panel.client.host}:{admin_panel.client.port}"
    response = await admin_panel.post(
        "/admin/users",
        {"username": "mallory", "password": "x" * 12, "roles": "admin"},
        headers={"Origin": origin.format(host=host)},
    )
    assert response.status == 403
