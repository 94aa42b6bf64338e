"""Events API payloads: the `{"method", "id", "object"}` envelope and one object model per method.

Parsing is lenient where the upstream drifts (extra keys ignored, optional descriptive fields turn into
None when their type is off) and strict where the store depends on a value (the id, usernames, token
amounts): an event that misses one of those is returned as an `InvalidEvent` for quarantine instead of
being stored half-understood. Every parsed event keeps the dict it came from, so the store can keep raw.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    SerializeAsAny,
    SkipValidation,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, PydanticSerializationError, core_schema, to_json

# ms epoch + "-" + sequence, e.g. "1767312000123-0". The id is the store's primary key and the `?i=`
# cursor, so an id of any other shape is quarantined rather than guessed at. 15 digits keep the
# timestamp inside datetime's range.
_ID_PATTERN = r"^\d{1,15}-\d{1,9}$"
_ID_RE = re.compile(_ID_PATTERN)
# Token amounts are stored as SQLite INTEGERs (signed 64-bit) and summed per broadcast. The biggest
# tips ever reported are around a million tokens; ten million (about $500,000) is far above any real
# tip or purchase, so a larger value is an upstream error and its event is quarantined, not stored.
MAX_TOKENS = 10_000_000
# Numeric ids only ride along in the raw JSON, but they must still fit an SQLite INTEGER.
_INT64 = 2**63 - 1


class EventMethod(StrEnum):
    """The methods the Events API documents; anything else parses as an `UnknownObject` event."""

    BROADCAST_START = "broadcastStart"
    BROADCAST_STOP = "broadcastStop"
    CHAT_MESSAGE = "chatMessage"
    PRIVATE_MESSAGE = "privateMessage"
    TIP = "tip"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    FANCLUB_JOIN = "fanclubJoin"
    USER_ENTER = "userEnter"
    USER_LEAVE = "userLeave"
    MEDIA_PURCHASE = "mediaPurchase"
    ROOM_SUBJECT_CHANGE = "roomSubjectChange"


class _DefaultOnError:
    """Validate a field as usual, but turn a value that fails into `default` instead of an error.

    Descriptive fields (colours, gender, flags) change shape now and then; losing one of them is
    better than quarantining a tip because its chat colour arrived as a number. pydantic-core does
    this itself (`on_error="default"`), with no Python call per field on the ingest's hot path.
    """

    def __init__(self, default: Any) -> None:
        self.default = default

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_default_schema(handler(source), default=self.default, on_error="default")


LenientStr = Annotated[str | None, _DefaultOnError(None)]
LenientBool = Annotated[bool | None, _DefaultOnError(None)]


class _Wire(BaseModel):
    """Base for wire objects: camelCase keys, unknown keys ignored, immutable once parsed."""

    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel)


class User(_Wire):
    """The user an event is about. Only `username` is required; the rest is descriptive."""

    username: str = Field(min_length=1)
    in_fanclub: LenientBool = None
    has_tokens: LenientBool = None
    is_mod: LenientBool = None
    is_follower: LenientBool = None
    recent_tips: LenientStr = None
    gender: LenientStr = None
    subgender: LenientStr = None
    color_group: LenientStr = None
    language: LenientStr = None


class Message(_Wire):
    """A chat or private message; `from_user`/`to_user` are only sent for private messages."""

    message: str
    color: LenientStr = None
    bg_color: LenientStr = None
    font: LenientStr = None
    orig: LenientStr = None
    from_user: LenientStr = None
    to_user: LenientStr = None


class Tip(_Wire):
    """A tip. `is_anon` is required: guessing False would reveal an anonymous tipper."""

    tokens: int = Field(ge=0, le=MAX_TOKENS)
    is_anon: bool
    message: Annotated[str, _DefaultOnError("")] = ""


class Media(_Wire):
    """A purchased photo set or video. The docs say `id` is a number, cb-events types it str: take both."""

    id: Annotated[int, Field(ge=-_INT64 - 1, le=_INT64)] | str
    tokens: int = Field(ge=0, le=MAX_TOKENS)
    name: LenientStr = None
    type: LenientStr = None


class EventObject(_Wire):
    """Fields every event object may carry; the subclass says which method-specific ones it has."""

    broadcaster: LenientStr = None


class BroadcastObject(EventObject):
    """broadcastStart / broadcastStop. `user` is the broadcaster, so it is not required."""

    user: User | None = None


class UserObject(EventObject):
    """follow, unfollow, fanclubJoin, userEnter, userLeave: who did it."""

    user: User


class MessageObject(EventObject):
    """chatMessage and privateMessage."""

    user: User
    message: Message


class TipObject(EventObject):
    """tip."""

    user: User
    tip: Tip


class MediaPurchaseObject(EventObject):
    """mediaPurchase."""

    user: User
    media: Media


class RoomSubjectObject(EventObject):
    """roomSubjectChange: no user, only the new subject."""

    subject: str


class UnknownObject(EventObject):
    """A method this code does not know yet. Kept (not dropped) so the raw event reaches the store;
    a user is read when it parses, since the store records every username it sees."""

    user: Annotated[User | None, _DefaultOnError(None)] = None


OBJECT_MODELS: dict[str, type[EventObject]] = {
    EventMethod.BROADCAST_START: BroadcastObject,
    EventMethod.BROADCAST_STOP: BroadcastObject,
    EventMethod.CHAT_MESSAGE: MessageObject,
    EventMethod.PRIVATE_MESSAGE: MessageObject,
    EventMethod.TIP: TipObject,
    EventMethod.FOLLOW: UserObject,
    EventMethod.UNFOLLOW: UserObject,
    EventMethod.FANCLUB_JOIN: UserObject,
    EventMethod.USER_ENTER: UserObject,
    EventMethod.USER_LEAVE: UserObject,
    EventMethod.MEDIA_PURCHASE: MediaPurchaseObject,
    EventMethod.ROOM_SUBJECT_CHANGE: RoomSubjectObject,
}


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    method: str = Field(min_length=1)
    id: str = Field(pattern=_ID_PATTERN)
    object: dict[str, Any] = Field(default_factory=dict)
    # TS read a top-level broadcaster for a while; the official samples put it inside `object`.
    broadcaster: LenientStr = None


class InvalidEventError(ValueError):
    """An element of `events` that cannot be stored as an event; the message says why."""


def parse_event_id(event_id: str) -> tuple[int, int]:
    """Split an event id into (ms epoch, sequence); ids order by this key. Raises ValueError."""
    if not _ID_RE.match(event_id):
        raise ValueError(f"not an Events API id: {event_id!r}")
    ms, _, sequence = event_id.partition("-")
    return int(ms), int(sequence)


def _compact_json(raw: Any) -> str | None:
    """The compact JSON text of a parsed value (pydantic-core's encoder: five times json.dumps' speed);
    None when it holds text no UTF-8 store accepts (valid JSON may escape a lone surrogate, \\ud800)."""
    try:
        return to_json(raw).decode()
    except PydanticSerializationError:
        return None


def _raw_json(raw: Any) -> str:
    text = _compact_json(raw)
    # A lone surrogate stays escaped, so the quarantine can keep the element anyway.
    return text if text is not None else json.dumps(raw, ensure_ascii=True, separators=(",", ":"))


class Event(BaseModel):
    """One valid event, in the order the API sent it. `isinstance(event.object, TipObject)` etc."""

    model_config = ConfigDict(frozen=True)

    id: str
    method: str
    # Both validated already by from_raw (the object by its method's model, the raw dict is what came
    # in): checked again here, the dict would be copied key by key for every event.
    object: SkipValidation[SerializeAsAny[EventObject]]
    raw: SkipValidation[dict[str, Any]] = Field(repr=False)
    # Compact JSON text of `raw` as received (re-serialised: the body is parsed as a whole), made once
    # by from_raw, which needs it for the UTF-8 check.
    raw_json: str = Field(repr=False, exclude=True)

    @classmethod
    def from_raw(cls, raw: Any) -> Event:
        """Parse one element of the `events` array; raises InvalidEventError saying why not."""
        if not isinstance(raw, dict):
            raise InvalidEventError(f"not a JSON object but {type(raw).__name__}")
        try:
            envelope = _Envelope.model_validate(raw)
        except ValidationError as error:
            raise InvalidEventError(_describe(error, "")) from None
        payload = envelope.object
        if not payload.get("broadcaster") and envelope.broadcaster:
            payload = {**payload, "broadcaster": envelope.broadcaster}
        text = _compact_json(raw)
        if text is None:
            # Valid JSON, but text (a lone surrogate) that SQLite's UTF-8 columns cannot hold.
            raise InvalidEventError("holds text that is not valid UTF-8 (a lone surrogate)")
        model = OBJECT_MODELS.get(envelope.method, UnknownObject)
        try:
            parsed = model.model_validate(payload)
        except ValidationError as error:
            raise InvalidEventError(_describe(error, "object")) from None
        return cls(id=envelope.id, method=envelope.method, object=parsed, raw=raw, raw_json=text)

    @property
    def known(self) -> bool:
        """False for methods this code does not know (their object is an `UnknownObject`)."""
        return self.method in OBJECT_MODELS

    @property
    def timestamp(self) -> datetime:
        """When the event happened, in UTC, from the ms epoch in its id."""
        ms, _ = parse_event_id(self.id)
        return datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)

    @property
    def sequence(self) -> int:
        """The counter after the dash: tells apart events from the same millisecond."""
        return parse_event_id(self.id)[1]

    @property
    def broadcaster(self) -> str | None:
        return self.object.broadcaster

    @property
    def user(self) -> User | None:
        user = getattr(self.object, "user", None)
        return user if isinstance(user, User) else None

    @property
    def username(self) -> str | None:
        user = self.user
        return user.username if user else None


@dataclass(frozen=True)
class InvalidEvent:
    """An element of `events` that failed validation, kept whole so the store can quarantine it."""

    index: int  # position in the batch, so quarantined rows can be put back in order
    raw: Any
    raw_json: str
    reason: str
    id: str | None  # best effort: present when the element had a string id
    method: str | None


def _describe(error: ValidationError, prefix: str) -> str:
    # Only location and message: pydantic's default text would also echo the input values.
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        parts.append(f"{loc}: {item['msg']}" if loc else item["msg"])
    return "; ".join(parts)


def _invalid(index: int, raw: Any, reason: str) -> InvalidEvent:
    fields = raw if isinstance(raw, dict) else {}
    event_id = fields.get("id")
    method = fields.get("method")
    return InvalidEvent(
        index=index,
        raw=raw,
        raw_json=_raw_json(raw),
        reason=reason,
        id=event_id if isinstance(event_id, str) else None,
        method=method if isinstance(method, str) else None,
    )


def parse_events(items: list[Any]) -> tuple[list[Event], list[InvalidEvent]]:
    """Split an `events` array into valid events and invalid ones, each list in arrival order."""
    events: list[Event] = []
    invalid: list[InvalidEvent] = []
    for index, raw in enumerate(items):
        try:
            events.append(Event.from_raw(raw))
        except InvalidEventError as error:
            invalid.append(_invalid(index, raw, str(error)))
    return events, invalid
