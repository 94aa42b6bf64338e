"""Users › Following, Followers and Unfollowed: true follow history from the extension's snapshots.

The lists are read from follow periods; the Update buttons only queue a task, because the run itself
happens in the user's browser (the extension picks the task up and reads the site there).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from service.clock import to_db, utcnow
from service.errors import Forbidden, NotFound
from service.permissions import Permission
from service.store import extension as ext_store
from service.store import follow_lists, removals, snapshots
from service.web import page_json, people, sessions
from service.web.access import Access, requires
from service.web.fan_badges import badges_for
from service.web.handler_support import acting_user, can_enqueue, may, scrape_availability
from service.web.json_view import respond
from service.web.keys import db_key
from service.web.list_pager import pager, pages_of, seek_from
from service.web.query_params import route_id

PAGE_SIZE = 50
ENDED_PAGE_SIZE = 100
ROLE_FILTERS = {"all": None, "models": "model", "viewers": "viewer"}
RANGES = {"7d": 7, "30d": 30, "90d": 90, "all": None}
WHO = {"them": ("follower", "They unfollowed me"), "me": ("following", "I unfollowed")}
# Resolving a removal or reverting a snapshot rewrites follow history: either permission may do it.
REVIEW_PERMISSIONS = (Permission.MANAGE_PRIORITIES, Permission.MANAGE_USERS)


def _user(request: web.Request) -> str:
    return acting_user(request) or "unknown"


def can_review(request: web.Request) -> bool:
    return may(request, *REVIEW_PERMISSIONS)


async def _list_page(
    request: web.Request, kind: str, direction: str, template: str, *, role: str | None, show: str = "all"
) -> web.Response:
    params = {"type": show} if kind == "followers" else {}
    async with request.app[db_key].read() as conn:
        total = await follow_lists.count_current(conn, direction, role=role)
        seek, page = seek_from(request.query, size=PAGE_SIZE, total=total)
        found = await follow_lists.list_current_states(conn, direction, role=role, seek=seek)
        scrape = await scrape_availability(request, conn)
        recent = await snapshots.list_snapshots(conn, kind, limit=8)
        tasks = await ext_store.list_tasks(conn, kind=kind, limit=5)
        suspected = await removals.list_removals(conn, direction, "suspected")
        held = await removals.list_removals(conn, direction, "held")
        badges = await badges_for(request, conn, (row.state.username for row in found.rows))
    rows = found.rows
    paging = pager(request.path, params, seek, page, pages=pages_of(total, PAGE_SIZE), found=found)
    context: dict[str, Any] = {
        "active": "users", "tab": kind, "rows": rows, "badges": badges, "total": total, "snapshots": recent,
        "last_run": recent[0] if recent else None, "tasks": tasks, "suspected_count": len(suspected),
        "held_count": len(held), "can_review": can_review(request), "show": show, "filters": ROLE_FILTERS,
        "pager": paging, "can_enqueue": can_enqueue(request), "scrape": scrape, "here": request.path_qs,
        **people.HELPERS,
    }  # fmt: skip
    return await respond(request, template, context, page_json.follow_list)


@requires(Permission.VIEW_USERS)
async def users_following(request: web.Request) -> web.StreamResponse:
    return await _list_page(request, "following", "following", "users/following.html", role=None)


@requires(Permission.VIEW_USERS)
async def users_followers(request: web.Request) -> web.StreamResponse:
    show = request.query.get("type", "all")
    if show not in ROLE_FILTERS:
        show = "all"
    return await _list_page(
        request, "followers", "follower", "users/followers.html", role=ROLE_FILTERS[show], show=show
    )


def insights(summary: follow_lists.EndedSummary, list_size: int, weeks: float) -> dict[str, Any]:
    """Total, average days followed, and unfollows per 100 of the list per week."""
    total = summary.total
    average = summary.days / total if total else None
    rate = (total / list_size * 100 / weeks) if list_size and weeks > 0 else None
    return {"total": total, "average_days": average, "rate": rate}


async def _unfollowed_context(request: web.Request, who: str, period: str) -> dict[str, Any]:
    direction, label = WHO[who]
    days = RANGES[period]
    now = utcnow()
    since = now - timedelta(days=days) if days else None
    since_text = to_db(since) if since else None
    async with request.app[db_key].read() as conn:
        summary = await follow_lists.ended_summary(conn, direction, since=since_text)
        seek, page = seek_from(request.query, size=ENDED_PAGE_SIZE, total=summary.total)
        ended = await follow_lists.list_ended(conn, direction, since=since_text, seek=seek)
        list_size = await follow_lists.count_current(conn, direction)
        first: datetime | None = await follow_lists.first_period_start(conn, direction)
        suspected = await removals.list_removals(conn, direction, "suspected")
        held = await removals.list_removals(conn, direction, "held")
        shown = [e.username for e in ended.rows] + [r.username for r in (*suspected, *held)]
        badges = await badges_for(request, conn, shown)
    start = since or first or now
    weeks = max((now - start).total_seconds() / (7 * 86400), 1 / 7)
    rows = ended.rows
    paging = pager(request.path, {"who": who, "range": period}, seek, page,
                   pages=pages_of(summary.total, ENDED_PAGE_SIZE), found=ended)  # fmt: skip
    return {"active": "users", "tab": "unfollowed", "who": who, "who_label": label, "period": period,
            "ended": rows, "pager": paging, "insights": insights(summary, list_size, weeks),
            "list_size": list_size, "suspected": suspected, "held": held, "can_review": can_review(request),
            "ranges": RANGES, "whos": WHO, "badges": badges}  # fmt: skip


@requires(Permission.VIEW_USERS)
async def users_unfollowed(request: web.Request) -> web.StreamResponse:
    who = request.query.get("who", "them")
    period = request.query.get("range", "30d")
    context = await _unfollowed_context(
        request, who if who in WHO else "them", period if period in RANGES else "30d"
    )
    return await respond(request, "users/unfollowed.html", context, page_json.unfollowed)


async def _queue(request: web.Request, kind: str, back: str) -> web.StreamResponse:
    ((task_id, new),) = await ext_store.queue_scrapes(request.app[db_key], lists=[kind], by=_user(request))
    message = (
        f"Update of the {kind} list queued (task {task_id}). The run happens in the Chrome extension: "
        "it picks the task up within a minute while your browser is open, and the result appears here."
        if new
        else f"An update of the {kind} list is already waiting (task {task_id})."
    )
    await sessions.flash(request, message)
    raise web.HTTPSeeOther(back)


@requires(Permission.SCRAPE_PROFILES)
async def users_following_update(request: web.Request) -> web.StreamResponse:
    return await _queue(request, "following", "/users/following")


@requires(Permission.SCRAPE_PROFILES)
async def users_followers_update(request: web.Request) -> web.StreamResponse:
    return await _queue(request, "followers", "/users/followers")


def _require_review(request: web.Request) -> None:
    if not can_review(request):
        raise Forbidden("Resolving removals needs the 'manage_priorities' or 'manage_users' permission.")


async def _back(request: web.Request, message: str) -> web.StreamResponse:
    await sessions.flash(request, message)
    referer = request.headers.get("Referer", "")
    target = "/users/unfollowed"
    for path in ("/users/unfollowed", "/users/following", "/users/followers"):
        if path in referer:
            target = referer[referer.index(path) :]
    raise web.HTTPSeeOther(target)


@requires(Access.AUTHENTICATED)
async def users_removal_confirm(request: web.Request) -> web.StreamResponse:
    """Suspected: confirm the unfollow now. Held: let it through as an ordinary suspicion."""
    _require_review(request)
    removal_id = route_id(request, "removal_id")
    async with request.app[db_key].transaction() as conn:
        state = await removals.get_removal_state(conn, removal_id)
        if state is None:
            raise NotFound(f"No removal {removal_id}.")
        if state[0] == "held":
            done = await removals.release_held(conn, removal_id)
            message = "Released: it is now a suspected unfollow, confirmed by the next complete run."
        else:
            done = await removals.confirm_suspected(conn, removal_id, by=_user(request))
            message = "Unfollow confirmed."
    return await _back(request, message if done else "That removal was already settled.")


@requires(Access.AUTHENTICATED)
async def users_removal_revert(request: web.Request) -> web.StreamResponse:
    _require_review(request)
    removal_id = route_id(request, "removal_id")
    async with request.app[db_key].transaction() as conn:
        done = await removals.dismiss(conn, removal_id, by=_user(request))
    return await _back(
        request, "Removal dismissed; the follow stays." if done else "That removal was already settled."
    )


@requires(Access.AUTHENTICATED)
async def users_snapshot_revert(request: web.Request) -> web.StreamResponse:
    _require_review(request)
    snapshot_id = route_id(request, "snapshot_id")
    async with request.app[db_key].transaction() as conn:
        done = await removals.revert_snapshot(conn, snapshot_id, by=_user(request))
    message = f"Snapshot {snapshot_id} reverted: what it added or ended is undone."
    return await _back(request, message if done else f"Snapshot {snapshot_id} was already reverted.")
