"""The SAS code table: every reference exception code has a stable, routable event name."""

from __future__ import annotations

import re

import pytest

from agent.events.catalogue import UNKNOWN_EXCEPTION, channel_of, event_spec, is_routing_word
from agent.events.envelope import Channel
from agent.lines.sas.codes import EXCEPTION_EVENTS, exception_entry
from protocols.sas.exception_codes import EXCEPTIONS
from tests.protocols.sas.test_exception_codes import REFERENCE_CODES, UNASSIGNED_CODES

CAMEL = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")

# What docs/events.md promises for some families; a change here is a breaking change.
SEED_NAMES = {
    0x11: ("doorOpened", Channel.ENTRIES, {"door": "slot"}),
    0x12: ("doorClosed", Channel.ENTRIES, {"door": "slot"}),
    0x13: ("doorOpened", Channel.ENTRIES, {"door": "drop"}),
    0x16: ("doorClosed", Channel.ENTRIES, {"door": "cardCage"}),
    0x19: ("doorOpened", Channel.ENTRIES, {"door": "cashbox"}),
    0x1E: ("doorClosed", Channel.ENTRIES, {"door": "belly"}),
    0x17: ("powerApplied", Channel.SYSTEM, {}),
    0x18: ("powerLost", Channel.SYSTEM, {}),
    0x20: ("tiltOccurred", Channel.SYSTEM, {"tilt": "general"}),
    0x43: ("tiltOccurred", Channel.SYSTEM, {"tilt": "reel", "reel": 3}),
    0x2B: ("billRejected", Channel.CASH, {"reason": "rejected"}),
    0x4F: ("billAccepted", Channel.CASH, {}),
    0x3D: ("ticketPrinted", Channel.CASH, {}),
    0x67: ("ticketInserted", Channel.CASH, {}),
    0x51: ("handpayPending", Channel.CASH, {}),
    0x52: ("handpayReset", Channel.CASH, {}),
    0x7E: ("gameStarted", Channel.GAME, {}),
    0x7F: ("gameEnded", Channel.GAME, {}),
    0x89: ("betPlaced", Channel.GAME, {}),
    0x9E: ("playerSessionStarted", Channel.PLAYER, {}),
    0x9F: ("playerSessionEnded", Channel.PLAYER, {}),
    0x66: ("cashoutPressed", Channel.CASH, {}),
    0x7A: ("metersReset", Channel.SYSTEM, {}),
    0x3C: ("optionsChanged", Channel.SYSTEM, {}),
    0x70: ("eventsLost", Channel.SYSTEM, {}),
    0x74: ("printerAlarmRaised", Channel.SYSTEM, {"alarm": "paperLow"}),
    0x99: ("powerOffAccessDetected", Channel.ENTRIES, {"door": "slot"}),
}


@pytest.mark.parametrize("code", REFERENCE_CODES, ids=lambda c: f"0x{c:02X}")
def test_every_reference_code_has_an_entry(code: int) -> None:
    entry = EXCEPTION_EVENTS[code]
    assert entry.code == code
    assert entry.event != UNKNOWN_EXCEPTION
    assert isinstance(entry.channel, Channel)
    assert is_routing_word(entry.event)
    assert CAMEL.fullmatch(entry.event)
    assert entry.channel is channel_of(entry.event)
    spec = event_spec(entry.event)
    assert spec is not None
    assert set(entry.data) <= set(spec.fields), "fixed data must be a documented field"
    assert exception_entry(code) is entry


def test_catalogue_holds_exactly_the_reference_table() -> None:
    assert set(EXCEPTION_EVENTS) == set(EXCEPTIONS) == set(REFERENCE_CODES)


@pytest.mark.parametrize("code", UNASSIGNED_CODES, ids=lambda c: f"0x{c:02X}")
def test_an_unknown_code_becomes_unknown_exception_with_the_code(code: int) -> None:
    entry = exception_entry(code)
    assert entry.event == UNKNOWN_EXCEPTION
    assert entry.channel is Channel.SYSTEM
    assert dict(entry.data) == {"code": code}


def test_seed_names_channels_and_fixed_data() -> None:
    for code, (name, channel, data) in SEED_NAMES.items():
        entry = exception_entry(code)
        assert (entry.event, entry.channel, dict(entry.data)) == (name, channel, data)


def test_codes_of_one_family_differ_by_their_data() -> None:
    seen: dict[tuple[str, tuple[tuple[str, object], ...]], int] = {}
    for entry in EXCEPTION_EVENTS.values():
        key = (entry.event, tuple(sorted(entry.data.items())))
        if entry.event == "billAccepted":  # nine notes: the amount comes from the code
            continue
        assert key not in seen, f"0x{entry.code:02X} and 0x{seen[key]:02X} read the same"
        seen[key] = entry.code
