"""Stats API snapshots of the broadcaster: each distinct one kept, repeats only touch the time."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from service.store import person_state
from service.store.db import Connection
from service.store.persons import ensure_persons


@dataclass(frozen=True, slots=True)
class StatsRow:
    username: str
    token_balance: int
    tips_in_last_hour: int
    votes_up: int
    votes_down: int
    satisfaction_score: float
    last_broadcast: str | None
    time_online: int | None
    num_followers: int
    num_viewers: int
    num_registered_viewers: int
    num_tokened_viewers: int | None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LatestStats:
    fetched_at: str
    last_fetched_at: str
    time_online: int | None
    fingerprint: str


async def latest(conn: Connection, username: str) -> LatestStats | None:
    async with conn.execute(
        "SELECT fetched_at, last_fetched_at, time_online, fingerprint FROM stats_snapshots "
        "WHERE username = :u ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
        {"u": username},
    ) as cursor:
        row = await cursor.fetchone()
    return LatestStats(*tuple(row)) if row else None


async def record_snapshot(conn: Connection, row: StatsRow, *, fetched_at: str) -> bool:
    """Store the snapshot unless it repeats the latest one; True if a new row was written.

    The broadcaster's follower count also goes to follower_history, and their person_state row
    is refreshed, in this transaction.
    """
    fingerprint = row.fingerprint()
    previous = await latest(conn, row.username)
    if previous is not None and previous.fingerprint == fingerprint:
        await conn.execute(
            "UPDATE stats_snapshots SET last_fetched_at = :at WHERE username = :u AND fingerprint = :f "
            "AND last_fetched_at = :prev",
            {"at": fetched_at, "u": row.username, "f": fingerprint, "prev": previous.last_fetched_at},
        )
        new = False
    else:
        await conn.execute(
            "INSERT INTO stats_snapshots (username, fetched_at, last_fetched_at, fingerprint, "
            "token_balance, tips_in_last_hour, votes_up, votes_down, satisfaction_score, "
            "last_broadcast, time_online, num_followers, num_viewers, num_registered_viewers, "
            "num_tokened_viewers) VALUES (:username, :at, :at, :fingerprint, :token_balance, "
            ":tips_in_last_hour, :votes_up, :votes_down, :satisfaction_score, :last_broadcast, "
            ":time_online, :num_followers, :num_viewers, :num_registered_viewers, :num_tokened_viewers)",
            {**asdict(row), "at": fetched_at, "fingerprint": fingerprint},
        )
        new = True
    person_id = (await ensure_persons(conn, [row.username]))[row.username]
    await conn.execute(
        "INSERT OR IGNORE INTO follower_history (person_id, observed_at, source, followers) "
        "VALUES (:p, :at, 'stats', :n)",
        {"p": person_id, "at": fetched_at, "n": row.num_followers},
    )
    await person_state.refresh(conn, [person_id])
    return new
