"""Reading raised alerts for their people: the panel's notification centre (read marks, unread count,
the live toasts), each user's delivery choices, and the extension's desktop cursor.

A user's choice is a row in alert_preferences per channel ('panel' or 'desktop') and alert kind; no row
means wanted. Only the kinds a user wants on the panel are counted, listed and toasted for them.
An alert is read for a user when it is at or below their "read through" mark (Mark all read) or has a
row of its own in alert_reads (Mark read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from service.alert_rules import KIND_LABELS
from service.clock import from_db, now_db, to_db
from service.store.db import Connection

# The alert kinds, in the order the panel lists them, with their names for people (one list: alert_rules).
ALERT_KINDS: dict[str, str] = KIND_LABELS
CHANNELS = ("panel", "desktop")
# The header's count stops here ("99+"): it runs on every page, so it never counts more than this.
COUNT_CAP = 99


@dataclass(frozen=True, slots=True)
class InboxAlert:
    id: int
    kind: str
    raised_at: datetime
    title: str
    body: str
    url: str | None
    username: str | None  # the person the alert is about, if any
    quiet: bool
    read: bool

    @property
    def kind_label(self) -> str:
        return ALERT_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class Bell:
    unread: int  # capped at COUNT_CAP + 1
    latest_id: int  # the newest alert's id (0: none yet): where the page's live toasts start


_UNWANTED_ON_PANEL = (
    "NOT EXISTS (SELECT 1 FROM alert_preferences p WHERE p.user_id = :user AND p.channel = 'panel' "
    "AND p.kind = a.kind AND p.wanted = 0)"
)
_MARK = "coalesce((SELECT m.through_id FROM alert_read_marks m WHERE m.user_id = :user), 0)"
_IS_READ = (
    "(a.id <= "  # noqa: S608 - constants only
    + _MARK
    + " OR EXISTS (SELECT 1 FROM alert_reads r WHERE r.user_id = :user AND r.alert_id = a.id))"
)
_SELECT = (
    "SELECT a.id, a.kind, a.raised_at, a.title, a.body, a.url, a.quiet, pe.username, "  # noqa: S608 - constants only
    + _IS_READ
    + " AS is_read FROM alerts a LEFT JOIN persons pe ON pe.id = a.person_id "
)


def _alert(row: aiosqlite.Row) -> InboxAlert:
    return InboxAlert(
        id=row["id"],
        kind=row["kind"],
        raised_at=from_db(row["raised_at"]),
        title=row["title"],
        body=row["body"],
        url=row["url"],
        username=row["username"],
        quiet=bool(row["quiet"]),
        read=bool(row["is_read"]),
    )


# --------------------------------------------------------------------------- the panel


async def bell(conn: Connection, user_id: int, *, since: datetime) -> Bell:
    """The header's figures in one statement: unread alerts raised since `since` of the kinds this
    user wants on the panel (a range of the rowid past the user's read-through mark and of
    idx_alerts_raised, primary-key probes for single read marks and choices, stopping after
    COUNT_CAP + 1), and the newest alert id (the rowid's maximum)."""
    rows = await conn.execute_fetchall(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM alerts a WHERE a.raised_at >= :since "
        "  AND a.id > coalesce((SELECT m.through_id FROM alert_read_marks m WHERE m.user_id = :user), 0) "
        "  AND NOT EXISTS (SELECT 1 FROM alert_reads r WHERE r.user_id = :user AND r.alert_id = a.id) "
        "  AND NOT EXISTS (SELECT 1 FROM alert_preferences p WHERE p.user_id = :user AND p.channel = 'panel' "
        "    AND p.kind = a.kind AND p.wanted = 0) LIMIT :cap)), "
        "(SELECT coalesce(max(id), 0) FROM alerts)",
        {"since": to_db(since), "user": user_id, "cap": COUNT_CAP + 1},
    )
    unread, latest = next(iter(rows))
    return Bell(unread=int(unread), latest_id=int(latest))


async def list_for_user(
    conn: Connection, user_id: int, *, before_id: int | None, limit: int, unread_only: bool = False
) -> list[InboxAlert]:
    """Alerts of the kinds this user wants on the panel, newest first, older than `before_id`."""
    where = [_UNWANTED_ON_PANEL]
    if before_id is not None:
        where.append("a.id < :before")
    if unread_only:
        where.append("NOT " + _IS_READ)
    rows = await conn.execute_fetchall(
        _SELECT + "WHERE " + " AND ".join(where) + " ORDER BY a.id DESC LIMIT :limit",
        {"user": user_id, "before": before_id, "limit": limit},
    )
    return [_alert(row) for row in rows]


async def new_for_user(conn: Connection, user_id: int, *, after_id: int, limit: int) -> list[InboxAlert]:
    """Alerts newer than `after_id`, oldest first, of the kinds this user wants on the panel."""
    rows = await conn.execute_fetchall(
        _SELECT + f"WHERE a.id > :after AND {_UNWANTED_ON_PANEL} ORDER BY a.id LIMIT :limit",
        {"user": user_id, "after": after_id, "limit": limit},
    )
    return [_alert(row) for row in rows]


async def latest_id(conn: Connection) -> int:
    rows = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM alerts")
    return int(next(iter(rows))[0])


async def alert_exists(conn: Connection, alert_id: int) -> bool:
    rows = await conn.execute_fetchall("SELECT 1 FROM alerts WHERE id = :id", {"id": alert_id})
    return bool(list(rows))


async def mark_read(conn: Connection, user_id: int, alert_id: int) -> bool:
    """True if the alert was unread for this user (and now is read)."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO alert_reads (user_id, alert_id, read_at) "  # noqa: S608 - constants only
        "SELECT :user, a.id, :now FROM alerts a WHERE a.id = :alert AND a.id > " + _MARK,
        {"user": user_id, "alert": alert_id, "now": now_db()},
    )
    return cursor.rowcount == 1


async def mark_all_read(conn: Connection, user_id: int, *, through_id: int) -> int:
    """Mark every alert up to `through_id` (the newest the user was shown) read: the user's mark moves
    there (never back) and the single read marks it covers go. How many were unread. An alert raised
    after the page was drawn stays unread."""
    rows = await conn.execute_fetchall(
        "SELECT count(*) FROM alerts a WHERE a.id <= :through AND NOT " + _IS_READ,  # noqa: S608 - constants only
        {"user": user_id, "through": through_id},
    )
    unread = int(next(iter(rows))[0])
    await conn.execute(
        "INSERT INTO alert_read_marks (user_id, through_id, updated_at) VALUES (:user, :through, :now) "
        "ON CONFLICT (user_id) DO UPDATE SET through_id = max(through_id, excluded.through_id), "
        "updated_at = excluded.updated_at",
        {"user": user_id, "through": through_id, "now": now_db()},
    )
    await conn.execute(
        "DELETE FROM alert_reads WHERE user_id = :user AND alert_id <= "
        "(SELECT through_id FROM alert_read_marks WHERE user_id = :user)",
        {"user": user_id},
    )
    return unread


# --------------------------------------------------------------------------- choices


async def get_preferences(conn: Connection, user_id: int) -> dict[tuple[str, str], bool]:
    """(channel, kind) → wanted, for every channel and known kind (no row = wanted)."""
    chosen = {(channel, kind): True for channel in CHANNELS for kind in ALERT_KINDS}
    rows = await conn.execute_fetchall(
        "SELECT channel, kind, wanted FROM alert_preferences WHERE user_id = :user", {"user": user_id}
    )
    for channel, kind, wanted in rows:
        chosen[(channel, kind)] = bool(wanted)
    return chosen


async def set_preferences(conn: Connection, user_id: int, wanted: dict[tuple[str, str], bool]) -> None:
    """Store a choice for each (channel, kind) given; a wanted one is stored too, so the row says so."""
    for (channel, kind), value in wanted.items():
        await conn.execute(
            "INSERT INTO alert_preferences (user_id, channel, kind, wanted) "
            "VALUES (:user, :channel, :kind, :w) "
            "ON CONFLICT (user_id, channel, kind) DO UPDATE SET wanted = excluded.wanted",
            {"user": user_id, "channel": channel, "kind": kind, "w": int(value)},
        )


# --------------------------------------------------------------------------- the extension


@dataclass(frozen=True, slots=True)
class DesktopBatch:
    alerts: list[InboxAlert]
    # Every alert up to here was considered (shown in this batch, or passed over: quiet, too old, a kind
    # nobody wants on the desktop, raised before pairing); the extension acknowledges it once shown.
    last_id: int
    cursor: int
    more: bool  # this batch was full and newer alerts remain: ask again at once


async def desktop_unwanted_kinds(conn: Connection) -> list[str]:
    """Kinds that every enabled panel user turned off on the desktop.

    A paired extension is not tied to a panel account (a code from Admin › Extension or `mhc pair`
    pairs a browser, not a person), so the desktop shows the union of everyone's desktop choices.
    """
    rows = await conn.execute_fetchall(
        "SELECT p.kind FROM alert_preferences p JOIN system_users u ON u.id = p.user_id AND u.disabled = 0 "
        "WHERE p.channel = 'desktop' AND p.wanted = 0 GROUP BY p.kind "
        "HAVING count(*) = (SELECT count(*) FROM system_users WHERE disabled = 0)"
    )
    return [str(row[0]) for row in rows]


async def desktop_batch(
    conn: Connection, client_id: int, *, not_before: datetime, limit: int
) -> DesktopBatch:
    """The next alerts this extension should show, after its cursor (never quiet ones).

    Without a cursor yet (never acknowledged), it starts at its pairing: a newly paired browser is not
    flooded with the past. Alerts raised before `not_before` are passed over (a browser closed for a
    week gets the recent alerts, not a week of them).
    """
    rows = await conn.execute_fetchall(
        "SELECT c.last_alert_id, e.paired_at, (SELECT coalesce(max(id), 0) FROM alerts) "
        "FROM ext_clients e LEFT JOIN ext_alert_cursors c ON c.client_id = e.id WHERE e.id = :client",
        {"client": client_id},
    )
    cursor_id, paired_at, newest = next(iter(rows))
    cursor = int(cursor_id or 0)
    start = to_db(not_before) if cursor_id is not None else max(to_db(not_before), str(paired_at))
    unwanted = await desktop_unwanted_kinds(conn)
    found = await conn.execute_fetchall(
        "SELECT a.id, a.kind, a.raised_at, a.title, a.body, a.url, a.quiet, pe.username, 0 AS is_read "
        "FROM alerts a LEFT JOIN persons pe ON pe.id = a.person_id "
        "WHERE a.id > :cursor AND a.id <= :newest AND a.quiet = 0 AND a.raised_at >= :start "
        "AND a.kind NOT IN (SELECT value FROM json_each(:unwanted)) ORDER BY a.id LIMIT :limit",
        {
            "cursor": cursor,
            "newest": newest,
            "start": start,
            "unwanted": json.dumps(unwanted),
            "limit": limit,
        },
    )
    alerts = [_alert(row) for row in found]
    full = len(alerts) == limit
    last_id = alerts[-1].id if full else max(int(newest), cursor)
    return DesktopBatch(alerts=alerts, last_id=last_id, cursor=cursor, more=full and last_id < int(newest))


async def advance_desktop_cursor(conn: Connection, client_id: int, last_id: int) -> int:
    """Move this extension's cursor to `last_id`, never backwards; the cursor as stored now."""
    await conn.execute(
        "INSERT INTO ext_alert_cursors (client_id, last_alert_id, updated_at) VALUES (:client, :last, :now) "
        "ON CONFLICT (client_id) DO UPDATE SET last_alert_id = max(last_alert_id, excluded.last_alert_id), "
        "updated_at = excluded.updated_at",
        {"client": client_id, "last": last_id, "now": now_db()},
    )
    rows = await conn.execute_fetchall(
        "SELECT last_alert_id FROM ext_alert_cursors WHERE client_id = :client", {"client": client_id}
    )
    return int(next(iter(rows))[0])
