"""Packed BCD, most significant byte first (reference §3.0)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.sas import bcd
from protocols.sas.errors import BcdError, SasError

from .strategies import PROPERTY_SETTINGS


@pytest.mark.parametrize(
    ("value", "size", "encoded"),
    [
        (16660, 4, "00 01 66 60"),
        (0, 1, "00"),
        (99, 1, "99"),
        (2025, 2, "20 25"),
        (1234567890, 5, "12 34 56 78 90"),
        (0, 0, ""),
    ],
    ids=["meter-16660", "zero", "99", "year-2025", "ten-digit-cents", "size-0"],
)
def test_encode_packs_two_digits_per_byte_most_significant_first(
    value: int, size: int, encoded: str
) -> None:
    assert bcd.encode(value, size) == bytes.fromhex(encoded)
    assert bcd.decode(bytes.fromhex(encoded)) == value


@pytest.mark.parametrize(
    ("value", "size"),
    [(100, 1), (10**10, 5), (-1, 4), (1, 0)],
    ids=["100-in-1-byte", "11-digits-in-5-bytes", "negative", "anything-in-0-bytes"],
)
def test_encode_rejects_values_out_of_range(value: int, size: int) -> None:
    with pytest.raises(BcdError):
        bcd.encode(value, size)


def test_encode_rejects_a_negative_size() -> None:
    with pytest.raises(BcdError):
        bcd.encode(0, -1)


@pytest.mark.parametrize("byte", [0x0A, 0xA0, 0x9F, 0xF9, 0xFF], ids=lambda b: f"0x{b:02X}")
def test_decode_rejects_a_nibble_above_9(byte: int) -> None:
    with pytest.raises(BcdError):
        bcd.decode(bytes([0x12, byte]))
    assert not bcd.is_valid(bytes([0x12, byte]))


def test_bcd_error_is_both_a_sas_error_and_a_value_error() -> None:
    assert issubclass(BcdError, SasError)
    assert issubclass(BcdError, ValueError)


def test_empty_bytes_are_valid_bcd_for_zero() -> None:
    assert bcd.is_valid(b"")
    assert bcd.decode(b"") == 0


@PROPERTY_SETTINGS
@given(st.integers(min_value=0, max_value=9), st.data())
def test_decode_inverts_encode_for_every_value_that_fits(size: int, data: st.DataObject) -> None:
    value = data.draw(st.integers(min_value=0, max_value=10 ** (2 * size) - 1))
    encoded = bcd.encode(value, size)
    assert len(encoded) == size
    assert bcd.is_valid(encoded)
    assert bcd.decode(encoded) == value


@PROPERTY_SETTINGS
@given(st.binary(max_size=12))
def test_is_valid_says_exactly_when_decode_succeeds(data: bytes) -> None:
    expected_ok = all(b >> 4 <= 9 and b & 0x0F <= 9 for b in data)
    assert bcd.is_valid(data) is expected_ok
    if expected_ok:
        assert bcd.encode(bcd.decode(data), len(data)) == data
    else:
        with pytest.raises(BcdError):
            bcd.decode(data)
