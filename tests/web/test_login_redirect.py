"""Issue 8 item 5: `next` after sign-in is normalised first, then only a same-site path is allowed."""

from __future__ import annotations

import pytest
from yarl import URL

from service.web.handlers.auth import safe_next
from tests.support.panel import PASSWORD, Panel, add_user

# Browsers and yarl drop tabs and line feeds inside URLs, so "/\t/evil" would become "//evil".
SNEAKY_TARGETS = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "/%09/evil.example",  # stays encoded: a harmless local path, never a host
]


@pytest.mark.parametrize("target", SNEAKY_TARGETS)
def test_safe_next_never_leaves_the_site(target: str) -> None:
    """Whatever comes in, what goes out is a path on this site (one leading slash, no host)."""
    result = safe_next(target)
    # What the Location header becomes once the URL library (as a browser would) has read it.
    seen = URL(result)
    assert seen.host is None and not seen.scheme
    assert str(seen).startswith("/") and not str(seen).startswith("//")
    assert "\\" not in result and not any(ch in result for ch in "\t\r\n")


def test_safe_next_keeps_local_paths_and_queries() -> None:
    """Ordinary targets come back as they were."""
    assert safe_next("/admin/jobs") == "/admin/jobs"
    assert safe_next("/events?type=tip&min_tip=5") == "/events?type=tip&min_tip=5"
    assert safe_next("") == "/"


async def _signed_in_redirect(panel: Panel, target: str) -> str:
    response = await panel.post("/login", {"username": "owner", "password": PASSWORD, "next": target})
    assert response.status == 303
    return response.headers["Location"]


async def test_posted_next_with_a_tab_does_not_redirect_off_site(panel: Panel) -> None:
    """POST /login with next=/<TAB>/evil.example lands on this site."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    location = await _signed_in_redirect(panel, "/\t/evil.example")
    assert location.startswith("/") and not location.startswith("//")


async def test_login_page_next_with_an_encoded_tab_does_not_redirect_off_site(admin_panel: Panel) -> None:
    """GET /login?next=/%09/evil.example while signed in redirects to a local path."""
    response = await admin_panel.client.get("/login?next=/%09/evil.example", allow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
