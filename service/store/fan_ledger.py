"""The fan ledger's Events-side writes, and its recomputation from stored events and imported history.

The ledger is `person_room_stats` (per person), `broadcast_attendance` (per broadcast and person) and
`person_room_days` (per person and UTC day); migration 0012 describes each column. The Events batch keeps
it current inside its own transaction (`service.ingest.fan_ledger`); the token history import adds its
own rows. `differences` recomputes everything from `room_events` and `token_history` and lists where
the stored ledger disagrees, which `mhc check` reports and the tests use as the proof.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from service.clock import from_db, to_db
from service.store.db import Connection
from service.store.fans import Window

# Every query below counts the same events, "e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS
# NOT :broadcaster": the named, non-anonymous events of persons other than the broadcaster.


@dataclass(frozen=True, slots=True)
class Attendance:
    """One person's part in one broadcast, as a batch adds it."""

    broadcast_id: int
    person_id: int
    first_at: str
    tokens: int


async def attending(conn: Connection, broadcast_id: int, person_ids: Collection[int]) -> set[int]:
    """Which of these persons already attended the broadcast."""
    if not person_ids:
        return set()
    # One statement text whatever the count (prepared once per connection, not once per batch).
    sql = (
        "SELECT person_id FROM broadcast_attendance "
        "WHERE broadcast_id = :broadcast AND person_id IN (SELECT value FROM json_each(:persons))"
    )
    params = {"broadcast": broadcast_id, "persons": json.dumps(list(person_ids))}
    return {row[0] for row in await conn.execute_fetchall(sql, params)}


async def add_attendance(conn: Connection, rows: Iterable[Attendance]) -> None:
    await conn.executemany(
        "INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at, tokens) "
        "VALUES (:broadcast, :person, :first, :tokens) ON CONFLICT (broadcast_id, person_id) DO UPDATE SET "
        "first_at = min(first_at, excluded.first_at), tokens = tokens + excluded.tokens",
        [
            {"broadcast": a.broadcast_id, "person": a.person_id, "first": a.first_at, "tokens": a.tokens}
            for a in rows
        ],
    )


async def add_spending_days(conn: Connection, tokens_by_day: Mapping[tuple[int, str], int]) -> None:
    """Add tokens to (person id, UTC day) rows."""
    await conn.executemany(
        "INSERT INTO person_room_days (person_id, day, tokens) VALUES (:person, :day, :tokens) "
        "ON CONFLICT (person_id, day) DO UPDATE SET tokens = tokens + excluded.tokens",
        [
            {"person": person, "day": day, "tokens": tokens}
            for (person, day), tokens in tokens_by_day.items()
            if tokens > 0
        ],
    )


async def rebuild_attendance(
    conn: Connection, broadcast_ids: Collection[int], broadcaster_id: int | None
) -> None:
    """Recompute the attendance of broadcasts whose events changed wholesale (reopened, adopting events),
    and the attended counts of everyone in them before or after."""
    for broadcast_id in sorted(broadcast_ids):
        params = {"broadcast": broadcast_id, "broadcaster": broadcaster_id}
        before = await conn.execute_fetchall(
            "SELECT person_id FROM broadcast_attendance WHERE broadcast_id = :broadcast", params
        )
        await conn.execute("DELETE FROM broadcast_attendance WHERE broadcast_id = :broadcast", params)
        await conn.execute(
            "INSERT INTO broadcast_attendance (broadcast_id, person_id, first_at, tokens) "
            "SELECT e.broadcast_id, e.person_id, min(e.at), "
            "sum(CASE WHEN e.method IN ('tip', 'mediaPurchase') THEN e.tokens ELSE 0 END) "
            "FROM room_events e WHERE e.broadcast_id = :broadcast AND "
            "e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS NOT :broadcaster "
            "GROUP BY e.person_id",
            params,
        )
        after = await conn.execute_fetchall(
            "SELECT person_id FROM broadcast_attendance WHERE broadcast_id = :broadcast", params
        )
        await recount_attended(conn, {row[0] for row in before} | {row[0] for row in after})


async def recount_attended(conn: Connection, person_ids: Collection[int]) -> None:
    await conn.executemany(
        "UPDATE person_room_stats SET broadcasts_attended = "
        "(SELECT count(*) FROM broadcast_attendance a WHERE a.person_id = :person) WHERE person_id = :person",
        [{"person": person} for person in person_ids],
    )


# --- Recomputation -----------------------------------------------------------------------------------

# Every ledger column of person_room_stats, recomputed from the stored events and the unmatched rows of
# imported token history. last_tip_tokens is left out: two tips at the same millisecond make "the last
# tip's amount" a tie that a recomputation cannot decide.
_EXPECTED_PERSONS = """
WITH ev AS (
    SELECT e.person_id,
           min(e.at) AS first_seen_at, max(e.at) AS last_seen_at,
           sum(e.method = 'userEnter') AS visits, count(*) AS events,
           sum(e.method = 'tip') AS tips,
           sum(CASE WHEN e.method = 'tip' THEN e.tokens ELSE 0 END) AS tokens_tipped,
           sum(CASE WHEN e.method = 'mediaPurchase' THEN e.tokens ELSE 0 END) AS media_tokens,
           sum(e.method = 'mediaPurchase') AS media_purchases,
           max(CASE WHEN e.method = 'tip' THEN e.tokens END) AS biggest_tip,
           min(CASE WHEN e.method = 'tip' THEN e.at END) AS first_tip_at,
           max(CASE WHEN e.method = 'tip' THEN e.at END) AS last_tip_at,
           min(CASE WHEN e.method = 'fanclubJoin' THEN e.at END) AS fanclub_since,
           count(DISTINCT e.broadcast_id) AS broadcasts_attended
      FROM room_events e
     WHERE e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS NOT :broadcaster
     GROUP BY e.person_id
),
imp AS (
    SELECT t.person_id,
           sum(t.tokens) AS imported_tokens, sum(t.kind = 'tip') AS imported_tips,
           max(CASE WHEN t.kind = 'tip' THEN t.tokens END) AS biggest_tip,
           min(CASE WHEN t.kind = 'tip' THEN t.at END) AS first_tip_at,
           max(CASE WHEN t.kind = 'tip' THEN t.at END) AS last_tip_at,
           min(CASE WHEN t.kind = 'fanclub' THEN t.at END) AS fanclub_since
      FROM token_history t WHERE t.matched_event_id IS NULL GROUP BY t.person_id
),
people AS (SELECT person_id FROM ev UNION SELECT person_id FROM imp)
SELECT p.person_id,
       ev.first_seen_at, ev.last_seen_at,
       coalesce(ev.visits, 0) AS visits, coalesce(ev.events, 0) AS events,
       coalesce(ev.tips, 0) AS tips, coalesce(ev.tokens_tipped, 0) AS tokens_tipped,
       coalesce(ev.media_tokens, 0) AS media_tokens, coalesce(ev.media_purchases, 0) AS media_purchases,
       max(coalesce(ev.biggest_tip, 0), coalesce(imp.biggest_tip, 0)) AS biggest_tip,
       coalesce(min(ev.first_tip_at, imp.first_tip_at), ev.first_tip_at, imp.first_tip_at) AS first_tip_at,
       coalesce(max(ev.last_tip_at, imp.last_tip_at), ev.last_tip_at, imp.last_tip_at) AS last_tip_at,
       coalesce(min(ev.fanclub_since, imp.fanclub_since), ev.fanclub_since, imp.fanclub_since)
           AS fanclub_since,
       coalesce(ev.broadcasts_attended, 0) AS broadcasts_attended,
       coalesce(imp.imported_tokens, 0) AS imported_tokens, coalesce(imp.imported_tips, 0) AS imported_tips
  FROM people p LEFT JOIN ev ON ev.person_id = p.person_id LEFT JOIN imp ON imp.person_id = p.person_id
"""

LEDGER_COLUMNS = (
    "first_seen_at", "last_seen_at", "visits", "events", "tips", "tokens_tipped", "media_tokens",
    "media_purchases", "biggest_tip", "first_tip_at", "last_tip_at", "fanclub_since",
    "broadcasts_attended", "imported_tokens", "imported_tips",
)  # fmt: skip

# A stored row with nothing in it is the same as no row (a person whose only events were anonymous).
_EMPTY = (None, None, 0, 0, 0, 0, 0, 0, 0, None, None, None, 0, 0, 0)

_EXPECTED_ATTENDANCE = """
SELECT e.broadcast_id, e.person_id, min(e.at) AS first_at,
       sum(CASE WHEN e.method IN ('tip', 'mediaPurchase') THEN e.tokens ELSE 0 END) AS tokens
  FROM room_events e
 WHERE e.broadcast_id IS NOT NULL
   AND e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS NOT :broadcaster
 GROUP BY e.broadcast_id, e.person_id
"""

_EXPECTED_DAYS = """
SELECT person_id, day, sum(tokens) AS tokens FROM (
    SELECT e.person_id, substr(e.at, 1, 10) AS day, e.tokens FROM room_events e
     WHERE e.method IN ('tip', 'mediaPurchase')
       AND e.person_id IS NOT NULL AND NOT e.is_anon AND e.person_id IS NOT :broadcaster
    UNION ALL
    SELECT t.person_id, substr(t.at, 1, 10), t.tokens FROM token_history t WHERE t.matched_event_id IS NULL
) GROUP BY person_id, day HAVING sum(tokens) > 0
"""


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the stored ledger and its recomputation disagree."""

    table: str
    key: str
    column: str
    stored: object
    expected: object

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.column} is {self.stored!r}, recomputed {self.expected!r}"


async def differences(conn: Connection, broadcaster_id: int | None, *, limit: int = 1000) -> list[Difference]:
    """Recompute the whole ledger and list (up to `limit`) disagreements with the stored one."""
    params = {"broadcaster": broadcaster_id}
    found: list[Difference] = []
    expected = {row[0]: tuple(row[1:]) for row in await conn.execute_fetchall(_EXPECTED_PERSONS, params)}
    columns = ", ".join(LEDGER_COLUMNS)
    stored = {
        row[0]: tuple(row[1:])
        for row in await conn.execute_fetchall(f"SELECT person_id, {columns} FROM person_room_stats")  # noqa: S608
    }
    for person in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(person, _EMPTY), stored.get(person, _EMPTY)
        for column, a, b in zip(LEDGER_COLUMNS, have, want, strict=True):
            if a != b:
                found.append(Difference("person_room_stats", f"person {person}", column, a, b))
    found += _compare(
        "broadcast_attendance",
        {(r[0], r[1]): (r[2], r[3]) for r in await conn.execute_fetchall(_EXPECTED_ATTENDANCE, params)},
        {
            (r[0], r[1]): (r[2], r[3])
            for r in await conn.execute_fetchall(
                "SELECT broadcast_id, person_id, first_at, tokens FROM broadcast_attendance"
            )
        },
        ("first_at", "tokens"),
    )
    found += _compare(
        "person_room_days",
        {(r[0], r[1]): (r[2],) for r in await conn.execute_fetchall(_EXPECTED_DAYS, params)},
        {(r[0], r[1]): (r[2],) for r in await conn.execute_fetchall("SELECT * FROM person_room_days")},
        ("tokens",),
    )
    return found[:limit]


def _compare(
    table: str,
    expected: Mapping[tuple[object, ...], tuple[object, ...]],
    stored: Mapping[tuple[object, ...], tuple[object, ...]],
    columns: tuple[str, ...],
) -> list[Difference]:
    found: list[Difference] = []
    for key in sorted(expected.keys() | stored.keys(), key=repr):
        want, have = expected.get(key), stored.get(key)
        if want == have:
            continue
        if want is None or have is None:
            found.append(Difference(table, repr(key), "row", have, want))
            continue
        for column, a, b in zip(columns, have, want, strict=True):
            if a != b:
                found.append(Difference(table, repr(key), column, a, b))
    return found


# --- Reads ---------------------------------------------------------------------------------------------

WINDOWS = (7, 30, 90)  # days, each ending today (UTC): store/fans.Window says where one starts


@dataclass(frozen=True, slots=True)
class FanFigures:
    """One person's ledger, as the fan card shows it."""

    lifetime_tokens: int
    tokens_tipped: int
    media_tokens: int
    imported_tokens: int
    tips: int  # in the room and imported
    imported_tips: int
    media_purchases: int
    biggest_tip: int
    first_tip_at: datetime | None
    last_tip_at: datetime | None
    last_tip_tokens: int | None
    visits: int
    broadcasts_attended: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    fanclub_since: datetime | None
    recent: dict[int, int]  # window days → tokens in it


def _moment(value: str | None) -> datetime | None:
    return from_db(value) if value else None


async def fan_figures(conn: Connection, person_id: int, today: date) -> FanFigures | None:
    rows = await conn.execute_fetchall(
        "SELECT *, lifetime_tokens AS lifetime FROM person_room_stats WHERE person_id = :person",
        {"person": person_id},
    )
    row = next(iter(rows), None)
    if row is None:
        return None
    # The three windows in one read of the person's days (the widest window bounds it).
    since = {days: Window(datetime.combine(today, time(), UTC)).since_day(days) for days in WINDOWS}
    params: dict[str, object] = {"person": person_id, **{f"d{days}": day for days, day in since.items()}}
    sums = ", ".join(f"coalesce(sum(CASE WHEN day >= :d{days} THEN tokens END), 0)" for days in WINDOWS)
    found = await conn.execute_fetchall(
        f"SELECT {sums} FROM person_room_days WHERE person_id = :person AND day >= :d{max(WINDOWS)}",  # noqa: S608
        params,
    )
    recent = dict(zip(WINDOWS, (int(value) for value in next(iter(found))), strict=True))
    return FanFigures(
        lifetime_tokens=row["lifetime"], tokens_tipped=row["tokens_tipped"], media_tokens=row["media_tokens"],
        imported_tokens=row["imported_tokens"], tips=row["tips"] + row["imported_tips"],
        imported_tips=row["imported_tips"], media_purchases=row["media_purchases"],
        biggest_tip=row["biggest_tip"], first_tip_at=_moment(row["first_tip_at"]),
        last_tip_at=_moment(row["last_tip_at"]), last_tip_tokens=row["last_tip_tokens"], visits=row["visits"],
        broadcasts_attended=row["broadcasts_attended"], first_seen_at=_moment(row["first_seen_at"]),
        last_seen_at=_moment(row["last_seen_at"]), fanclub_since=_moment(row["fanclub_since"]), recent=recent,
    )  # fmt: skip


async def weekly_spending(
    conn: Connection, person_id: int, today: date, weeks: int
) -> list[tuple[date, int]]:
    """(Monday, tokens) for each of the last `weeks` ISO weeks up to this one, oldest first; a week
    without spending is there with 0."""
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    totals = {monday: 0 for monday in (first + timedelta(weeks=n) for n in range(weeks))}
    for day, tokens in await conn.execute_fetchall(
        "SELECT day, tokens FROM person_room_days WHERE person_id = :person AND day >= :since",
        {"person": person_id, "since": first.isoformat()},
    ):
        moment = date.fromisoformat(day)
        totals[moment - timedelta(days=moment.weekday())] += int(tokens)
    return sorted(totals.items())


# --- Imported history that a later event turns out to repeat --------------------------------------------


@dataclass(frozen=True, slots=True)
class SpendingProbe:
    """A newly stored tip or media purchase, to look for the same spending among imported rows."""

    event_id: str
    person_id: int
    ms: int
    tokens: int
    kind: str  # the token history kind it would be: 'tip' or 'media'


async def imported_twins(
    conn: Connection, probes: Sequence[SpendingProbe], tolerance_ms: int
) -> list[tuple[int, str, int]]:
    """(row id, event id, distance ms) for unmatched imported rows of the same person, kind and tokens
    at most `tolerance_ms` from a probe (one indexed lookup per probe, in one statement)."""
    if not probes:
        return []
    rows = [
        [p.event_id, p.person_id, _db_time(p.ms - tolerance_ms), _db_time(p.ms + tolerance_ms), p.tokens,
         p.kind, p.ms]
        for p in probes
    ]  # fmt: skip
    # The probes travel as one JSON array, so the statement text is the same for any count and SQLite
    # prepares it once per connection instead of once per batch.
    sql = (
        "WITH probe (event_id, person_id, lo, hi, tokens, kind, ms) AS ("
        "  SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, "
        "         r.value ->> 6 FROM json_each(:probes) r) "
        "SELECT t.id, probe.event_id, "
        "       abs(round((julianday(t.at) - 2440587.5) * 86400000) - probe.ms) AS distance "
        "  FROM probe JOIN token_history t "
        "    ON t.person_id = probe.person_id AND t.at BETWEEN probe.lo AND probe.hi "
        " WHERE t.tokens = probe.tokens AND t.kind = probe.kind AND t.matched_event_id IS NULL"
    )
    found = await conn.execute_fetchall(sql, {"probes": json.dumps(rows)})
    return [(int(r[0]), str(r[1]), int(r[2])) for r in found]


def _db_time(ms: int) -> str:
    return to_db(datetime.fromtimestamp(ms / 1000, tz=UTC))


async def count_through_events(conn: Connection, matches: Sequence[tuple[int, str]]) -> None:
    """Imported rows that stored events repeat now count through those events only: each row is marked
    matched and taken out of its person's imported totals and spending day, and the tip bounds (biggest,
    first, last, fan club since) are recomputed from what still counts."""
    if not matches:
        return
    ids = {"r" + str(n): row_id for n, (row_id, _event) in enumerate(matches)}
    marks = ", ".join(f":{key}" for key in ids)
    rows = await conn.execute_fetchall(
        f"SELECT person_id, at, tokens, kind FROM token_history WHERE id IN ({marks})",  # noqa: S608
        ids,
    )
    await conn.executemany(
        "UPDATE token_history SET matched_event_id = :event WHERE id = :row",
        [{"row": row_id, "event": event_id} for row_id, event_id in matches],
    )
    await conn.executemany(
        "UPDATE person_room_stats SET imported_tokens = imported_tokens - :tokens, "
        "imported_tips = imported_tips - :tip WHERE person_id = :person",
        [{"person": r[0], "tokens": r[2], "tip": int(r[3] == "tip")} for r in rows],
    )
    await conn.executemany(
        "UPDATE person_room_days SET tokens = tokens - :tokens WHERE person_id = :person AND day = :day",
        [{"person": r[0], "day": r[1][:10], "tokens": r[2]} for r in rows],
    )
    await conn.execute("DELETE FROM person_room_days WHERE tokens <= 0")
    await _refresh_tip_bounds(conn, {int(r[0]) for r in rows})


async def _refresh_tip_bounds(conn: Connection, person_ids: Collection[int]) -> None:
    """Biggest, first and last tip and fan club since of these persons, from their counted events and
    unmatched imported rows (the last tip's amount from whichever is latest)."""
    await conn.executemany(
        "WITH tips AS ("
        "  SELECT e.at, e.tokens, e.method AS kind FROM room_events e WHERE e.person_id = :person "
        "     AND NOT e.is_anon AND e.method IN ('tip', 'fanclubJoin') "
        "  UNION ALL SELECT t.at, t.tokens, CASE t.kind WHEN 'fanclub' THEN 'fanclubJoin' ELSE t.kind END "
        "    FROM token_history t WHERE t.person_id = :person AND t.matched_event_id IS NULL "
        "     AND t.kind IN ('tip', 'fanclub')) "
        "UPDATE person_room_stats SET "
        "  biggest_tip = coalesce((SELECT max(tokens) FROM tips WHERE kind = 'tip'), 0), "
        "  first_tip_at = (SELECT min(at) FROM tips WHERE kind = 'tip'), "
        "  last_tip_at = (SELECT max(at) FROM tips WHERE kind = 'tip'), "
        "  last_tip_tokens = (SELECT tokens FROM tips WHERE kind = 'tip' ORDER BY at DESC LIMIT 1), "
        "  fanclub_since = (SELECT min(at) FROM tips WHERE kind = 'fanclubJoin') "
        "WHERE person_id = :person",
        [{"person": person} for person in person_ids],
    )
