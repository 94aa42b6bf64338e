"""Reading broadcasts, their summaries against the previous ten, and who did what in each.

Account figures come from the Stats API snapshots another part of the service stores in
`stats_snapshots`; when that table does not exist (yet) those reads return nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service.clock import from_db, to_db
from service.store.db import Connection

FIGURES = (
    "duration_seconds", "tokens", "tips", "unique_tippers", "biggest_tip", "new_followers",
    "unfollows", "fanclub_joins", "unique_visitors", "peak_viewers", "avg_viewers",
)  # fmt: skip
STATS_TABLE = "stats_snapshots"
STATS_TIME = "fetched_at"
STATS_FIGURES = (
    "token_balance", "num_followers", "num_viewers", "satisfaction_score", "votes_up", "votes_down",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    last_event_at: datetime
    restarts: int
    figures: dict[str, float | None]  # FIGURES → value
    averages: dict[str, float | None]  # FIGURES → average of the previous 10 broadcasts (None: none)

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def change(self, figure: str) -> float | None:
        """Relative change against the previous ten's average (0.25 = 25 % above), None if unknown."""
        value, average = self.figures.get(figure), self.averages.get(figure)
        if value is None or average is None or average == 0:
            return None
        return (value - average) / average


def _window(figure: str) -> str:
    window = "ORDER BY started_at, id ROWS BETWEEN 10 PRECEDING AND 1 PRECEDING"
    return f"avg({figure}) OVER ({window}) AS avg_{figure}"


_LIST = f"SELECT *, {', '.join(_window(f) for f in FIGURES)} FROM broadcasts"  # noqa: S608 - fixed names


def _broadcast(row: Any) -> Broadcast:
    return Broadcast(
        id=row["id"], started_at=from_db(row["started_at"]),
        ended_at=from_db(row["ended_at"]) if row["ended_at"] else None, end_reason=row["end_reason"],
        last_event_at=from_db(row["last_event_at"]), restarts=row["restarts"],
        figures={f: row[f] for f in FIGURES}, averages={f: row[f"avg_{f}"] for f in FIGURES},
    )  # fmt: skip


async def list_broadcasts(conn: Connection, *, limit: int = 50) -> list[Broadcast]:
    """Newest first, each with the averages of the ten before it."""
    sql = f"SELECT * FROM ({_LIST}) ORDER BY started_at DESC, id DESC LIMIT :limit"  # noqa: S608 - fixed names
    async with conn.execute(sql, {"limit": limit}) as cursor:
        return [_broadcast(row) for row in await cursor.fetchall()]


async def get_broadcast(conn: Connection, broadcast_id: int) -> Broadcast | None:
    sql = f"SELECT * FROM ({_LIST}) WHERE id = :id"  # noqa: S608 - fixed names
    async with conn.execute(sql, {"id": broadcast_id}) as cursor:
        row = await cursor.fetchone()
    return _broadcast(row) if row else None


async def open_broadcast(conn: Connection) -> Broadcast | None:
    async with conn.execute("SELECT id FROM broadcasts WHERE ended_at IS NULL") as cursor:
        row = await cursor.fetchone()
    return await get_broadcast(conn, int(row[0])) if row else None


@dataclass(frozen=True, slots=True)
class Tipper:
    username: str | None  # None: anonymous tips, grouped together
    tips: int
    tokens: int


async def top_tippers(conn: Connection, broadcast_id: int, *, reveal: bool, limit: int = 10) -> list[Tipper]:
    async with conn.execute(
        "SELECT CASE WHEN e.is_anon AND NOT :reveal THEN NULL ELSE p.username END AS name, "
        "count(*) AS tips, sum(e.tokens) AS tokens FROM room_events e "
        "LEFT JOIN persons p ON p.id = e.person_id WHERE e.broadcast_id = :id AND e.method = 'tip' "
        "GROUP BY name ORDER BY tokens DESC, name LIMIT :limit",
        {"id": broadcast_id, "reveal": int(reveal), "limit": limit},
    ) as cursor:
        return [Tipper(row["name"], row["tips"], row["tokens"]) for row in await cursor.fetchall()]


@dataclass(frozen=True, slots=True)
class Visitor:
    username: str
    visits: int
    first_at: datetime
    events: int
    new: bool  # first seen in the room during this broadcast
    tokens: int  # spent in this broadcast (tips and media, not anonymous ones)
    lifetime_tokens: int
    person_id: int


async def visitors(
    conn: Connection, broadcast_id: int, *, exclude: str, reveal: bool = False, limit: int = 500
) -> list[Visitor]:
    """Everyone seen in the broadcast (entered, chatted, tipped…), most active first. Someone whose only
    trace is an anonymous tip is listed only with `reveal`: the list would otherwise name the tipper."""
    async with conn.execute(
        "SELECT v.*, p.username, coalesce(st.first_seen_at >= b.started_at, 1) AS new, "
        "coalesce(a.tokens, 0) AS tokens, coalesce(st.lifetime_tokens, 0) AS lifetime "
        "FROM (SELECT e.person_id, count(CASE WHEN e.method = 'userEnter' THEN 1 END) AS visits, "
        "      min(e.at) AS first_at, count(*) AS events FROM room_events e "
        "      WHERE e.broadcast_id = :id AND e.person_id IS NOT NULL AND (:reveal OR NOT e.is_anon) "
        "      GROUP BY e.person_id) v "
        "JOIN persons p ON p.id = v.person_id JOIN broadcasts b ON b.id = :id "
        "LEFT JOIN person_room_stats st ON st.person_id = v.person_id "
        "LEFT JOIN broadcast_attendance a ON a.broadcast_id = :id AND a.person_id = v.person_id "
        "WHERE p.username <> :exclude ORDER BY v.events DESC, p.username LIMIT :limit",
        {"id": broadcast_id, "exclude": exclude, "reveal": int(reveal), "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Visitor(row["username"], row["visits"], from_db(row["first_at"]), row["events"], bool(row["new"]),
                row["tokens"], row["lifetime"], row["person_id"])
        for row in rows
    ]  # fmt: skip


async def stats_columns(conn: Connection) -> list[str]:
    """The account figures the Stats API table offers ([] while it does not exist)."""
    async with conn.execute("SELECT name FROM pragma_table_info(:table)", {"table": STATS_TABLE}) as cursor:
        present = {row[0] for row in await cursor.fetchall()}
    if STATS_TIME not in present:
        return []
    return [name for name in STATS_FIGURES if name in present]


async def account_stats(
    conn: Connection, *, since: datetime | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(latest snapshot, the one in force at `since`), each as figure → value."""
    columns = await stats_columns(conn)
    if not columns:
        return None, None
    # Only names checked against STATS_FIGURES reach the SQL text; values stay parameters.
    select = f"SELECT {', '.join(columns)}, {STATS_TIME} FROM {STATS_TABLE}"  # noqa: S608
    async with conn.execute(f"{select} ORDER BY {STATS_TIME} DESC LIMIT 1") as cursor:
        latest = await cursor.fetchone()
    before = None
    if since is not None:
        async with conn.execute(
            f"{select} WHERE {STATS_TIME} <= :since ORDER BY {STATS_TIME} DESC LIMIT 1",
            {"since": to_db(since)},
        ) as cursor:
            before = await cursor.fetchone()
    return (dict(latest) if latest else None), (dict(before) if before else None)


@dataclass(frozen=True, slots=True)
class StatsLive:
    """The Stats API's latest word that the room is live."""

    checked_at: datetime  # the last fetch that gave this answer
    minutes_online: int
    viewers: int


async def stats_live(conn: Connection, *, room: str, now: datetime, fresh: timedelta) -> StatsLive | None:
    """Whether the latest Stats API snapshot, fetched within `fresh` of `now`, says the room is live."""
    async with conn.execute(
        "SELECT last_fetched_at, time_online, num_viewers FROM stats_snapshots WHERE username = :room "
        "ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
        {"room": room},
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["time_online"] is None or from_db(row["last_fetched_at"]) < now - fresh:
        return None
    return StatsLive(from_db(row["last_fetched_at"]), int(row["time_online"]), int(row["num_viewers"]))
