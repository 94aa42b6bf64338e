"""Events API models → the store's input rows (the one place that knows both shapes)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from service.sources.events import (
    Event,
    InvalidEvent,
    MediaPurchaseObject,
    MessageObject,
    RoomSubjectObject,
    TipObject,
)
from service.store.room_events import IncomingEvent, QuarantineItem
from service.usernames import normalise_username


def _details(event: Event) -> tuple[int, bool, str | None]:
    """(tokens, is_anon, message) of one event."""
    obj = event.object
    if isinstance(obj, TipObject):
        return obj.tip.tokens, obj.tip.is_anon, obj.tip.message or None
    if isinstance(obj, MediaPurchaseObject):
        return obj.media.tokens, False, obj.media.name
    if isinstance(obj, MessageObject):
        return 0, False, obj.message.message
    if isinstance(obj, RoomSubjectObject):
        return 0, False, obj.subject
    return 0, False, None


def _at(ms: int, seconds: dict[int, str]) -> str:
    # clock.to_db's text form, built straight from the id's ms epoch (thousands of calls per second);
    # a batch's events share a few seconds, each formatted once.
    second = ms // 1000
    prefix = seconds.get(second)
    if prefix is None:
        prefix = seconds[second] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{prefix}.{ms % 1000:03d}Z"


def to_incoming(
    events: Sequence[Event], invalid: Sequence[InvalidEvent]
) -> tuple[list[IncomingEvent], list[QuarantineItem]]:
    """Store rows for a batch; an event whose username cannot be a username joins the quarantine."""
    rows: list[IncomingEvent] = []
    quarantine = [
        QuarantineItem(reason=item.reason, raw=item.raw_json, event_id=item.id, method=item.method)
        for item in invalid
    ]
    names: dict[str, str] = {}
    seconds: dict[int, str] = {}
    for event in events:
        raw_name = event.username
        try:
            username = None if raw_name is None else names.get(raw_name) or normalise_username(raw_name)
        except ValueError as error:
            quarantine.append(QuarantineItem(str(error), event.raw_json, event.id, event.method))
            continue
        if raw_name is not None and username is not None:
            names[raw_name] = username
        ms_text, _, seq_text = event.id.partition("-")
        ms = int(ms_text)
        tokens, is_anon, message = _details(event)
        rows.append(
            IncomingEvent(
                id=event.id, ms=ms, seq=int(seq_text), at=_at(ms, seconds), method=event.method,
                username=username, raw=event.raw_json, tokens=tokens, is_anon=is_anon, message=message,
            )
        )  # fmt: skip
    return rows, quarantine
