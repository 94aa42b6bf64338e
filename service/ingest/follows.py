"""The follow rules, in one place for every source: list snapshots, Events follows and profile scrapes.

- Additions come from any source: a snapshot's names, an Events `follow`, a profile showing
  "following". Each opens a period unless one is open; a re-follow starts a new period.
- Removals are taken only from a *complete* list snapshot or an Events `unfollow`. A name missing
  from one complete snapshot is *suspected*; a second complete snapshot still missing it, or a
  profile page showing "not following", confirms it and ends the period when it first went missing.
- A name present again (in a snapshot, or a profile showing "following") dismisses the doubt.
- A complete snapshot that drops too much of the list at once is *held* for a person to review,
  and confirms nothing: it is the one in doubt.
Every period and removal names its source and the snapshot, event or scrape behind it. The SQL is in
`store.follows`, `store.snapshots` and `store.removals`; this module decides which of it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.store import follows, lookup, removals, snapshots
from service.store.db import Connection
from service.store.room_events import IncomingEvent

# More than this share of the stored list missing at once looks like a broken run, not real unfollows.
HOLD_FRACTION = 0.05
# …but on a short list one or two unfollows are ordinary, so fewer names than this are never held.
HOLD_MIN_NAMES = 3
# Lookups queued per snapshot for names whose role is unknown; a big first list is resolved over the
# next snapshots, so one run never floods the lookup queue (and the upstreams behind it).
ROLE_LOOKUPS_PER_SNAPSHOT = 200
LIST_OF_DIRECTION = {"following": "following", "follower": "followers"}


@dataclass(frozen=True, slots=True)
class SnapshotEffect:
    """What one snapshot did to the follow periods (also recorded on the snapshot)."""

    status: str  # "applied" | "held"
    added: int
    suspected: int
    confirmed: int
    held: int


async def reconcile_snapshot(
    conn: Connection, snapshot_id: int, direction: str, *, complete: bool, at: str
) -> SnapshotEffect:
    """Apply one stored list snapshot of `direction` ("following" or "follower") whose names
    `snapshots.load_snapshot_names` has just loaded."""
    ref = snapshots.snapshot_ref(snapshot_id)
    await snapshots.settle_closed_elsewhere(conn)
    listed = await snapshots.count_open(conn, direction)
    added = await snapshots.open_periods_for_present(conn, direction, at=at, ref=ref)
    # Names from lists come without a role: queue the lookups that find it out (the lookup job works
    # through them at its own pace; the lists show "resolving…" meanwhile).
    await lookup.queue_unknown_roles_of_snapshot(
        conn, note=f"role unknown: from the {LIST_OF_DIRECTION[direction]} list", at=at,
        limit=ROLE_LOOKUPS_PER_SNAPSHOT,
    )  # fmt: skip
    await snapshots.dismiss_removals_of_present(conn, direction, ref=ref)
    effect = SnapshotEffect("applied", added, 0, 0, 0)
    if complete:
        # Newly missing names go in as held first (one pass over the open periods, which also counts
        # them); a drop small enough to be believed becomes suspected after the older suspicions
        # are confirmed, so this snapshot's own never count as a second strike.
        newly_missing = await snapshots.insert_missing_removals(
            conn, direction, snapshot_id=snapshot_id, missing_since=at, state="held"
        )
        if newly_missing >= HOLD_MIN_NAMES and newly_missing > HOLD_FRACTION * listed:
            effect = SnapshotEffect("held", added, 0, 0, newly_missing)
        else:
            confirmed = await snapshots.confirm_missing_suspects(conn, direction, ref=ref)
            suspected = await snapshots.suspect_held_of_snapshot(conn, snapshot_id)
            effect = SnapshotEffect("applied", added, suspected, confirmed, 0)
    await snapshots.record_outcome(
        conn, snapshot_id, status=effect.status, added=effect.added, suspected=effect.suspected,
        confirmed=effect.confirmed, held=effect.held,
    )  # fmt: skip
    return effect


async def apply_room_events(
    conn: Connection, events: Sequence[IncomingEvent], person_ids: Mapping[str, int], broadcaster: str
) -> None:
    """The own room's follow and unfollow events open and end follower periods, naming the event.

    Only each person's own events must keep their order, so the batch goes in rounds (everyone's
    first change, then everyone's second…), each round two statements however many people it holds.
    """
    rounds: list[tuple[list[follows.PeriodChange], list[follows.PeriodChange]]] = []
    changes_of: dict[int, int] = {}
    for event in events:
        if event.method not in ("follow", "unfollow") or not event.username or event.username == broadcaster:
            continue
        person = person_ids[event.username]
        number = changes_of.get(person, 0)
        changes_of[person] = number + 1
        if number == len(rounds):
            rounds.append(([], []))
        opened, closed = rounds[number]
        (opened if event.method == "follow" else closed).append(
            follows.PeriodChange(person, event.at, event.id)
        )
    for opened, closed in rounds:
        await follows.open_periods(conn, opened, "follower", source="events")
        await follows.close_periods(conn, closed, "follower", source="events")


async def apply_profile_status(conn: Connection, person_id: int, status: str, *, at: str, ref: str) -> str:
    """A trusted profile page's follow status; returns its effect.

    "none" | "confirmed_unfollow" | "opened_following" | "dismissed_suspicion". "Not following"
    never ends a follow on its own: it only confirms a removal a complete snapshot already suspected.
    """
    if status == "not_following":
        removal = await removals.suspected_following_removal(conn, person_id)
        if removal is None:
            return "none"
        await removals.confirm_by_scrape(conn, removal, ref=ref)
        return "confirmed_unfollow"
    if status == "following":
        dismissed = await removals.dismiss_by_scrape(conn, person_id, ref=ref)
        opened = await follows.open_period(
            conn, person_id, "following", at=at, source="profile_scrape", ref=ref
        )
        if opened:
            return "opened_following"
        return "dismissed_suspicion" if dismissed else "none"
    return "none"
