"""The protobuf body of an AMQP message: ``floor.events.v1.Event`` (docs/amqp.md).

:func:`encode_event` turns a :class:`StoredEvent` into the bytes of one
``floor.events.v1.Event`` (``agent/events/floor_events_v1.proto``);
:func:`decode_event` turns such bytes back into exactly the dict
``StoredEvent.envelope(replayed=...)`` gives, so a consumer of the protobuf
body and a consumer of the JSON body see the same event. Rules:

* lossless for every value the envelope carries as JSON: ``str``, ``int``
  (an integer outside int64 travels as decimal text, ``big_int_value``),
  ``bool``, ``float``, ``None``, lists and string-keyed objects, nested to
  up to ``MAX_DEPTH`` levels; like JSON, a tuple comes back as a list;
* ``meters`` is ``null`` when the ``Meters`` field is absent and ``{}`` when
  it is present with no values; a meter outside int64 cannot be carried;
* times travel as ``google.protobuf.Timestamp`` with whole milliseconds and
  come back formatted by ``envelope.format_time``;
* the bytes are deterministic (map entries sorted by key), so one event
  always encodes to one body, byte for byte the one ``protoc --encode
  --deterministic_output`` gives (tests/data/floor_event_v1.textproto);
* encoding is on the hot path: it fills the generated message field by field
  and never goes through the envelope dict or JSON;
* a reader ignores fields it does not know (a newer v1 writer may add some)
  but refuses a body it cannot turn into an envelope: bytes that are not
  protobuf, no ``timestamp``, an unknown ``channel``, a ``Value`` with no
  kind. Decoding raises :class:`BodyDecodeError` and nothing else.

Errors (both are ``ValueError``, both carry a ``reason``)::

    ValueError
     +-- BodyEncodeError   the event holds a value the schema cannot carry (a bug upstream)
     +-- BodyDecodeError   the body is not a floor.events.v1.Event (the peer's fault)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from . import floor_events_v1_pb2 as pb
from .envelope import Channel, StoredEvent, format_time

MESSAGE_TYPE: Final = "floor.events.v1.Event"
"""The full name of the message every protobuf body holds, whatever the event (v1)."""

CONTENT_TYPE: Final = "application/x-protobuf"
"""The AMQP ``content_type`` property of a protobuf body."""

MAX_DEPTH: Final = 16
"""How deep lists and objects may nest inside ``data`` or ``raw``.

Each level is two or three messages on the wire (a ``Value``, its
``ListValue`` or ``MapValue``, a map entry) and protobuf parsers stop at
about 100 nested messages (upb and C++ by default; upb refuses objects 34
deep), so a much deeper value would encode to a body no consumer can read:
it is refused when encoding. The SAS mapper's data nests one level.
"""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_BIG_INT = re.compile(r"-?[0-9]+")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_SECONDS: Final = -62_135_596_800  # 0001-01-01T00:00:00Z, Timestamp's own range
_MAX_SECONDS: Final = 253_402_300_799  # 9999-12-31T23:59:59Z

_CHANNEL_NUMBERS: Final[Mapping[Channel, pb.Channel]] = {
    Channel.GAME: pb.CHANNEL_GAME,
    Channel.CASH: pb.CHANNEL_CASH,
    Channel.ENTRIES: pb.CHANNEL_ENTRIES,
    Channel.SYSTEM: pb.CHANNEL_SYSTEM,
    Channel.PLAYER: pb.CHANNEL_PLAYER,
}
_CHANNEL_WORDS: Final[Mapping[int, str]] = {
    number: channel.value for channel, number in _CHANNEL_NUMBERS.items()
}


class BodyEncodeError(ValueError):
    """The event holds a value ``floor.events.v1.Event`` cannot carry."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot encode event as {MESSAGE_TYPE}: {reason}")
        self.reason = reason


class BodyDecodeError(ValueError):
    """The body is not a ``floor.events.v1.Event`` this reader can turn into an envelope."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a {MESSAGE_TYPE} body: {reason}")
        self.reason = reason


# --- encoding ---------------------------------------------------------------------------


def encode_event(stored: StoredEvent, *, replayed: bool = False) -> bytes:
    """The protobuf body of ``stored`` for one delivery (``replayed`` as in the envelope).

    Raises :class:`BodyEncodeError` when the event holds a value the schema
    cannot carry (a non-string key, a set, a meter outside int64 ...).
    """
    ev = stored.event
    try:
        msg = pb.Event()
        msg.id = stored.id
        msg.seq = stored.seq
        msg.event = ev.event
        msg.channel = _CHANNEL_NUMBERS[ev.channel]
        msg.machine = ev.machine
        msg.line = ev.line
        msg.protocol = ev.protocol
        if replayed:
            msg.replayed = True
        if ev.possible_duplicate:
            msg.possible_duplicate = True
        _set_time(msg.timestamp, ev.timestamp)
        if ev.machine_time is not None:
            _set_time(msg.machine_time, ev.machine_time)
        entry = msg.data.get_or_create  # faster than msg.data[key]
        for key, value in ev.data.items():
            _set_value(entry(key), value)
        if ev.meters is not None:
            meters = msg.meters
            meters.SetInParent()
            meters.values.update(ev.meters)
        entry = msg.raw.get_or_create
        for key, value in ev.raw.items():
            _set_value(entry(key), value)
        return msg.SerializeToString(deterministic=True)
    except BodyEncodeError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:  # raised by the protobuf runtime
        raise BodyEncodeError(f"{type(exc).__name__}: {exc}") from exc


def _set_time(target: Timestamp, value: datetime) -> None:
    """Fill a ``Timestamp`` from an aware datetime (an Event's are UTC, whole ms)."""
    delta = value - _EPOCH  # days may be negative; seconds and microseconds never are
    target.seconds = delta.days * 86_400 + delta.seconds
    target.nanos = delta.microseconds * 1000


def _set_value(target: pb.Value, value: Any, depth: int = 0) -> None:
    """Fill ``target`` with the JSON value ``value`` (exact types first: the common case)."""
    kind = type(value)
    if kind is str:
        target.string_value = value
    elif kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:
            target.int_value = value
        else:
            target.big_int_value = str(value)
    elif kind is bool:
        target.bool_value = value
    elif value is None:
        target.null_value = pb.NULL_VALUE
    elif kind is float:
        target.double_value = value
    else:
        _set_other(target, value, depth)


def _set_other(target: pb.Value, value: Any, depth: int) -> None:
    """Containers, and subclasses of the scalar types (a ``StrEnum`` member, an ``IntEnum``)."""
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_DEPTH:
        raise BodyEncodeError(f"lists and objects nest deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        fields = target.map_value.fields
        target.map_value.SetInParent()  # an empty object is still an object
        for key, item in value.items():
            if not isinstance(key, str):
                raise BodyEncodeError(f"object key {key!r} is not a string")
            _set_value(fields.get_or_create(key), item, depth + 1)
    elif isinstance(value, list | tuple):
        values = target.list_value.values
        target.list_value.SetInParent()  # an empty array is still an array
        for item in value:
            _set_value(values.add(), item, depth + 1)
    elif isinstance(value, int):  # bool has no subclasses: only int ones get here
        _set_value(target, int(value), depth)
    elif isinstance(value, str):
        target.string_value = str.__str__(value)  # the text, even where __str__ is the name
    elif isinstance(value, float):
        target.double_value = float(value)
    else:
        raise BodyEncodeError(f"{type(value).__name__} {value!r} is not a JSON value")


# --- decoding ---------------------------------------------------------------------------


def decode_event(body: bytes) -> dict[str, Any]:
    """The envelope dict carried by ``body``; raises :class:`BodyDecodeError` for junk."""
    msg = pb.Event()
    try:
        msg.ParseFromString(body)
    except DecodeError as exc:
        raise BodyDecodeError(f"unparsable protobuf ({exc})") from exc
    if not msg.HasField("timestamp"):
        raise BodyDecodeError("no timestamp")
    if not msg.event:
        raise BodyDecodeError("no event name")
    channel = _CHANNEL_WORDS.get(msg.channel)
    if channel is None:
        raise BodyDecodeError(f"channel {msg.channel} is not a v1 channel")
    return {
        "id": msg.id,
        "seq": msg.seq,
        "event": msg.event,
        "channel": channel,
        "timestamp": _time(msg.timestamp, "timestamp"),
        "machine": msg.machine,
        "line": msg.line,
        "protocol": msg.protocol,
        "machine_time": _time(msg.machine_time, "machine_time")
        if msg.HasField("machine_time")
        else None,
        "replayed": msg.replayed,
        "possible_duplicate": msg.possible_duplicate,
        "data": {key: _value(value) for key, value in msg.data.items()},
        "meters": dict(msg.meters.values) if msg.HasField("meters") else None,
        "raw": {key: _value(value) for key, value in msg.raw.items()},
    }


def _time(stamp: Timestamp, name: str) -> str:
    """``format_time`` of a ``Timestamp`` (sub-millisecond nanos are truncated, as in Event)."""
    seconds, nanos = stamp.seconds, stamp.nanos
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS or not 0 <= nanos < 1_000_000_000:
        raise BodyDecodeError(f"{name} {seconds}s {nanos}ns is out of Timestamp's range")
    return format_time(_EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000))


def _value(value: pb.Value) -> Any:
    """The Python value of a ``Value`` (what ``json.loads`` would give for it)."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "null_value":
        return None
    if kind == "map_value":
        return {key: _value(item) for key, item in value.map_value.fields.items()}
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    if kind == "double_value":
        return value.double_value
    if kind == "big_int_value":
        text = value.big_int_value
        if _BIG_INT.fullmatch(text) is None:
            raise BodyDecodeError(f"big_int_value {text[:40]!r} is not an integer")
        try:
            return int(text)
        except ValueError as exc:  # more digits than sys.get_int_max_str_digits()
            raise BodyDecodeError(f"big_int_value of {len(text)} digits") from exc
    raise BodyDecodeError("a Value with no kind set")
