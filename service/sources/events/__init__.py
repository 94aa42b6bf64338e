"""Chaturbate Events API: the long-poll client, its payload models and the retry policy.

Only the request/response layer lives here; the consumer loop that persists batches and the cursor is
a job on top of it (see `client.py` for the contract it follows).
"""

from __future__ import annotations

from service.sources.events.backoff import Backoff
from service.sources.events.client import (
    EventBatch,
    EventsClient,
    EventsServerError,
    ForeignNextUrlError,
    MalformedResponseError,
    RetryableResponseError,
    is_fatal,
    retry_after,
)
from service.sources.events.cursor import (
    TOKEN_PLACEHOLDER,
    holds_placeholder,
    token_fingerprint,
    with_token,
    without_token,
)
from service.sources.events.models import (
    BroadcastObject,
    Event,
    EventMethod,
    EventObject,
    InvalidEvent,
    InvalidEventError,
    Media,
    MediaPurchaseObject,
    Message,
    MessageObject,
    RoomSubjectObject,
    Tip,
    TipObject,
    UnknownObject,
    User,
    UserObject,
    parse_event_id,
    parse_events,
)
from service.sources.http import parse_retry_after

__all__ = [
    "TOKEN_PLACEHOLDER",
    "Backoff",
    "BroadcastObject",
    "Event",
    "EventBatch",
    "EventMethod",
    "EventObject",
    "EventsClient",
    "EventsServerError",
    "ForeignNextUrlError",
    "InvalidEvent",
    "InvalidEventError",
    "MalformedResponseError",
    "Media",
    "MediaPurchaseObject",
    "Message",
    "MessageObject",
    "RetryableResponseError",
    "RoomSubjectObject",
    "Tip",
    "TipObject",
    "UnknownObject",
    "User",
    "UserObject",
    "holds_placeholder",
    "is_fatal",
    "parse_event_id",
    "parse_events",
    "parse_retry_after",
    "retry_after",
    "token_fingerprint",
    "with_token",
    "without_token",
]
