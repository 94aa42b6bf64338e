"""Each panel page's data as JSON: explicit documents built from the context its handler renders.

Keys are stable and spelled out here (never a model dumped whole), times are UTC text, there is no
HTML, and a list says how to reach the next page. Anonymous tippers stay hidden exactly as the page
hides them: event rows come from event_views.event_row, which drops the name before it gets here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from service.fan_tiers import Tier
from service.store.directory import PersonState
from service.store.fans import FanRow
from service.web import relations, report_view
from service.web.json_view import iso

# person_state values that carry the source and time they came from.
SOURCED = ("display_name", "age", "gender", "followers", "rank", "tags")


def _sources(state: PersonState) -> dict[str, dict[str, str | None]]:
    sources = {name: (getattr(state, f"{name}_source"), getattr(state, f"{name}_at")) for name in SOURCED}
    sources["is_live"] = (state.live_source, state.live_at)
    return {name: {"source": source, "at": at} for name, (source, at) in sources.items() if source}


def person_state(state: PersonState) -> dict[str, Any]:
    """A person's Directory values, each with the source it came from (see `sources`)."""
    return {
        "username": state.username, "role": state.role, "display_name": state.display_name,
        "age": state.age, "gender": state.gender, "is_live": state.is_live,
        "current_show": state.current_show, "followers": state.followers, "rank": state.rank,
        "tags": list(state.tags), "image_url": state.image_url,
        "image_path": f"/images/{state.image_sha256}" if state.image_sha256 else None,
        "priority": state.priority, "lookup_status": state.lookup_status,
        "last_seen_at": state.last_seen_at, "events_count": state.events_count,
        "snapshot_count": state.snapshot_count, "sources": _sources(state),
    }  # fmt: skip


def event(row: dict[str, Any]) -> dict[str, Any]:
    """One event_views.event_row: `username` is null when the page shows "anonymous"."""
    return {"id": row["id"], "at": iso(row["at"]), "method": row["method"], "label": row["label"],
            "username": row["username"], "anonymous": row["anonymous"], "shown_name": row["shown_name"],
            "tokens": row["tokens"], "message": row["message"]}  # fmt: skip


def directory(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    query, result = context["query"], context["result"]
    flt = query.flt

    def url(page: int) -> str | None:
        return request.path + query.url(page=page) if 1 <= page <= result.pages else None

    return {
        "filters": {"role": flt.role or "all", "q": query.raw_search, "tags": list(flt.tags),
                    "sort": flt.sort, "dir": "desc" if flt.descending else "asc"},
        "valid_search": context["valid_search"], "unknown_person": context["offer_queue"],
        "total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
        "prev_url": url(result.page - 1), "next_url": url(result.page + 1),
        "persons": [person_state(row) for row in result.rows],
    }  # fmt: skip


def _snapshot(snapshot: Any) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {"id": snapshot.id, "complete": snapshot.complete, "abort_reason": snapshot.abort_reason,
            "status": snapshot.status, "names": snapshot.names, "started_at": iso(snapshot.started_at),
            "finished_at": iso(snapshot.finished_at), "added": snapshot.added,
            "suspected": snapshot.suspected, "confirmed": snapshot.confirmed,
            "held": snapshot.held}  # fmt: skip


def follow_list(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """Users › Following and Users › Followers (`type` filters followers by role, as on the page)."""
    params = {"type": context["show"]} if context["tab"] == "followers" else {}
    return {
        "list": context["tab"], **params, "total": context["total"], **_pager(context["pager"]),
        "last_run": _snapshot(context["last_run"]),
        "suspected_count": context["suspected_count"], "held_count": context["held_count"],
        "follows": [{**person_state(row.state), "since": iso(row.since), "since_source": row.source}
                    for row in context["rows"]],
    }  # fmt: skip


def _pager(pager: Any) -> dict[str, Any]:
    """A keyset-paged list's place and links (follow `next_url`; the links carry the page's cursor)."""
    return {"page": pager.page, "pages": pager.pages, "prev_url": pager.prev_url, "next_url": pager.next_url,
            "first_url": pager.first_url, "last_url": pager.last_url}  # fmt: skip


def _removal(removal: Any) -> dict[str, Any]:
    return {"id": removal.id, "username": removal.username, "role": removal.role,
            "followed_at": iso(removal.since), "missing_since": iso(removal.missing_since),
            "snapshot_id": removal.snapshot_id}  # fmt: skip


def unfollowed(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """Users › Unfollowed: ended follow periods with the days each lasted, and pending removals."""
    insights = context["insights"]
    return {
        "who": context["who"], "who_label": context["who_label"], "range": context["period"],
        "list_size": context["list_size"],
        "insights": {"total": insights["total"], "average_days": insights["average_days"],
                     "unfollows_per_100_per_week": insights["rate"]},
        **_pager(context["pager"]),
        "unfollowed": [{"username": e.username, "role": e.role, "followed_at": iso(e.started_at),
                        "unfollowed_at": iso(e.ended_at), "days_followed": e.days, "source": e.end_source}
                       for e in context["ended"]],
        "suspected": [_removal(r) for r in context["suspected"]],
        "held": [_removal(r) for r in context["held"]],
    }  # fmt: skip


_STATBATE_MODEL = ("fetched_at", "rank", "sessions_count", "sessions_average_duration", "income_tokens",
                   "income_usd")  # fmt: skip
_STATBATE_MEMBER = ("fetched_at", "all_time_tokens", "first_tip_date", "last_tip_date", "last_tip_amount",
                    "models_tipped_2weeks", "models_messaged_2weeks")  # fmt: skip


def _pick(record: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    return {key: record.get(key) for key in keys} if record else None


def _history(history: dict[str, dict[str, list[tuple[str, int | None]]]]) -> dict[str, Any]:
    """The points the page's charts are drawn from, as stored: [time, value]; a null value after an
    Affiliate session ends that session's line."""

    def points(rows: list[tuple[str, int | None]]) -> list[list[str | int | None]]:
        return [[at, value] for at, value in rows]

    return {"followers": {source: points(rows) for source, rows in history["followers"].items()},
            "rank": points(history["ranks"].get("rank", [])),
            "global_rank": points(history["ranks"].get("grank", []))}  # fmt: skip


def profile(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The Profile page's values, and the history its charts draw (for the page's `days` window)."""
    person, follow, statbate = context["person"], context["follow"], context["statbate"]
    return {
        "person": {"username": person.username, "role": person.role,
                   "first_seen_at": person.first_seen_at, "last_seen_at": person.last_seen_at},
        "has_state": context["has_state"], "state": person_state(context["state"]),
        "follow": {"following_since": follow.following_since, "unfollowed_at": follow.unfollowed_at,
                   "follower_since": follow.follower_since, "unfollower_at": follow.unfollower_at},
        "fan": _fan(context["fan"], context["fan_weeks"]),
        "session_count": context["session_count"],
        "sessions": [{"session_start": s.session_start, "last_seen_at": s.last_seen_at, "seconds": s.seconds,
                      "peak_viewers": s.peak_viewers, "followers_start": s.followers_start,
                      "followers_latest": s.followers_latest, "current_show": s.current_show,
                      "room_subject": s.room_subject, "tags": list(s.tags)} for s in context["sessions"]],
        "statbate": {"model": _pick(statbate["model"], _STATBATE_MODEL),
                     "member": _pick(statbate["member"], _STATBATE_MEMBER),
                     "tips": [{"tipped_at": t["tipped_at"], "model": t["model"], "tokens": t["tokens"],
                               "usd": t["usd"]} for t in statbate["tips"]],
                     "tips_requested_at": statbate["tips_requested_at"]},
        "history": {"window_days": context["window"], **_history(context["history"])},
        "records": context["records"],
        "lists": relations.lists_json(context["memberships"]),
        "notes": relations.notes_json(context["notes"]),
    }  # fmt: skip


def _fan(fan: Any, weeks: list[tuple[Any, int]]) -> dict[str, Any] | None:
    """The fan card's figures: the ledger in the room, imported history kept apart by its own keys."""
    if fan is None:
        return None
    figures = {name: getattr(fan, name) for name in fan.__dataclass_fields__ if name != "recent"}
    figures = {name: iso(value) if isinstance(value, datetime) else value for name, value in figures.items()}
    return {
        **figures,
        "recent_tokens": {f"{days}d": tokens for days, tokens in fan.recent.items()},
        "tokens_per_week": [{"week": monday.isoformat(), "tokens": tokens} for monday, tokens in weeks],
    }


def broadcast(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """One broadcast: its figures against the previous ten, tippers, follows, visitors, timeline."""
    b, figures = context["broadcast"], context["figures"]
    return {
        "broadcast": {"id": b.id, "started_at": iso(b.started_at), "ended_at": iso(b.ended_at),
                      "end_reason": b.end_reason, "live": b.live, "restarts": b.restarts,
                      "figures": {key: b.figures.get(key) for key in figures},
                      "averages": {key: b.averages.get(key) for key in figures}},
        "revealed": context["reveal"],
        "tippers": [{"username": t.username, "anonymous": t.username is None, "tips": t.tips,
                     "tokens": t.tokens} for t in context["tippers"]],
        "follows": [event(row) for row in context["follows"]],
        "visitors": [{"username": v.username, "visits": v.visits, "events": v.events,
                      "first_at": iso(v.first_at), "new": v.new, "tokens": v.tokens,
                      "lifetime_tokens": v.lifetime_tokens} for v in context["visitors"]],
        "timeline": [event(row) for row in context["timeline"]],
        "summary": report_view.summary_json(context["summary"]),
    }  # fmt: skip


def room(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The Room page: the weekly digest and the broadcasts, newest first, against the ten before each."""
    figures = context["figures"]
    return {
        "live_broadcast_id": context["live"].id if context["live"] else None,
        "digest": report_view.summary_json(context["digest"]),
        "broadcasts": [{"id": b.id, "started_at": iso(b.started_at), "ended_at": iso(b.ended_at),
                        "figures": {key: b.figures.get(key) for key in figures}}
                       for b in context["broadcasts"]],
    }  # fmt: skip


def events(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The Events page, newest first, keyset-paged: `next_url` continues before the last row."""
    rows, query = context["rows"], context["query"]
    return {
        "filters": query.params(), "revealed": context["reveal"],
        "next_before": rows[-1]["id"] if context["older_url"] else None,
        "next_url": context["older_url"], "newest_url": context["newest_url"],
        "stream": _stream(context["stream"]),
        "events": [event(row) for row in rows],
    }  # fmt: skip


def _stream(state: Any) -> dict[str, Any] | None:
    """The Events stream's status line (None: never configured)."""
    if state is None:
        return None
    return {"state": state.state, "detail": state.detail, "until": iso(state.until),
            "stalled": state.stalled, "last_event_at": iso(state.last_event_at),
            "last_poll_at": iso(state.last_poll_at)}  # fmt: skip


def fan_lists(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """Users › Lists: every list with its member count and (the newest `shown` of) its members."""
    return {
        "members_shown_per_list": context["shown"],
        "lists": [{"id": x.fan_list.id, "name": x.fan_list.name, "builtin": x.fan_list.builtin,
                   "created_at": iso(x.fan_list.created_at), "member_count": x.fan_list.member_count,
                   "members": [{"username": m.username, "added_at": iso(m.added_at), "added_by": m.added_by}
                               for m in x.members]}
                  for x in context["lists"]],
    }  # fmt: skip


def tier(value: Tier | None) -> dict[str, Any] | None:
    """A spend tier as JSON (any page that shows a badge): its name, rank (1 = lowest) and threshold."""
    return None if value is None else {"name": value.name, "rank": value.rank, "threshold": value.threshold}


def fan_row(row: FanRow) -> dict[str, Any]:
    return {"username": row.username, "tier": tier(row.tier), "lifetime_tokens": row.lifetime,
            "tokens_30_days": row.d30, "tokens_7_days": row.d7, "tips": row.tips,
            "biggest_tip": row.biggest_tip, "visits": row.visits, "broadcasts_attended": row.broadcasts,
            "imported_tokens": row.imported_tokens, "first_seen_at": row.first_seen_at,
            "last_seen_at": row.last_seen_at, "first_tip_at": row.first_tip_at,
            "last_tip_at": row.last_tip_at, "follower_since": row.follower_since,
            "fanclub_since": row.fanclub_since}  # fmt: skip


def fans(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """Users › Fans: the page's rows, the smart lists with their counts and rules, the tiers."""
    query, result = context["query"], context["result"]
    flt = query.flt

    def url(page: int) -> str | None:
        return request.path + query.url(page=page) if 1 <= page <= result.pages else None

    return {
        "filters": {"list": flt.smart, "tier": flt.tier, "rel": flt.list_id, "q": query.raw_search,
                    "sort": flt.sort, "dir": "desc" if flt.descending else "asc"},
        "valid_search": context["valid_search"],
        "total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
        "prev_url": url(result.page - 1), "next_url": url(result.page + 1),
        "lists": [{"key": s.key, "label": s.label, "count": context["counts"][s.key],
                   "rule": context["explain"][s.key]} for s in context["lists"]],
        "tiers": [tier(t) for t in context["rules"].tiers.tiers],
        "fans": [fan_row(row) for row in result.rows],
    }  # fmt: skip


def live_room(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The live room: state (live, no_broadcast, not_configured) with its sentence, the open broadcast's
    totals against its average, who is in the room (tier first), the latest tips (anonymous ones
    without a name) and departures."""
    return dict(context["room"])


def alerts(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The notification centre: the user's alerts newest first, keyset-paged by id like the Events page."""
    rows = context["rows"]
    return {
        "unread_only": context["unread_only"], "newest_id": context["through"],
        "next_before": rows[-1]["id"] if context["older_url"] else None, "next_url": context["older_url"],
        "alerts": [{"id": row["id"], "kind": row["kind"], "raised_at": iso(row["raised_at"]),
                    "title": row["title"], "body": row["body"], "link": row["link"],
                    "username": row["username"], "quiet": row["quiet"], "read": row["read"]}
                   for row in rows],
    }  # fmt: skip


def _cell(cell: Any) -> dict[str, Any]:
    per_hour = None if cell.per_hour is None else round(cell.per_hour, 3)
    return {"weekday": cell.weekday, "hour": cell.hour, "hours": round(cell.hours, 3), "total": cell.total,
            "per_hour": per_hour, "thin": cell.thin}  # fmt: skip


def _group(group: Any) -> dict[str, Any]:
    return {"label": group.label, "broadcasts": group.broadcasts, "hours": round(group.hours, 3),
            "follows": group.follows, "unfollows": group.unfollows}  # fmt: skip


def room_insights(_request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """Room › Insights: every number the four charts draw (hours in UTC, as the page says)."""
    found = context["insights"]
    maps, shares = found.maps, found.shares
    return {
        "time_zone": found.zone_name, "thin_hours": context["thin_hours"],
        "when_to_go_live": {"broadcast_hours": round(maps.broadcast_hours, 3),
                            "cbhours_only_hours": round(maps.cbhours_hours, 3),
                            "tokens": [_cell(c) for c in maps.tokens],
                            "followers": [_cell(c) for c in maps.followers]},
        "retention": {
            "cohorts": [{"week": c.week.isoformat(), "started": c.started,
                         "after": {str(cell.weeks): {"retained": cell.retained, "share": cell.share,
                                                     "in_gap": cell.in_gap} for cell in c.cells}}
                        for c in found.cohorts],
            "gaps": [{"start": iso(g.start), "end": iso(g.end), "reason": g.reason} for g in found.gaps],
        },
        "what_moves_followers": {
            "by_start_hour": [_group(g) for g in found.by_start_hour],
            "by_duration": [_group(g) for g in found.by_duration],
            "unfollow_clusters": [{"broadcast_id": c.broadcast_id, "started_at": iso(c.started_at),
                                   "ended_at": iso(c.ended_at), "unfollows_24h": c.unfollows_24h}
                                  for c in found.clusters],
        },
        "fan_economy": {
            "fans": shares.fans, "total_tokens": shares.total,
            "top1": {"fans": shares.top1_fans, "tokens": shares.top1_tokens},
            "top10": {"fans": shares.top10_fans, "tokens": shares.top10_tokens},
            "tipper_weeks": [{"week": w.week, "tippers": w.tippers, "new": w.new,
                              "returning": w.tippers - w.new} for w in found.tipper_weeks],
        },
    }  # fmt: skip
