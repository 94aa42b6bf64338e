"""MHC.extractProfile against every profile fixture and its .expected.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.extractors import LOCAL_SITE, ProfileCase, Site

PROFILES = LOCAL_SITE / "profiles"
FOLLOWED_OFFLINE = PROFILES / "profile-followed-offline.html"
HARBOR = "https://chaturbate.com/harbor_lights/"


def test_profile_matches_expected(site: Site, profile_case: ProfileCase) -> None:
    """The whole extraction equals the fixture's expected JSON, key for key."""
    assert site.extract_profile(profile_case.url, profile_case.html) == profile_case.expected


def test_profile_page_status_is_ok(site: Site, profile_case: ProfileCase) -> None:
    """Every room fixture is recognised as a room page."""
    page = site.open(profile_case.url, profile_case.html)
    assert page.evaluate("() => MHC.profilePageStatus(document, location.href)") == "ok"


def test_stale_dossier_is_read_but_not_trusted(site: Site) -> None:
    """The dossier still says mapleandoak / not following / live; the DOM room wins everywhere."""
    page = site.open("https://chaturbate.com/quiet_river/", PROFILES / "profile-stale-dossier.html")
    dossier = page.evaluate("() => MHC.parseRoomDossier(document)")
    profile = page.evaluate("() => MHC.extractProfile(document, location.href)")

    assert (dossier["broadcaster_username"], dossier["following"], dossier["room_status"]) == (
        "mapleandoak",
        False,
        "public",
    )
    assert (profile["username"], profile["follow_status"], profile["online"]) == (
        "quiet_river",
        "following",
        False,
    )
    assert profile["dossier_matches_page"] is False


def test_dossier_is_decoded_from_the_script_literal(site: Site) -> None:
    """Django's \\u0022 escapes decode to the 69-key JSON object, without evaluating page code."""
    page = site.open(HARBOR, FOLLOWED_OFFLINE)
    dossier = page.evaluate("() => MHC.parseRoomDossier(document)")
    assert len(dossier) == 69
    assert dossier["broadcaster_username"] == "harbor_lights"
    assert dossier["hidden_message"].startswith("----------I'm giving a show")
    assert dossier["chat_rules"].startswith("1. Be polite\r\n2.")


@pytest.mark.parametrize(
    ("script", "expected_room"),
    [
        ('window.initialRoomDossier = \'{"broadcaster_username": "harbor\\x5flights"}\';', "harbor_lights"),
        ('window.initialRoomDossier = "{\\"broadcaster_username\\": \\"harbor_lights\\"}";', "harbor_lights"),
        ('window.initialRoomDossier = "{not json";', None),
        ("window.somethingElse = 1;", None),
    ],
    ids=["single-quoted-hex-escape", "backslash-quotes", "malformed", "absent"],
)
def test_dossier_literal_variants(site: Site, script: str, expected_room: str | None) -> None:
    """Other JS string escapes decode too; a broken or missing dossier is null and never matches."""
    html = FOLLOWED_OFFLINE.read_text(encoding="utf-8")
    start = html.index("window.initialRoomDossier")
    end = html.index("</script>", start)
    page = site.open(HARBOR, (html[:start] + script + html[end:]).encode())
    dossier = page.evaluate("() => MHC.parseRoomDossier(document)")
    matches = page.evaluate("() => MHC.extractProfile(document, location.href).dossier_matches_page")
    assert (dossier or {}).get("broadcaster_username") == expected_room
    assert matches is (expected_room == "harbor_lights")


@pytest.mark.parametrize(
    ("follow", "unfollow", "expected"),
    [
        ("inline", "none", "not_following"),
        ("none", "inline", "following"),
        ("none", "none", "unknown"),
        ("inline", "inline", "unknown"),
        ("", "inline", "unknown"),
    ],
)
def test_follow_status_needs_exactly_one_shown_button(
    site: Site, follow: str, unfollow: str, expected: str
) -> None:
    """Only one shown button and the other hidden says anything; both buttons always exist."""
    page = site.open(HARBOR, FOLLOWED_OFFLINE)
    status = page.evaluate(
        """([follow, unfollow]) => {
            const set = (sel, d) => document.querySelector(sel).style.display = d;
            set('[data-testid="follow-button"]', follow);
            set('[data-testid="unfollow-button"]', unfollow);
            return MHC.extractProfile(document, location.href).follow_status;
        }""",
        [follow, unfollow],
    )
    assert status == expected


def test_username_falls_back_to_the_url(site: Site) -> None:
    """Without og:url and canonical the room is the URL's path, never the dossier's room."""
    page = site.open("https://chaturbate.com/quiet_river/", PROFILES / "profile-stale-dossier.html")
    username = page.evaluate(
        """() => {
            const identity = 'meta[property="og:url"], link[rel="canonical"]';
            document.querySelectorAll(identity).forEach(e => e.remove());
            return MHC.extractProfile(document, location.href).username;
        }"""
    )
    assert username == "quiet_river"


@pytest.mark.parametrize(
    ("url", "html", "expected"),
    [
        (
            "https://chaturbate.com/auth/login/?next=/harbor_lights/",
            LOCAL_SITE / "lists" / "edge-login-redirect.html",
            "login",
        ),
        ("https://chaturbate.com/harbor_lights/", LOCAL_SITE / "lists" / "edge-challenge.html", "challenge"),
        ("https://chaturbate.com/harbor_lights/", LOCAL_SITE / "lists" / "followers-p1.html", "unrecognised"),
    ],
    ids=["login", "challenge", "not-a-room"],
)
def test_profile_page_status_interstitials(site: Site, url: str, html: Path, expected: str) -> None:
    """Login, challenge and non-room pages are told apart before anything is trusted."""
    page = site.open(url, html)
    assert page.evaluate("() => MHC.profilePageStatus(document, location.href)") == expected
