"""Who is in the room, kept by each Events batch in its transaction (after the fan ledger's upkeep).

- userEnter starts a stay in the event's broadcast;
- any other named, non-anonymous event of a person (chat, tip, follow, …) marks them present too: it
  continues their stay, or starts one if they had left, or their last event was in another broadcast;
- userLeave ends the stay (left_at);
- the broadcaster is never in the room, and the room's own events (start, stop, subject) are nobody's;
- a person whose stay is in a broadcast that has closed is not present (a read-time rule:
  `store.room_live`).
The stored row always equals a fold of `advance` over the person's stored events in (ms, seq) order.
A broadcast that adopted stored events (`Stitcher.rebuilt()`) changes the broadcast of older events,
so the persons in it are recomputed from their stored events; so is a person whose new event is older
than their stored last event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby

from service.store import persons, presence
from service.store.db import Connection
from service.store.presence import ROOM_METHODS, Stay
from service.store.room_events import IncomingEvent

ENTER, LEAVE = "userEnter", "userLeave"


def counts(event: IncomingEvent, broadcaster: str) -> bool:
    """Whether this event says its person is (or was) in the room."""
    return (
        event.username is not None
        and event.username != broadcaster
        and not event.is_anon
        and event.method not in ROOM_METHODS
    )


def advance(stay: Stay | None, person_id: int, at: str, method: str, broadcast_id: int | None) -> Stay:
    """The stay after one more event of this person (not older than `stay.last_event_at`)."""
    same = stay is not None and stay.left_at is None and stay.broadcast_id == broadcast_id and method != ENTER
    entered = stay.entered_at if same and stay is not None else at
    return Stay(person_id, broadcast_id, entered, at, at if method == LEAVE else None)


def fold(person_id: int, events: Iterable[presence.PresenceEvent]) -> Stay | None:
    stay: Stay | None = None
    for event in events:
        stay = advance(stay, person_id, event.at, event.method, event.broadcast_id)
    return stay


async def update(
    conn: Connection,
    events: Sequence[IncomingEvent],
    person_ids: Mapping[str, int],
    assignments: Mapping[str, int],
    *,
    broadcaster: str,
    rebuilt: set[int],
) -> dict[int, Stay]:
    """Apply the batch's stored events to presence; returns each affected person's stay before it."""
    mine = [event for event in events if counts(event, broadcaster)]
    people = {person_ids[event.username] for event in mine if event.username}
    before = await presence.stays(conn, people)
    current = dict(before)
    redo: set[int] = set()
    for event in mine:
        assert event.username is not None
        person = person_ids[event.username]
        known = current.get(person)
        if known is not None and event.at < known.last_event_at:
            redo.add(person)
            continue
        current[person] = advance(known, person, event.at, event.method, assignments.get(event.id))
    await presence.save(conn, (current[p] for p in people if p not in redo))
    if rebuilt or redo:
        broadcaster_id = person_ids.get(broadcaster) or await persons.get_person_id(conn, broadcaster)
        redo |= await presence.persons_in_broadcasts(conn, rebuilt, broadcaster_id)
        await recompute(conn, redo, broadcaster_id)
    return before


async def recompute(conn: Connection, person_ids: set[int], broadcaster_id: int | None) -> None:
    """These persons' stays from their stored events."""
    by_person: dict[int, list[presence.PresenceEvent]] = {p: [] for p in person_ids}
    for event in await presence.person_events(conn, person_ids, broadcaster_id):
        by_person[event.person_id].append(event)
    rows = [stay for p, evs in by_person.items() if (stay := fold(p, evs)) is not None]
    await presence.save(conn, rows)


async def differences(conn: Connection, broadcaster_id: int | None) -> list[str]:
    """Where the stored presence differs from a recomputation from every stored event (`mhc check`)."""
    expected: dict[int, Stay] = {}
    for person, events in groupby(
        await presence.every_person_event(conn, broadcaster_id), lambda e: e.person_id
    ):
        stay = fold(person, events)
        if stay is not None:
            expected[person] = stay
    stored = await presence.all_stays(conn)
    found = []
    for person in sorted(set(expected) | set(stored)):
        have, want = stored.get(person), expected.get(person)
        if have != want:
            found.append(f"room_presence person {person}: stored {have}, recomputed {want}")
    return found
