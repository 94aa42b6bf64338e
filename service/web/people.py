"""Presentation helpers the Directory, follow lists and Profile templates share: sources, images,
the queue and scrape forms, and the cells of a person's row.

Most of this is HTML written in Python, which the house keeps in templates otherwise: a Directory
page is 50 rows of 13 cells and a three-form menu, and as nested Jinja macros it cost ~3.5 ms a page
at 100,000 persons, most of a request (issue 14: ≥ 500 pages/s). The macros in users/_people.html
and _partials.html still exist for the templates and only call these, so each piece of markup is
written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup

from service.clock import from_db
from service.settings import all_sources
from service.store.directory import PersonState
from service.web.render import ago, html, number_text, text, time_text

# Every upstream by its spec's key, and the two sources that are no upstream.
SOURCE_NAMES = {
    **{spec.key: spec.in_prose for spec in all_sources()},
    "scrape": "a profile scrape",
    "history": "history",
}


def moment(text: str | None) -> datetime | None:
    """A stored UTC time as an aware datetime for the `when` macro; None stays None."""
    return from_db(text) if text else None


def source_title(source: str | None, at: str | None) -> str:
    """The hover text of a value: 'from CBHours, 3 min ago'."""
    if not source:
        return "no source has this value"
    name = SOURCE_NAMES.get(source, source)
    return f"from {name}, {ago(from_db(at))}" if at else f"from {name}"


def image_src(sha256: str | None, url: str | None) -> tuple[str, str]:
    """(src, fallback): the local copy first, the remote URL when the local one fails to load."""
    if sha256:
        return f"/images/{sha256}", url or ""
    return url or "", ""


def _sourced(value_html: str | None, source: str | None, at: str | None, test: str = "") -> str:
    if value_html is not None and value_html != "":
        return f'<span class="sourced" title="{text(source_title(source, at))}"{test}>{value_html}</span>'
    return f'<span class="hint"{test}>&mdash;</span>'


def sourced_cell(value: object, source: str | None, at: str | None, testid: str = "") -> Markup:
    """A value with the hover text of its source, or a dash when there is none (the `sourced` macro)."""
    test = f' data-testid="{text(testid)}"' if testid else ""
    return html(_sourced(None if value is None else text(value), source, at, test))


def _image(sha256: str | None, url: str | None, size: str = "thumb") -> str:
    src, fallback = image_src(sha256, url)
    size = "thumb" if size == "thumb" else text(size)  # the rows' size needs no escaping
    if not src:
        return f'<span class="{size} noimage" aria-label="no image"></span>'
    extra = f' data-fallback="{text(fallback)}"' if fallback else ""
    return f'<img class="{size}" src="{text(src)}"{extra} alt="" loading="lazy">'


def image_tag(sha256: str | None, url: str | None, size: str = "thumb") -> Markup:
    """The person's picture (local copy first, remote as fallback) or an empty frame; the
    `person_image` macro."""
    return html(_image(sha256, url, size))


def _queue_form(csrf: str, name: str, priority: int, label: str, *, note: str, back: str, title: str) -> str:
    """queue_form from values already escaped (a row escapes its name and the page's token once)."""
    shown_title = f' title="{title}"' if title else ""
    return (
        f'<form method="post" action="/users/directory/queue" class="inline">'
        f'<input type="hidden" name="csrf_token" value="{csrf}">\n'
        f'  <input type="hidden" name="username" value="{name}">'
        f'<input type="hidden" name="priority" value="{priority}">\n'
        f'  <input type="hidden" name="note" value="{note}">'
        f'<input type="hidden" name="back" value="{back}">\n'
        f'  <button type="submit" class="small"{shown_title}>{label}</button>\n'
        "</form>\n"
    )


def queue_form(
    csrf_token: str,
    username: str,
    priority: int,
    label: str,
    *,
    note: str = "",
    back: str = "",
    title: str = "",
) -> Markup:
    """A one-button form that queues a lookup of `username` (the `queue_form` macro)."""
    escaped = {"note": text(note), "back": text(back), "title": text(title)}
    return html(_queue_form(text(csrf_token), text(username), int(priority), text(label), **escaped))


def _scrape_button(csrf: str, name: str, state: tuple[bool, str], back: str, *, allowed: bool) -> str:
    enabled, title = state
    if not allowed:
        return ""
    if not enabled:
        return f'<button type="button" class="small" disabled title="{text(title)}">Scrape Profile</button>'
    return (
        f'<form method="post" action="/users/directory/scrape" class="inline">'
        f'<input type="hidden" name="csrf_token" value="{csrf}">'
        f'<input type="hidden" name="username" value="{name}">'
        f'<input type="hidden" name="back" value="{back}">'
        f'<button type="submit" class="small" title="{text(title)}">Scrape Profile</button></form>'
    )


def scrape_button(
    csrf_token: str, username: str, state: tuple[bool, str], back: str, *, allowed: bool
) -> Markup:
    """Scrape Profile: nothing for a role that may not ask for scrapes; disabled, with the reason,
    without a paired extension (the `scrape_button` macro)."""
    return html(_scrape_button(text(csrf_token), text(username), state, text(back), allowed=allowed))


# A person's role as the rows show it (a role the schema does not know is escaped where it shows).
_ROLES = {role: role for role in ("model", "viewer", "unknown")}
_ROLE_PENDING = (
    '<span class="hint" title="A lookup is finding out whether {} is a model or a viewer" '
    'data-testid="resolving">resolving&hellip;</span>'
)


# Where a row's escaped username goes in the page's action forms (see _RowPage): escaped text
# never holds "<", so this cannot occur in anything the forms are built from.
_NAME = "<name>"


class _RowPage:
    """What the rows of one page share, written once a page: the Actions menu's forms with a place
    for each row's name (the token, the way back and the scrape state are the same on every row),
    and the hover text of each (source, time), which a row's values often share."""

    __slots__ = ("_add", "_refresh", "_scrape", "_tags", "_titles")

    def __init__(
        self, *, csrf_token: str, here: str, can_enqueue: bool, scrape: tuple[bool, str], may_scrape: bool
    ) -> None:
        csrf, back = text(csrf_token), text(here)
        refresh = add = ""
        if can_enqueue:
            refresh = _queue_form(csrf, _NAME, 1, "Refresh now", note="refresh requested from the Directory",
                                  back=back, title="Queue a one-off (P1) lookup now")  # fmt: skip
            add = _queue_form(
                csrf, _NAME, 1, "Add to P1", note="", back=back, title="Look this person up once"
            )
        self._refresh = refresh.split(_NAME)
        self._add = add.split(_NAME)
        self._scrape = _scrape_button(csrf, _NAME, scrape, back, allowed=may_scrape).split(_NAME)
        self._titles: dict[tuple[str | None, str | None], str] = {}
        self._tags: dict[str, str] = {}

    def title(self, source: str | None, at: str | None) -> str:
        """text(source_title(source, at)), once a page for each (source, time)."""
        title = self._titles.get((source, at))
        if title is None:
            title = self._titles[source, at] = text(source_title(source, at))
        return title

    def tags(self, tags: tuple[str, ...]) -> str:
        """The first six tags as chips, each tag's chip written once a page (tags repeat)."""
        chips = ""
        for tag in tags[:6]:
            chip = self._tags.get(tag)
            if chip is None:
                chip = self._tags[tag] = f'<span class="tag">{text(tag)}</span> '
            chips += chip
        return chips

    def sourced(self, value_html: str | None, source: str | None, at: str | None) -> str:
        """_sourced, with the page's titles."""
        if value_html is None or value_html == "":
            return '<span class="hint">&mdash;</span>'
        return f'<span class="sourced" title="{self.title(source, at)}">{value_html}</span>'

    def actions(self, name: str, *, prioritised: bool) -> str:
        """The forms for the person whose escaped username is `name`."""
        forms = name.join(self._refresh)
        if not prioritised:
            forms += name.join(self._add)
        return forms + name.join(self._scrape)


def _cells(p: PersonState, badge_html: str, lifetime_tokens: int, page: _RowPage) -> str:
    """The Directory's cells for one person_state row, as HTML text (person_cells is the Markup)."""
    name = text(p.username)
    who = f'<a href="/profile/{name}">{name}</a>{badge_html}'
    if p.is_live:
        who += f' <span class="live on" title="{page.title(p.live_source, p.live_at)}">live</span>'
    if p.display_name and p.display_name != p.username:
        who += f'<br><small class="hint">{text(p.display_name)}</small>'
    if p.role == "unknown" and p.lookup_status == "pending":
        role = _ROLE_PENDING.format(name)
    else:
        role = _ROLES.get(p.role) or text(p.role)
    tags = page.tags(p.tags)
    if len(p.tags) > 6:
        tags += f'<span class="hint" title="{text(", ".join(p.tags[6:]))}">+{len(p.tags) - 6}</span>'
    if p.priority:
        priority = (
            f'<span class="prio p{p.priority}" title="{text(p.lookup_status or "")}">P{p.priority}</span>'
        )
    else:
        priority = "&mdash;"
    followers = number_text(p.followers) if p.followers is not None else None
    tokens = number_text(lifetime_tokens) if lifetime_tokens else ""
    age = None if p.age is None else str(p.age)
    rank = None if p.rank is None else str(p.rank)
    return (
        f'    <td class="who">{who}</td>\n'
        f"    <td>{_image(p.image_sha256, p.image_url)}</td>\n"
        f'    <td class="num">{page.sourced(age, p.age_source, p.age_at)}</td>\n'
        f"    <td>{role}</td>\n"
        f'    <td class="tags">{tags}</td>\n'
        f"    <td>{priority}</td>\n"
        f'    <td class="num">{page.sourced(followers, p.followers_source, p.followers_at)}</td>\n'
        f'    <td class="num">{page.sourced(rank, p.rank_source, p.rank_at)}</td>\n'
        f'    <td class="num">{p.events_count}</td>\n'
        f'    <td class="num" data-testid="tokens">{tokens}</td>\n'
        f'    <td class="num">{p.snapshot_count}</td>\n'
        f"    <td>{time_text(moment(p.last_seen_at))}</td>\n"
        '    <td class="actions">\n'
        '      <details class="row-menu"><summary data-testid="row-actions" '
        f'title="Actions for {name}">Actions</summary>\n'
        '        <div class="menu-items">\n'
        f'          <a href="/profile/{name}" class="button small">View Profile</a>\n'
        f"{page.actions(name, prioritised=bool(p.priority))}\n"
        "        </div>\n"
        "      </details>\n"
        "    </td>\n"
    )


def person_cells(
    p: PersonState,
    *,
    badge_html: str,
    lifetime_tokens: int,
    can_enqueue: bool,
    scrape: tuple[bool, str],
    may_scrape: bool,
    here: str,
    csrf_token: str,
) -> Markup:
    """The Directory's cells for one person_state row, Username … Actions (the `person_cells` macro).
    `badge_html`: the fan badge beside the name, already rendered; `lifetime_tokens`: the Tokens cell.
    Each value is escaped once (text()) and the row becomes Markup once, at the end."""
    page = _RowPage(
        csrf_token=csrf_token, here=here, can_enqueue=can_enqueue, scrape=scrape, may_scrape=may_scrape
    )
    return html(_cells(p, badge_html, lifetime_tokens, page))


class _Badge(Protocol):
    lifetime_tokens: int


def person_rows(
    rows: Iterable[PersonState],
    *,
    badges: Mapping[str, _Badge],
    fan_badge: Callable[[Any], object],
    can_enqueue: bool,
    scrape: tuple[bool, str],
    may_scrape: bool,
    here: str,
    csrf_token: str,
) -> Markup:
    """Every row of the Directory's table (the `person_rows` macro): what a loop over person_cells
    writes, with the page's shared parts (token, way back, forms) written once rather than per row.
    `fan_badge`: the `fan_badge` macro, called for the rows that have a badge."""
    page = _RowPage(
        csrf_token=csrf_token, here=here, can_enqueue=can_enqueue, scrape=scrape, may_scrape=may_scrape
    )
    written = []
    for p in rows:
        badge = badges.get(p.username)
        badge_html = str(fan_badge(badge)) if badge else ""
        cells = _cells(p, badge_html, badge.lifetime_tokens if badge else 0, page)
        written.append(f'  <tr data-username="{text(p.username)}">\n    {cells}\n  </tr>\n')
    return html("".join(written))


HELPERS = {
    "moment": moment,
    "source_title": source_title,
    "image_src": image_src,
    "sourced_cell": sourced_cell,
    "image_tag": image_tag,
    "queue_form_html": queue_form,
    "scrape_button_html": scrape_button,
    "person_cells_html": person_cells,
    "person_rows_html": person_rows,
}
