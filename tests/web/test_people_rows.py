"""people.person_rows, the Directory's whole table body in one call, writes what a loop over the
person_cells macro wrote: the same cells, badges, priorities and action forms, for every role."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from markupsafe import Markup

from service.store.directory import PersonState
from service.web.people import person_cells, person_rows

CSRF = "token-of-the-session"
HERE = "/users/directory?sort=followers&dir=desc&q=<b>"


def _state(username: str, **changes: object) -> PersonState:
    base = PersonState(
        person_id=1, username=username, role="model", display_name=None, display_name_source=None,
        display_name_at=None, age=24, age_source="affiliate", age_at="2026-01-02T03:04:05.000Z",
        gender=None, gender_source=None, gender_at=None, is_live=True, live_source="affiliate",
        live_at="2026-01-02T03:04:05.000Z", current_show="public", followers=5000,
        followers_source="cbhours", followers_at="2026-01-02T03:04:05.000Z", rank=None, rank_source=None,
        rank_at=None, tags=("asian", "teen", "a", "b", "c", "d", "e<f"), tags_source="affiliate",
        tags_at=None, image_sha256=None, image_url="https://img.example/x.jpg",
        last_seen_at="2026-01-02T03:04:05.000Z", priority=None, lookup_status=None, snapshot_count=3,
        events_count=4,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Badge:
    lifetime_tokens: int


def _fan_badge(badge: _Badge) -> Markup:
    return Markup(f' <span class="fan-badge">{badge.lifetime_tokens}</span>')  # noqa: S704


ROWS = [
    _state("alice"),
    _state("bob", priority=2, lookup_status="active", display_name="Bob B", is_live=False),
    _state("carol", role="unknown", lookup_status="pending", priority=1, tags=()),
    _state("dave", role="viewer", age=None, followers=None, image_sha256="a" * 64),
]
BADGES = {"bob": _Badge(1200)}


@pytest.mark.parametrize(
    ("can_enqueue", "scrape", "may_scrape"),
    [
        (True, (True, "ask the Chrome extension to read this profile page"), True),
        (True, (False, "needs the Chrome extension"), True),
        (False, (False, "your role cannot ask for scrapes"), False),
    ],
)
def test_rows_are_the_cells_of_each_person(
    can_enqueue: bool, scrape: tuple[bool, str], may_scrape: bool
) -> None:
    """The page-wide parts (token, way back, forms) are written once, yet every row reads as before."""
    page = dict(can_enqueue=can_enqueue, scrape=scrape, may_scrape=may_scrape, here=HERE, csrf_token=CSRF)
    expected = ""
    for p in ROWS:
        badge = BADGES.get(p.username)
        cells = person_cells(
            p, badge_html=str(_fan_badge(badge)) if badge else "",
            lifetime_tokens=badge.lifetime_tokens if badge else 0, **page,  # type: ignore[arg-type]
        )  # fmt: skip
        expected += f'  <tr data-username="{p.username}">\n    {cells}\n  </tr>\n'

    written = person_rows(ROWS, badges=BADGES, fan_badge=_fan_badge, **page)  # type: ignore[arg-type]

    assert isinstance(written, Markup)
    assert str(written) == expected
    assert ("Add to P1" in written) is can_enqueue  # alice, dave: no priority yet
    assert written.count("Add to P1") == (2 if can_enqueue else 0)
    assert "&lt;b&gt;" in written if can_enqueue or may_scrape else "<b>" not in written


def test_no_rows_write_nothing() -> None:
    written = person_rows([], badges={}, fan_badge=_fan_badge, can_enqueue=True, scrape=(True, ""),
                           may_scrape=True, here=HERE, csrf_token=CSRF)  # fmt: skip
    assert written == ""
