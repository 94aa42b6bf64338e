"""Who a batch of room events is, and what each event adds to its person's figures in the room."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from service.clock import from_db, to_db
from service.store import persons
from service.store.db import Connection
from service.store.room_events import IncomingEvent, PersonRoomFigures

# persons.last_seen_at (the service-wide "last seen") moves at most this often per person from room
# events; person_room_stats keeps the room's exact times.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


async def resolve_people(
    conn: Connection, fresh: Sequence[IncomingEvent], broadcaster: str
) -> dict[str, int]:
    """username → person id for everyone in the batch (and the broadcaster), creating new persons.

    A busy room repeats the same few hundred names in every batch. Persons whose role is known and
    whose last_seen_at is recent enough are only looked up; the rest go through ensure_persons and
    set_unknown_roles (a few statements per batch). The room's own exact first/last seen live in
    person_room_stats.
    """
    names = list(
        dict.fromkeys([e.username for e in fresh if e.username] + ([broadcaster] if broadcaster else []))
    )
    if not names:
        return {}
    # An anonymous tip must not move its sender's "last seen" (the Directory shows it, the Events
    # page shows the tip's time): only events under the sender's own name count as seeing them.
    named = [event for event in fresh if not event.is_anon]
    shown = {event.username for event in named} | {broadcaster}
    seen = max(event.at for event in named) if named else None
    known = await persons.find_persons(conn, names)
    fresh_enough = to_db(from_db(seen) - LAST_SEEN_RESOLUTION) if seen else None
    ids = {name: person.id for name, person in known.items()}
    stale = [
        name for name in names
        if name not in known or known[name].role == "unknown"
        or (name in shown and fresh_enough is not None and (known[name].last_seen_at or "") < fresh_enough)
    ]  # fmt: skip
    if seen_now := [name for name in stale if name in shown]:
        ids.update(await persons.ensure_persons(conn, seen_now, seen_at=seen))
    if only_anonymous := [name for name in stale if name not in shown]:
        ids.update(await persons.ensure_persons(conn, only_anonymous))
    unknown = [name for name in stale if name not in known or known[name].role == "unknown"]
    if broadcaster in unknown:
        await persons.set_unknown_roles(conn, [ids[broadcaster]], "model")
    await persons.set_unknown_roles(conn, [ids[name] for name in unknown if name != broadcaster], "viewer")
    return ids


def room_figures(
    fresh: Sequence[IncomingEvent], person_ids: dict[str, int], broadcaster: str
) -> dict[int, PersonRoomFigures]:
    """person id → what these (new) events add to that person's room figures."""
    figures: dict[int, PersonRoomFigures] = {}
    for event in fresh:
        # An anonymous tip counts for nobody: not its sender's events, times or totals (the Profile
        # and Directory show these, and a figure that moves with the tip would reveal who sent it).
        if not event.username or event.username == broadcaster or event.is_anon:
            continue
        person = figures.setdefault(person_ids[event.username], PersonRoomFigures(event.at, event.at))
        person.first, person.last = min(person.first, event.at), max(person.last, event.at)
        person.events += 1
        person.visits += event.method == "userEnter"
        method = event.method
        if method == "tip":
            person.tips += 1
            person.tokens += event.tokens
            person.biggest_tip = max(person.biggest_tip, event.tokens)
            person.first_tip_at = min(person.first_tip_at or event.at, event.at)
            if event.at >= (person.last_tip_at or ""):
                person.last_tip_at, person.last_tip_tokens = event.at, event.tokens
        elif method == "mediaPurchase":
            person.media_purchases += 1
            person.media_tokens += event.tokens
        elif method == "fanclubJoin":
            person.fanclub_since = min(person.fanclub_since or event.at, event.at)
    return figures
