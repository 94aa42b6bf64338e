"""Who is logged in to Chaturbate (MHC.loggedInAs on the fixture pages) and the check a list run
makes with it before reading any list page (MHC.accountProblem, lib/account-check.js)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.extractors import LOCAL_SITE, Logic, Site

PROFILES = LOCAL_SITE / "profiles"
LISTS = LOCAL_SITE / "lists"
FOLLOWED_OFFLINE = PROFILES / "profile-followed-offline.html"
ACCOUNT = "example_viewer"  # the viewer_username in every captured room page


def logged_in_as(site: Site, url: str, html: Path | bytes) -> dict[str, Any]:
    page = site.open(url, html)
    result: dict[str, Any] = page.evaluate("() => MHC.loggedInAs(document, location.href)")
    return result


def with_viewer(value: str) -> bytes:
    """The harbor_lights page with another logged-in name in its dossier (Django's \\u0022 quoting)."""
    html = FOLLOWED_OFFLINE.read_bytes()
    old = b"viewer_username\\u0022: \\u0022example_viewer\\u0022"
    assert old in html
    return html.replace(old, b"viewer_username\\u0022: \\u0022" + value.encode() + b"\\u0022")


@pytest.mark.parametrize(
    ("url", "fixture"),
    [
        ("https://chaturbate.com/harbor_lights/", "profile-followed-offline.html"),
        ("https://chaturbate.com/mapleandoak/", "profile-not-followed-online.html"),
    ],
)
def test_room_pages_tell_who_is_logged_in(site: Site, url: str, fixture: str) -> None:
    """The dossier's viewer_username is the logged-in account, whatever room the page shows."""
    assert logged_in_as(site, url, PROFILES / fixture) == {"status": "ok", "viewer": ACCOUNT}


def test_another_account_and_a_signed_out_page(site: Site) -> None:
    """Another name is read as it is (lower case); an empty one means nobody is logged in."""
    url = "https://chaturbate.com/harbor_lights/"
    assert logged_in_as(site, url, with_viewer("Someone_Else")) == {"status": "ok", "viewer": "someone_else"}
    assert logged_in_as(site, url, with_viewer("")) == {"status": "signed_out", "viewer": None}


def test_pages_that_do_not_say(site: Site) -> None:
    """A list page carries no logged-in name; a login page and a challenge say what they are."""
    assert logged_in_as(site, "https://chaturbate.com/followed-cams/", LISTS / "following-online.html") == {
        "status": "unrecognised",
        "viewer": None,
    }
    login = "https://chaturbate.com/auth/login/?next=/example_viewer/"
    assert logged_in_as(site, login, LISTS / "edge-login-redirect.html")["status"] == "login"
    challenge = "https://chaturbate.com/example_viewer/"
    assert logged_in_as(site, challenge, LISTS / "edge-challenge.html")["status"] == "challenge"


@pytest.mark.parametrize(
    ("seen", "problem"),
    [
        ({"status": "ok", "viewer": ACCOUNT}, None),
        ({"status": "ok", "viewer": "someone_else"}, "wrong_account:someone_else"),
        ({"status": "signed_out", "viewer": None}, "signed_out"),
        ({"status": "login", "viewer": None}, "login"),
        ({"status": "challenge", "viewer": None}, "challenge"),
        ({"status": "unrecognised", "viewer": None}, "account_unknown"),
        ({"status": "ok", "viewer": None}, "account_unknown"),
        (None, "account_unknown"),
    ],
)
def test_only_the_configured_account_may_run(
    logic: Logic, seen: dict[str, Any] | None, problem: str | None
) -> None:
    """Anything short of "logged in as exactly this account" refuses the run."""
    assert logic("accountProblem", ACCOUNT, seen) == problem


def test_the_check_reads_the_accounts_own_room(logic: Logic) -> None:
    """One page, the configured account's room, before any list page; refusals read as sentences."""
    assert logic("accountCheckUrl", ACCOUNT) == "https://chaturbate.com/example_viewer/"
    assert "logged in as someone_else" in logic("accountSentence", "wrong_account:someone_else")
    assert logic("accountSentence", "challenge") is None
