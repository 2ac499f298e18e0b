"""Hand-built §3 layout vectors (layout_vectors.py): cut, decoded and re-encoded exactly."""

from __future__ import annotations

import pytest

from protocols.sas.frames import DataFrame, EventFrame
from protocols.sas.messages import (
    RawReply,
    RteEvent,
    decode_event,
    decode_reply,
    encode_event,
    encode_reply,
)

from .independent import reference_crc, run
from .layout_vectors import ADDR, LAYOUT_VECTORS, LayoutVector

VECTORS = [pytest.param(v, id=v.id) for v in LAYOUT_VECTORS]
MESSAGE_VECTORS = [pytest.param(v, id=v.id) for v in LAYOUT_VECTORS if v.message is not None]


@pytest.mark.parametrize("vector", VECTORS)
def test_layout_vector_is_cut_into_exactly_one_frame_of_its_type(vector: LayoutVector) -> None:
    received = run(vector.expect, [vector.raw])
    assert len(received) == 1, received
    (frame,) = received
    assert isinstance(frame, vector.frame_type)
    assert frame.raw == vector.raw
    assert frame.address == ADDR


@pytest.mark.parametrize("vector", VECTORS)
def test_layout_vector_fed_byte_by_byte_gives_the_same_frame(vector: LayoutVector) -> None:
    whole = run(vector.expect, [vector.raw])
    assert run(vector.expect, [bytes([b]) for b in vector.raw]) == whole


@pytest.mark.parametrize("vector", MESSAGE_VECTORS)
def test_layout_vector_decodes_to_the_fields_written_in_the_layout(vector: LayoutVector) -> None:
    assert reference_crc(vector.raw) == 0
    (frame,) = run(vector.expect, [vector.raw])
    if isinstance(frame, DataFrame):
        assert decode_reply(frame) == vector.message
    else:
        assert isinstance(frame, EventFrame)
        assert decode_event(frame) == vector.message


@pytest.mark.parametrize("vector", MESSAGE_VECTORS)
def test_layout_vector_message_encodes_back_to_the_same_bytes(vector: LayoutVector) -> None:
    message = vector.message
    assert message is not None
    assert not isinstance(message, RawReply)
    if isinstance(message, RteEvent):
        assert message.data is not None
        assert encode_event(ADDR, message.code, message.data.encode()) == vector.raw
    else:
        assert encode_reply(ADDR, vector.raw[1], message.encode()) == vector.raw
