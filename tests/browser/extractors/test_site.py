"""MHC.site (extension/lib/site.js): the rules both extractors share, checked once for both."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.usernames import normalise_username
from tests.support.extractors import LOCAL_SITE, Logic, Site

LISTS = LOCAL_SITE / "lists"
CHALLENGE = LISTS / "edge-challenge.html"
SITE_PAGES = sorted(LOCAL_SITE.glob("*/*.html"))

NAMES = [
    "harbor_lights",
    " Fan_42 ",
    "A" * 40,
    "a" * 41,
    "",
    "bad name",
    "dash-ed",
    "dotted.name",
    "ünï",
    "x\n",
]


def _python_rule(raw: str) -> str | None:
    try:
        return normalise_username(raw)
    except ValueError:
        return None


@pytest.mark.parametrize("raw", NAMES)
def test_username_rule_matches_the_service(logic: Logic, raw: str) -> None:
    """The extension accepts and lower-cases exactly the names the service does."""
    assert logic.page.evaluate("(raw) => MHC.site.normaliseUsername(raw)", raw) == _python_rule(raw)


@pytest.mark.parametrize(
    ("url", "room"),
    [
        ("https://chaturbate.com/Harbor_Lights/", "harbor_lights"),
        ("/harbor_lights", "harbor_lights"),
        ("https://chaturbate.com/harbor_lights/?tab=bio", "harbor_lights"),
        ("https://chaturbate.com/accounts/", None),  # a site section, not a room
        ("https://chaturbate.com/harbor_lights/photos/", None),
        ("https://example.com/harbor_lights/", None),
        ("https://chaturbate.com/%E0%A4%A/", None),
    ],
)
def test_room_from_url(logic: Logic, url: str, room: str | None) -> None:
    """One "/<name>/" on the site is a room; deeper paths, sections and other hosts are not."""
    assert logic.page.evaluate("(url) => MHC.site.roomFromUrl(url)", url) == room


def _statuses(site: Site, url: str, body: Path | bytes) -> tuple[str, str]:
    page = site.open(url, body)
    return (
        page.evaluate("() => MHC.extractListPage(document, location.href).status"),
        page.evaluate("() => MHC.profilePageStatus(document, location.href)"),
    )


def test_challenge_title_alone_is_a_challenge_for_both(site: Site) -> None:
    """The interstitial's title is enough, even before its widgets render."""
    html = CHALLENGE.read_text(encoding="utf-8")
    body = html.replace('id="challenge-', 'id="gone-').encode()
    assert _statuses(site, "https://chaturbate.com/followed-cams/", body) == ("challenge", "challenge")


def test_challenge_markers_alone_are_a_challenge_for_both(site: Site) -> None:
    """An interstitial under the site's own title is still one, for the profile reader too."""
    html = CHALLENGE.read_text(encoding="utf-8")
    body = html.replace("<title>Just a moment...</title>", "<title>Chaturbate - Free Adult Webcams</title>")
    assert _statuses(site, "https://chaturbate.com/harbor_lights/", body.encode()) == (
        "challenge",
        "challenge",
    )


@pytest.mark.parametrize("html", SITE_PAGES, ids=[f"{p.parent.name}/{p.name}" for p in SITE_PAGES])
def test_both_readers_agree_on_challenges(site: Site, html: Path) -> None:
    """On every site fixture the list and profile readers see a challenge on the same pages only."""
    list_status, profile_status = _statuses(site, "https://chaturbate.com/followed-cams/", html)
    assert (list_status == "challenge") == (profile_status == "challenge")
    assert (list_status == "challenge") == (html == CHALLENGE)
