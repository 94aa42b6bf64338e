"""list-run.js: the MANIFEST run scenarios end to end, the run rules one by one, and a property."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.extractors import ListRunCase, Logic

Reads = list[dict[str, Any]]
ServedRead = Callable[[Path, str], dict[str, Any]]

ORIGIN = "https://chaturbate.com"
SNAPSHOT_KEYS = {
    "kind",
    "account",
    "started_at",
    "finished_at",
    "expected_total",
    "complete",
    "abort_reason",
    "pages",
}
PAGE_KEYS = {"list", "page", "url", "final_url", "usernames"}


def read_served_pages(case: ListRunCase, served_reads: ServedRead) -> Reads:
    """Each served page in order, extracted where it ended up (a redirect's final URL)."""
    reads = []
    for step in case.run["serve"]:
        final_url = step.get("final_url", step["url"])
        result = served_reads(case.directory / step["file"], final_url)
        reads.append({"url": step["url"], "final_url": final_url, "result": result})
    return reads


def resolve(manifest: dict[str, Any], dotted: str) -> list[str]:
    value: Any = manifest
    for part in dotted.split("."):
        value = value[part]
    return value


def test_run_scenario(logic: Logic, served_reads: ServedRead, list_run_case: ListRunCase) -> None:
    """complete, reason and names match the manifest for the pages served in that order."""
    run, expected = list_run_case.run, list_run_case.run["expected"]
    verdict = logic("evaluateListRun", run["kind"], read_served_pages(list_run_case, served_reads))

    assert verdict["complete"] is expected["complete"]
    assert verdict["abort_reason"] == expected["reason"]
    names = verdict["usernames"]
    assert len(names) == len(set(names))
    if "usernames" in expected:
        assert sorted(names) == sorted(expected["usernames"])
    else:
        assert set(expected["usernames_include"]) <= set(names)
        assert set(names) <= set(resolve(list_run_case.manifest, expected["usernames_within"]))


def test_runner_asks_for_the_served_pages(
    logic: Logic, served_reads: ServedRead, list_run_case: ListRunCase
) -> None:
    """nextListUrl asks for the served URLs in order, and a complete run ends by asking nothing."""
    run = list_run_case.run
    reads = read_served_pages(list_run_case, served_reads)
    for i, step in enumerate(run["serve"]):
        wanted = logic("nextListUrl", run["kind"], reads[:i])
        if wanted is None:  # the runner had stopped; later pages are the scenario's, not its
            assert not run["expected"]["complete"]
            break
        assert wanted == step["url"]
    if run["expected"]["complete"]:
        assert logic("nextListUrl", run["kind"], reads) is None


def test_snapshot_payload(logic: Logic, served_reads: ServedRead, list_run_case: ListRunCase) -> None:
    """The payload has DESIGN.md's shape exactly and carries the verdict."""
    run = list_run_case.run
    reads = read_served_pages(list_run_case, served_reads)
    snapshot = logic(
        "buildListSnapshot",
        {
            "kind": run["kind"],
            "account": "example_viewer",
            "started_at": "2026-01-07T10:00:00Z",
            "finished_at": "2026-01-07T10:01:00Z",
            "reads": reads,
        },
    )
    verdict = logic("evaluateListRun", run["kind"], reads)

    assert set(snapshot) == SNAPSHOT_KEYS
    assert (snapshot["complete"], snapshot["abort_reason"]) == (verdict["complete"], verdict["abort_reason"])
    assert snapshot["expected_total"] == verdict["expected_total"]
    assert all(set(page) == PAGE_KEYS for page in snapshot["pages"])
    assert len(snapshot["pages"]) <= len(reads)
    union = {name for page in snapshot["pages"] for name in page["usernames"]}
    assert union >= set(verdict["usernames"])


# --------------------------------------------------------------------------- rules, one by one


def page(
    list_: str,
    n: int,
    names: list[str],
    *,
    last: int | None = 1,
    header: tuple[int, int] | None = (1, 3),
    status: str = "ok",
    active: int | None = None,
) -> dict[str, Any]:
    """A synthetic MHC.extractListPage result."""
    return {
        "kind": "followers" if list_ == "followers" else "following",
        "list": list_,
        "page": n,
        "last_page": last,
        "active_page": n if active is None else active,
        "status": status,
        "usernames": names,
        "header_following": None if header is None else {"online": header[0], "total": header[1]},
    }


GOOD_FOLLOWING = [
    page("online", 1, ["a"]),
    page("offline", 1, ["b"], last=2),
    page("offline", 2, ["c"], last=2),
]

RULES = [
    ("complete", "following", GOOD_FOLLOWING, None, ["a", "b", "c"]),
    ("offline page 2 missing", "following", GOOD_FOLLOWING[:2], "missing_pages", ["a", "b"]),
    ("offline list never read", "following", GOOD_FOLLOWING[:1], "missing_pages", ["a"]),
    (
        "no pagination on a page with names",
        "following",
        [page("online", 1, ["a"], last=None), page("offline", 1, ["b", "c"])],
        "missing_pages",
        ["a", "b", "c"],
    ),
    (
        "page repeats earlier names",
        "following",
        [*GOOD_FOLLOWING, page("offline", 3, ["c"], last=2, active=3)],
        "repeated_page",
        ["a", "b", "c"],
    ),
    (
        "site served another page",
        "following",
        [
            page("online", 1, ["a"]),
            page("offline", 1, ["b"], last=2),
            page("offline", 2, ["c"], last=2, active=1),
        ],
        "repeated_page",
        ["a", "b"],
    ),
    (
        "no room online, as the header says",
        "following",
        [page("online", 1, [], header=(0, 2)), page("offline", 1, ["b", "c"], header=(0, 2))],
        None,
        ["b", "c"],
    ),
    (
        "empty online list while the header says 1 online",
        "following",
        [page("online", 1, []), page("offline", 1, ["b", "c"])],
        "empty_page",
        ["b", "c"],
    ),
    (
        "empty page 1 of 2",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, [], last=2), page("offline", 2, ["c"], last=2)],
        "empty_page",
        ["a", "c"],
    ),
    (
        "header TOTAL never shown",
        "following",
        [page("online", 1, ["a"], header=None), page("offline", 1, ["b"], header=None)],
        "total_unknown",
        ["a", "b"],
    ),
    (
        "header TOTAL re-read at the end disagrees",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, ["b", "c"], header=(1, 4))],
        "total_mismatch",
        ["a", "b", "c"],
    ),
    (
        "header TOTAL changed, names add up to the final one",
        "following",
        [page("online", 1, ["a"], header=(1, 4)), page("offline", 1, ["b", "c"])],
        "total_changed",
        ["a", "b", "c"],
    ),
    (
        "union short of TOTAL",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, ["b"])],
        "total_mismatch",
        ["a", "b"],
    ),
    (
        "room on both lists counted once",
        "following",
        [page("online", 1, ["a", "b"], header=(2, 3)), page("offline", 1, ["b", "c"], header=(2, 3))],
        None,
        ["a", "b", "c"],
    ),
    ("logged out on page 1", "following", [page("online", 1, [], status="login", header=None)], "login", []),
    (
        "challenge stops reading",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, [], status="challenge"), page("offline", 2, ["z"])],
        "challenge",
        ["a"],
    ),
    (
        "followers page in a following run",
        "following",
        [page("online", 1, ["a"]), page("followers", 1, ["b"])],
        "unrecognised",
        ["a"],
    ),
    ("no pages at all", "following", [], "missing_pages", []),
    (
        "followers: no total to check",
        "followers",
        [page("followers", 1, ["a", "b"], last=2, header=None), page("followers", 2, ["c"], last=2)],
        None,
        ["a", "b", "c"],
    ),
    ("followers: none yet", "followers", [page("followers", 1, [], last=None)], None, []),
    (
        "followers: empty page 2 of 3",
        "followers",
        [
            page("followers", 1, ["a"], last=3),
            page("followers", 2, [], last=3),
            page("followers", 3, ["c"], last=3),
        ],
        "empty_page",
        ["a", "c"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "reads", "reason", "names"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_run_rules(logic: Logic, kind: str, reads: Reads, reason: str | None, names: list[str]) -> None:
    """Each completeness rule on its own, with bare extraction results as reads."""
    verdict = logic("evaluateListRun", kind, reads)
    assert (verdict["complete"], verdict["abort_reason"]) == (reason is None, reason)
    assert verdict["usernames"] == names


def test_reason_codes_are_documented(logic: Logic) -> None:
    """Every code the rules produce is in MHC.LIST_ABORT_REASONS."""
    documented = set(logic.page.evaluate("() => Object.keys(MHC.LIST_ABORT_REASONS)"))
    assert {r[3] for r in RULES} - {None} <= documented
    assert documented == {
        "login",
        "challenge",
        "unrecognised",
        "repeated_page",
        "empty_page",
        "missing_pages",
        "total_unknown",
        "total_changed",
        "total_mismatch",
    }


NEXT = [
    ("start following", "following", [], f"{ORIGIN}/followed-cams/"),
    ("start followers", "followers", [], f"{ORIGIN}/accounts/followers/?page=1"),
    (
        "online page 2 of 2",
        "following",
        [page("online", 1, ["a"], last=2)],
        f"{ORIGIN}/followed-cams/?page=2",
    ),
    ("online done", "following", [page("online", 1, ["a"])], f"{ORIGIN}/followed-cams/offline/?page=1"),
    (
        "offline page 2",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, ["b"], last=3)],
        f"{ORIGIN}/followed-cams/offline/?page=2",
    ),
    ("offline done", "following", GOOD_FOLLOWING, None),
    (
        "after an empty page",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, [], last=2)],
        f"{ORIGIN}/followed-cams/offline/?page=2",
    ),
    (
        "after a challenge",
        "following",
        [page("online", 1, ["a"]), page("offline", 1, [], status="challenge")],
        None,
    ),
    ("after a login", "followers", [page("followers", 1, [], status="login")], None),
    ("after a repeat", "following", [*GOOD_FOLLOWING[:2], page("offline", 2, ["b"], last=2)], None),
    ("page cap", "followers", [page("followers", 20000, ["a"], last=50000)], None),
    (
        "a 1M-name list",
        "followers",
        [page("followers", 11111, ["a"], last=11112)],
        f"{ORIGIN}/accounts/followers/?page=11112",
    ),
    ("unknown kind", "bookmarks", [], None),
]


@pytest.mark.parametrize(("kind", "reads", "url"), [n[1:] for n in NEXT], ids=[n[0] for n in NEXT])
def test_next_list_url(logic: Logic, kind: str, reads: Reads, url: str | None) -> None:
    """The runner reads each list's pages 1..last in order and stops on anything that aborts."""
    assert logic("nextListUrl", kind, reads) == url


def test_snapshot_lists_pages_up_to_the_stop(logic: Logic) -> None:
    """Pages after the one that stopped the run are not reported; login pages keep their list."""
    reads = [
        {
            "url": f"{ORIGIN}/followed-cams/",
            "final_url": f"{ORIGIN}/followed-cams/",
            "result": page("online", 1, ["a"]),
        },
        {
            "url": f"{ORIGIN}/followed-cams/offline/?page=1",
            "final_url": f"{ORIGIN}/auth/login/?next=/followed-cams/offline/%3Fpage%3D1",
            "result": page("offline", 1, [], status="login", header=None),
        },
        {"url": "x", "result": page("offline", 2, ["zz"])},
    ]
    snapshot = logic(
        "buildListSnapshot",
        {"kind": "following", "account": "me", "started_at": "s", "finished_at": "f", "reads": reads},
    )
    assert (snapshot["complete"], snapshot["abort_reason"], snapshot["expected_total"]) == (False, "login", 3)
    assert [(p["list"], p["page"], p["usernames"]) for p in snapshot["pages"]] == [
        ("online", 1, ["a"]),
        ("offline", 1, []),
    ]
    assert snapshot["pages"][1]["final_url"].startswith(f"{ORIGIN}/auth/login/")


# --------------------------------------------------------------------------- property

NAMES = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=4, unique=True)
OK_PAGE = st.builds(
    page,
    st.sampled_from(["online", "offline"]),
    st.integers(min_value=1, max_value=3),
    NAMES,
    last=st.one_of(st.none(), st.integers(min_value=1, max_value=3)),
    header=st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(0, 6))),
)
ABORTED_PAGE = st.builds(
    page,
    st.sampled_from(["online", "offline"]),
    st.integers(min_value=1, max_value=3),
    NAMES,
    status=st.sampled_from(["login", "challenge", "unrecognised"]),
)


@settings(max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    before=st.lists(OK_PAGE, max_size=5),
    aborted=ABORTED_PAGE,
    after=st.lists(OK_PAGE, max_size=5),
)
def test_no_run_with_an_aborted_page_is_complete(
    logic: Logic, before: Reads, aborted: dict[str, Any], after: Reads
) -> None:
    """Whatever surrounds it, a login/challenge/unrecognised page makes the run incomplete."""
    verdict = logic("evaluateListRun", "following", [*before, aborted, *after])
    assert verdict["complete"] is False
    assert verdict["abort_reason"] is not None
    assert not set(verdict["usernames"]) - {n for p in before for n in p["usernames"]}
