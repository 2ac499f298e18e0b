"""CRC-16/KERMIT as SAS uses it (reference §2.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.sas.crc import crc16, crc_ok, with_crc

from .independent import reference_crc
from .strategies import PROPERTY_SETTINGS


def test_check_value_of_123456789_is_0x2189() -> None:
    assert crc16(b"123456789") == 0x2189


def test_with_crc_appends_the_crc_low_byte_first() -> None:
    assert with_crc(b"123456789") == b"123456789\x89\x21"


def test_crc_of_nothing_is_the_zero_seed() -> None:
    assert crc16(b"") == 0


def test_whole_frame_including_its_crc_leaves_a_zero_residue() -> None:
    assert crc16(bytes.fromhex("01 1A 00 01 66 60 9C F4")) == 0
    assert crc_ok(bytes.fromhex("01 1A 00 01 66 60 9C F4"))


def test_crc_ok_rejects_a_wrong_crc() -> None:
    assert not crc_ok(bytes.fromhex("01 1A 00 01 66 60 9C F5"))


@pytest.mark.parametrize("frame", [b"", b"\x00"], ids=["empty", "one-zero-byte"])
def test_crc_ok_rejects_frames_too_short_to_hold_a_crc(frame: bytes) -> None:
    assert not crc_ok(frame)


def test_crc_ok_accepts_a_bare_zero_crc_of_nothing() -> None:
    assert crc_ok(b"\x00\x00")


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_crc16_matches_an_independent_bitwise_implementation(data: bytes) -> None:
    assert crc16(data) == reference_crc(data)


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_any_data_with_its_crc_appended_checks_ok(data: bytes) -> None:
    framed = with_crc(data)
    assert framed[:-2] == data
    assert crc_ok(framed)
    assert reference_crc(framed) == 0


@PROPERTY_SETTINGS
@given(st.binary(min_size=1, max_size=64), st.data())
def test_any_single_bit_flip_breaks_the_crc(data: bytes, draw: st.DataObject) -> None:
    framed = bytearray(with_crc(data))
    bit = draw.draw(st.integers(min_value=0, max_value=8 * len(framed) - 1))
    framed[bit // 8] ^= 1 << (bit % 8)
    assert not crc_ok(bytes(framed))
