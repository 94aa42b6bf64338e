"""MHC.extractListPage against every list fixture and its MANIFEST entry."""

from __future__ import annotations

import pytest

from tests.support.extractors import LOCAL_SITE, ListPageCase, Site

# MANIFEST status -> what the page alone shows. A repeat is only a repeat next to the page it
# repeats, and an empty main list is still a recognised list page: list-run.js judges both.
PAGE_STATUS = {
    "ok": "ok",
    "challenge": "challenge",
    "login_redirect": "login",
    "repeat_of_previous": "ok",
    "empty_list": "ok",
}

LISTS = LOCAL_SITE / "lists"


def test_list_page_matches_manifest(site: Site, list_page_case: ListPageCase) -> None:
    """Names, pagination, header and status equal the manifest; no decoy leaks in."""
    entry = list_page_case.entry
    result = site.extract_list(entry["final_url"], list_page_case.html)

    assert result["usernames"] == entry["expected_usernames"]
    assert not set(result["usernames"]) & set(entry["must_not_extract"])
    assert result["status"] == PAGE_STATUS.get(entry["status"], entry["status"])
    assert (result["kind"], result["list"], result["page"]) == (entry["kind"], entry["list"], entry["page"])
    assert result["last_page"] == entry["last_page"]
    assert result["header_following"] == entry["header_following"]


def test_decoys_are_on_the_page(site: Site) -> None:
    """The fixture really carries the trap: a document-wide [data-room] finds the decoys."""
    page = site.open("https://chaturbate.com/followed-cams/", LISTS / "following-online.html")
    everywhere = set(
        page.evaluate("() => [...document.querySelectorAll('[data-room]')].map(a => a.dataset.room)")
    )
    main = set(page.evaluate("() => MHC.extractListPage(document, location.href).usernames"))
    assert {"nimble_lichen", "cedarumber76", "lofty_garnet_246"} <= everywhere - main


def test_out_of_range_page_reports_the_active_page(site: Site) -> None:
    """Page 3 past the end shows page 2 again, and says so in its pagination."""
    result = site.extract_list(
        "https://chaturbate.com/followed-cams/offline/?page=3", LISTS / "edge-out-of-range-repeat.html"
    )
    assert (result["page"], result["active_page"], result["last_page"]) == (3, 2, 2)


def test_parsed_document_gives_the_same_result(site: Site) -> None:
    """A document from DOMParser (e.g. fetched HTML) is read exactly like the live one."""
    url = "https://chaturbate.com/followed-cams/offline/?page=1"
    page = site.open(url, LISTS / "following-offline-p1.html")
    live = page.evaluate("() => MHC.extractListPage(document, location.href)")
    parsed = page.evaluate(
        """(url) => MHC.extractListPage(
            new DOMParser().parseFromString(document.documentElement.outerHTML, 'text/html'), url)""",
        url,
    )
    assert parsed == live


def test_card_names_are_lowercased_and_validated(site: Site) -> None:
    """Mixed case is folded; a name outside ^[a-z0-9_]{1,40}$ is dropped, not repaired."""
    page = site.open(
        "https://chaturbate.com/followed-cams/offline/?page=2", LISTS / "following-offline-p2.html"
    )
    names = page.evaluate(
        """() => {
            const cards = document.querySelectorAll('#roomlist_root ul.list.endless_page_template > li');
            const rooms = (i) => cards[i].querySelectorAll('a[data-room]');
            rooms(0).forEach(a => a.setAttribute('data-room', 'Snowy_PINE69'));
            rooms(1).forEach(a => a.setAttribute('data-room', 'bad-name'));
            rooms(2).forEach(a => a.removeAttribute('data-room'));
            return MHC.extractListPage(document, location.href).usernames;
        }"""
    )
    assert names[:2] == ["snowy_pine69", "otter_8871"]  # card 2 dropped, card 3 read from its href
    assert "bad-name" not in names
    assert len(names) == 27


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://chaturbate.com/followed-cams/", ("following", "online", 1, False)),
        ("https://chaturbate.com/followed-cams/online/?page=2", ("following", "online", 2, False)),
        ("https://chaturbate.com/followed-cams/offline/?page=7", ("following", "offline", 7, False)),
        ("https://chaturbate.com/accounts/followers/", ("followers", "followers", 1, False)),
        ("https://chaturbate.com/auth/login/?next=/followed-cams/", ("following", "online", 1, True)),
        ("https://chaturbate.com/?next=/accounts/followers/%3Fpage%3D3", ("followers", "followers", 3, True)),
        ("https://chaturbate.com/auth/login/", (None, None, None, True)),
        ("https://chaturbate.com/harbor_lights/", (None, None, None, False)),
    ],
)
def test_describe_list_url(site: Site, url: str, expected: tuple[object, ...]) -> None:
    """The list and page come from the URL; a login redirect keeps them in ?next=."""
    page = site.open("https://chaturbate.com/", b"<title>blank</title>")
    got = page.evaluate("(url) => MHC.describeListUrl(url)", url)
    assert (got["kind"], got["list"], got["page"], got["login"]) == expected


def test_non_list_page_is_unrecognised(site: Site) -> None:
    """A profile page at a list URL has only the hidden room-list template: unrecognised for followers."""
    url = "https://chaturbate.com/accounts/followers/?page=1"
    result = site.extract_list(url, LOCAL_SITE / "profiles" / "profile-followed-offline.html")
    assert result["status"] == "unrecognised"
    assert result["usernames"] == []
