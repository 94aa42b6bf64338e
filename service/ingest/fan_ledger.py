"""What a batch of new room events adds to the fan ledger: who attended which broadcast, and who spent
what on which day (the per-person totals are `room_people.room_figures`).

Runs inside the batch's transaction, after its events are stored. Counted are the named, non-anonymous
events of everyone but the broadcaster — the same rule as the per-person figures, so an anonymous tip
moves nobody's ledger. A broadcast whose events changed wholesale (`Stitcher.rebuilt()`) has its
attendance recomputed from its stored events instead of added to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from service.ingest.token_import import MATCH_TOLERANCE, choose_matches
from service.store import fan_ledger
from service.store.db import Connection
from service.store.fan_ledger import Attendance, SpendingProbe
from service.store.room_events import IncomingEvent, PersonRoomFigures
from service.store.token_history import Candidate

_SPENDING = frozenset({"tip", "mediaPurchase"})


async def record(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    assignments: Mapping[str, int],
    figures: Mapping[int, PersonRoomFigures],
    *,
    broadcaster: str,
    rebuilt: set[int],
) -> None:
    """Add the batch's attendance and spending days, and count each person's newly attended broadcasts
    into `figures` (call before `room_events.add_room_figures` writes them)."""
    # (broadcast, person) → [first event's time, tokens]; plain lists: this loop runs per event.
    attendance: dict[tuple[int, int], list[Any]] = {}
    days: dict[tuple[int, str], int] = {}
    for event in events:
        if not event.username or event.username == broadcaster or event.is_anon:
            continue
        person = person_ids[event.username]
        spent = event.tokens if event.method in _SPENDING else 0
        if spent:
            key = (person, event.at[:10])
            days[key] = days.get(key, 0) + spent
        broadcast = assignments.get(event.id)
        if broadcast is None or broadcast in rebuilt:
            continue
        known = attendance.get((broadcast, person))
        if known is None:
            attendance[(broadcast, person)] = [event.at, spent]
        else:
            known[0] = min(known[0], event.at)
            known[1] += spent
    by_broadcast: dict[int, list[int]] = {}
    for broadcast, person in attendance:
        by_broadcast.setdefault(broadcast, []).append(person)
    for broadcast, present in by_broadcast.items():
        already = await fan_ledger.attending(conn, broadcast, present)
        for person in present:
            if person not in already:
                figures[person].attended += 1
    await fan_ledger.add_attendance(
        conn, [Attendance(b, p, first, tokens) for (b, p), (first, tokens) in attendance.items()]
    )
    await fan_ledger.add_spending_days(conn, days)


async def rebuild(conn: Connection, rebuilt: set[int], broadcaster_id: int | None) -> None:
    """Recompute attendance of the rebuilt broadcasts (call after the per-person figures are written)."""
    if rebuilt:
        await fan_ledger.rebuild_attendance(conn, rebuilt, broadcaster_id)


async def match_imported(
    conn: Connection, events: Sequence[IncomingEvent], person_ids: Mapping[str, int], *, broadcaster: str
) -> None:
    """A tip or media purchase whose spending was already imported from the token history (the stream
    caught up on a period the file covered) is the same spending: the imported row stops counting, as
    the import itself would have matched it (same person, kind and tokens, nearest within the import's
    tolerance, each row and event once)."""
    probes = [
        SpendingProbe(event.id, person_ids[event.username], event.ms, event.tokens,
                      "tip" if event.method == "tip" else "media")
        for event in events
        if event.method in _SPENDING and event.username not in (None, broadcaster) and not event.is_anon
    ]  # fmt: skip
    tolerance_ms = MATCH_TOLERANCE // timedelta(milliseconds=1)
    twins = await fan_ledger.imported_twins(conn, probes, tolerance_ms)
    if twins:
        chosen = choose_matches([Candidate(row, event, distance, 0) for row, event, distance in twins])
        await fan_ledger.count_through_events(conn, chosen)
