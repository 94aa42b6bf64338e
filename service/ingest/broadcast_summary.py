"""Keeping broadcast summaries current as batches arrive, without re-reading whole broadcasts.

A broadcast's summary grows by each batch's own new events, so a batch costs the same at the end
of a ten-hour broadcast as at its start. The totals simply add up; a person counts as a new unique
visitor (or tipper) only if the broadcast held no event (no tip) of theirs before this batch, which
is read before the batch's events are stored. A broadcast whose events changed wholesale in the
batch (reopened, or adopting events that were outside any broadcast) is recomputed from its stored
events instead, as is every touched broadcast if some of the batch's events could not be stored.
The figures mean exactly what `store.broadcast_writes.recompute_summaries` computes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from service.store import broadcast_writes
from service.store.broadcast_writes import SummaryDelta
from service.store.db import Connection
from service.store.room_events import IncomingEvent

_COUNTED = {"follow": "new_followers", "unfollow": "unfollows", "fanclubJoin": "fanclub_joins",
            "chatMessage": "chat_messages"}  # fmt: skip


@dataclass
class _Contribution:
    """One broadcast's share of a batch, before knowing who is new to the broadcast."""

    totals: dict[str, int] = field(default_factory=dict)
    visitors: set[int] = field(default_factory=set)
    tippers: set[int] = field(default_factory=set)


@dataclass
class PendingSummaries:
    """The batch's additions per broadcast, with who was already seen in each (read before storing)."""

    deltas: dict[int, SummaryDelta]
    rebuilt: set[int]


def _contributions(
    events: Sequence[IncomingEvent],
    assignments: Mapping[str, int],
    person_ids: Mapping[str, int],
    broadcaster_id: int | None,
) -> dict[int, _Contribution]:
    shares: dict[int, _Contribution] = {}
    for event in events:
        broadcast_id = assignments.get(event.id)
        if broadcast_id is None:
            continue
        share = shares.get(broadcast_id)
        if share is None:
            share = shares[broadcast_id] = _Contribution()
        totals = share.totals
        person = person_ids.get(event.username) if event.username else None
        method = event.method
        if method == "tip":
            totals["tip_tokens"] = totals.get("tip_tokens", 0) + event.tokens
            totals["tips"] = totals.get("tips", 0) + 1
            totals["biggest_tip"] = max(totals.get("biggest_tip", 0), event.tokens)
            if person is not None:
                share.tippers.add(person)
        elif method == "mediaPurchase":
            totals["media_tokens"] = totals.get("media_tokens", 0) + event.tokens
        elif counted := _COUNTED.get(method):
            totals[counted] = totals.get(counted, 0) + 1
        if person is not None and person != broadcaster_id:
            share.visitors.add(person)
    return shares


async def prepare(
    conn: Connection,
    events: Sequence[IncomingEvent],
    assignments: Mapping[str, int],
    person_ids: Mapping[str, int],
    *,
    touched: set[int],
    rebuilt: set[int],
    broadcaster_id: int | None,
) -> PendingSummaries:
    """What the batch adds to each touched broadcast (call before the batch's events are stored)."""
    shares = _contributions(events, assignments, person_ids, broadcaster_id)
    deltas: dict[int, SummaryDelta] = {}
    for broadcast_id in sorted(touched - rebuilt):
        share = shares.get(broadcast_id) or _Contribution()
        seen = await broadcast_writes.seen_in_broadcast(conn, broadcast_id, share.visitors | share.tippers)
        deltas[broadcast_id] = SummaryDelta(
            **share.totals,
            new_tippers=len(share.tippers - seen.tipped),
            new_visitors=len(share.visitors - seen.visited),
        )
    return PendingSummaries(deltas, set(rebuilt))


async def apply(
    conn: Connection, pending: PendingSummaries, broadcaster_id: int | None, *, all_stored: bool
) -> None:
    """Write the summaries once the batch's events are stored; `all_stored` False (some event was
    refused by the store) recomputes every touched broadcast instead of adding."""
    if not all_stored:
        await broadcast_writes.recompute_summaries(
            conn, pending.rebuilt | set(pending.deltas), broadcaster_id
        )
        return
    for broadcast_id, delta in pending.deltas.items():
        await broadcast_writes.add_to_summary(conn, broadcast_id, delta, broadcaster_id)
    await broadcast_writes.recompute_summaries(conn, pending.rebuilt, broadcaster_id)
