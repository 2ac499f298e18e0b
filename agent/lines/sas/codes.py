"""SAS exception codes -> canonical events: the SAS half of the catalogue (docs/events.md).

Every SAS exception code of the reference (§4) has an ``ExceptionEntry``
saying which canonical event it becomes and the fixed data that tells codes
of one family apart (``doorOpened`` with ``{"door": "slot"}`` ...). Names
and channels come from ``agent.events.catalogue``; a name missing there, or
a reference code missing here, fails at import. A code the reference does
not list becomes ``unknownException`` with ``{"code": n}``: never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from agent.events.catalogue import EVENTS, UNKNOWN_EXCEPTION, DataValue
from agent.events.envelope import Channel
from protocols.sas.exception_codes import EXCEPTIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionEntry:
    """What SAS exception ``code`` becomes: an event and the fixed data of this code."""

    code: int
    event: str
    channel: Channel
    data: Mapping[str, DataValue]


_Row = tuple[str, dict[str, DataValue]]


def _family(event: str, key: str, values: Mapping[int, DataValue]) -> dict[int, _Row]:
    return {code: (event, {key: value}) for code, value in values.items()}


_DOORS = {0x11: "slot", 0x13: "drop", 0x15: "cardCage", 0x19: "cashbox", 0x1D: "belly"}
_TILTS: dict[int, DataValue] = {
    0x20: "general",
    0x21: "coinIn",
    0x22: "coinOut",
    0x23: "hopperEmpty",
    0x24: "extraCoinPaid",
    0x25: "diverterMalfunction",
    0x2D: "reverseCoinIn",
    0x40: "reel",
    0x46: "reelDisconnected",
    0x79: "coinInLockout",
}
_MEMORY_ERRORS: dict[int, DataValue] = {
    0x31: "nvramRecovered",
    0x32: "nvramNotRecovered",
    0x33: "nvramBadDevice",
    0x34: "eepromData",
    0x35: "eepromBadDevice",
    0x36: "epromChecksumChanged",
    0x37: "epromBadChecksum",
    0x38: "partitionedEpromVersionChanged",
    0x39: "partitionedEpromBadChecksum",
}

_CODES: dict[int, _Row] = {
    0x00: ("idleReported", {"waiting_for_player": False}),
    0x1F: ("idleReported", {"waiting_for_player": True}),
    **_family("doorOpened", "door", _DOORS),
    **_family("doorClosed", "door", {code + 1: door for code, door in _DOORS.items()}),
    0x17: ("powerApplied", {}),
    0x18: ("powerLost", {}),
    0x1B: ("cashboxRemoved", {}),
    0x1C: ("cashboxInstalled", {}),
    **_family("tiltOccurred", "tilt", _TILTS),
    **{0x40 + reel: ("tiltOccurred", {"tilt": "reel", "reel": reel}) for reel in range(1, 6)},
    **_family(
        "billAcceptorAlarmRaised",
        "alarm",
        {0x27: "cashboxFull", 0x28: "billJam", 0x29: "hardwareFailure", 0x2E: "cashboxNearFull"},
    ),
    **_family("billRejected", "reason", {0x2A: "reversed", 0x2B: "rejected", 0x2C: "counterfeit"}),
    0x2F: ("billAcceptorVersionChanged", {}),
    **_family("memoryErrorDetected", "error", _MEMORY_ERRORS),
    0x3A: ("memoryReset", {}),
    0x3B: ("batteryLowDetected", {}),
    0x3C: ("optionsChanged", {}),
    0x3D: ("ticketPrinted", {}),
    0x3E: ("handpayValidated", {}),
    0x3F: ("validationIdRequested", {}),
    **{code: ("billAccepted", {}) for code in (*range(0x47, 0x50), 0x50)},
    0x51: ("handpayPending", {}),
    0x52: ("handpayReset", {}),
    0x53: ("progressiveLinkLost", {}),
    0x54: ("progressivePaid", {}),
    0x55: ("handpayCancelled", {}),
    0x56: ("progressiveHit", {"source": "sas"}),
    0x57: ("ticketValidationRequested", {}),
    0x59: ("progressiveHit", {"source": "nonSas"}),
    0x5A: ("handpayKeyedToMachinePay", {}),
    0x5F: ("tipAwarded", {}),
    **_family(
        "printerAlarmRaised",
        "alarm",
        {
            0x60: "communicationError",
            0x61: "paperOut",
            0x74: "paperLow",
            0x77: "replaceRibbon",
            0x78: "carriageJammed",
        },
    ),
    0x66: ("cashoutPressed", {}),
    0x67: ("ticketInserted", {}),
    0x68: ("ticketRedemptionCompleted", {}),
    0x69: ("aftTransferCompleted", {}),
    0x6A: ("aftCashoutRequested", {}),
    0x6B: ("aftWinCashoutRequested", {}),
    0x6C: ("aftRegistrationRequested", {}),
    0x6D: ("aftRegistrationAcknowledged", {}),
    0x6E: ("aftRegistrationCancelled", {}),
    0x6F: ("gameLocked", {}),
    0x70: ("eventsLost", {}),
    0x71: ("changeLampSwitchedOn", {}),
    0x72: ("changeLampSwitchedOff", {}),
    0x75: ("printerPoweredOff", {}),
    0x76: ("printerPoweredOn", {}),
    0x7A: ("metersReset", {}),
    0x7B: ("billPeriodTotalsReset", {}),
    0x7C: ("bonusAwarded", {}),
    0x7E: ("gameStarted", {}),
    0x7F: ("gameEnded", {}),
    **_family("hopperAlarmRaised", "alarm", {0x80: "full", 0x81: "low"}),
    **_family("menuEntered", "menu", {0x82: "attendant", 0x84: "operator"}),
    **_family("menuExited", "menu", {0x83: "attendant", 0x85: "operator"}),
    0x86: ("takenOutOfService", {}),
    0x87: ("drawRequested", {}),
    0x88: ("reelStopped", {}),
    0x89: ("betPlaced", {}),
    0x8A: ("gameRecallDisplayed", {}),
    0x8B: ("cardHoldChanged", {}),
    0x8C: ("gameSelected", {}),
    0x8E: ("componentListChanged", {}),
    0x8F: ("authenticationCompleted", {}),
    **_family(
        "powerOffAccessDetected",
        "door",
        {0x98: "cardCage", 0x99: "slot", 0x9A: "cashbox", 0x9B: "drop"},
    ),
    0x9E: ("playerSessionStarted", {}),
    0x9F: ("playerSessionEnded", {}),
    0xA0: ("meterChangeRequested", {}),
    0xA1: ("meterChangeCancelled", {}),
    0xA2: ("enabledGamesChanged", {}),
}


def _entry(code: int, event: str, data: Mapping[str, DataValue]) -> ExceptionEntry:
    return ExceptionEntry(
        code=code, event=event, channel=EVENTS[event].channel, data=MappingProxyType(dict(data))
    )


EXCEPTION_EVENTS: Mapping[int, ExceptionEntry] = MappingProxyType(
    {code: _entry(code, *_CODES[code]) for code in sorted(EXCEPTIONS)}
)
"""Exception code -> its entry, for exactly the codes of reference §4 (``EXCEPTIONS``).

A reference code missing from ``_CODES`` fails here, at import, rather than
quietly becoming ``unknownException``.
"""


def exception_entry(code: int) -> ExceptionEntry:
    """The entry for SAS exception ``code``; an unknown code gets ``unknownException``."""
    entry = EXCEPTION_EVENTS.get(code)
    if entry is not None:
        return entry
    return _entry(code, UNKNOWN_EXCEPTION, {"code": code})
