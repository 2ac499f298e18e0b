"""The catalogue: the one place that names canonical events (docs/events.md).

Every event the agent stores and publishes has a name listed in ``EVENTS``
with its channel and the data keys it may carry; every SAS exception code of
the reference (§4) has an ``ExceptionEntry`` saying which event it becomes
and the fixed data that tells codes of one family apart (``doorOpened`` with
``{"door": "slot"}`` ...). Rules:

1. Names are camelCase, in the past tense where English allows
   (``doorOpened``, ``tiltOccurred``, ``billAcceptorAlarmRaised``), made of
   ``[A-Za-z0-9]`` only, because they are words of the AMQP routing key
   ``<channel>.<event>.<machine>``. A name, once published, never changes.
2. One name per fact, one family per device: codes that say the same thing
   about different parts (five doors, ten tilts, five printer alarms) share a
   name and differ by a data value, so a consumer subscribes to one word.
3. Data keys are snake_case; money is in cents (``*_cents``) with the
   ``currency`` beside it. When a machine's denomination is unknown the
   mapper keeps credits (``*_credits``) and adds ``denomination_unknown``.
4. A code the reference does not list becomes ``unknownException`` with
   ``{"code": n}``: never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from protocols.sas.exception_codes import EXCEPTIONS

from .envelope import Channel

DataValue = str | int | bool

ROUTING_WORD = re.compile(r"[A-Za-z0-9]+")
"""What one word of an AMQP topic routing key may hold (no dots, no wildcards)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSpec:
    """One canonical event: its name, channel, and the data keys it may carry."""

    name: str
    channel: Channel
    summary: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionEntry:
    """What SAS exception ``code`` becomes: an event and the fixed data of this code."""

    code: int
    event: str
    channel: Channel
    data: Mapping[str, DataValue]


GAME, CASH, ENTRIES, SYSTEM, PLAYER = (
    Channel.GAME,
    Channel.CASH,
    Channel.ENTRIES,
    Channel.SYSTEM,
    Channel.PLAYER,
)


def _spec(name: str, channel: Channel, summary: str, fields: str = "") -> EventSpec:
    return EventSpec(name=name, channel=channel, summary=summary, fields=tuple(fields.split()))


_CENTS = "currency denomination_unknown amount_cents amount_credits"
_BILL = f"{_CENTS} country bill_code bill_count"
_WIN = "currency denomination_unknown win_cents win_credits"

_SPECS = (
    # --- link, identification, meters, the agent's own alarms ----------------------------
    _spec("online", SYSTEM, "the machine answers polls again"),
    _spec("offline", SYSTEM, "the machine stopped answering", "reason"),
    _spec(
        "machineIdentified",
        SYSTEM,
        "identification, after the link came up or options changed",
        "address sas_version serial denomination_cents reported_denomination_cents game_id "
        "paytable_id base_percent max_bet game_count games features meter_method",
    ),
    _spec(
        "metersRead",
        SYSTEM,
        "a meter sweep; the meters are the envelope's meters",
        "reason rebase method denomination_unknown",
    ),
    _spec("romSignatureReported", SYSTEM, "the result of a ROM signature (LP 21)", "signature"),
    _spec(
        "eventsLost", SYSTEM, "the event buffer overflowed (70); metersRead follows", "reconcile"
    ),
    _spec("unknownException", SYSTEM, "an exception code the reference does not list", "code"),
    _spec("storeCorrupted", SYSTEM, "the store was corrupt, moved aside, started fresh"),
    _spec("storeFull", SYSTEM, "the store's size bound bit and its policy applied"),
    _spec("storeRecovered", SYSTEM, "the store accepts events again"),
    # --- details read by a service long poll after an exception ---------------------------
    _spec(
        "handpayDetailsRead",
        CASH,
        "LP 1B after handpayPending (51)",
        f"{_CENTS} pending progressive_group level handpay_type partial_pay_cents "
        "partial_pay_credits reset_id",
    ),
    _spec(
        "validationDetailsRead",
        CASH,
        "LP 4D after ticketPrinted (3D) or handpayValidated (3E)",
        f"{_CENTS} validation_type index validation_number ticket_number system_id expiration "
        "pool_id recorded_at",
    ),
    _spec("billDetailsRead", CASH, "LP 48 after billAccepted (47-50)", _BILL),
    _spec(
        "cashoutDetailsRead",
        CASH,
        "LP 57 after ticketValidationRequested (57)",
        f"{_CENTS} cashout_type cashout_type_code pending",
    ),
    _spec(
        "ticketInDetailsRead",
        CASH,
        "LP 70 after ticketInserted (67)",
        f"{_CENTS} status status_code parsing_code validation_number",
    ),
    _spec("serviceDetailsRead", SYSTEM, "any other service reply (see raw)"),
    # --- exceptions -------------------------------------------------------------------------
    _spec("idleReported", SYSTEM, "no activity (00, 1F; not reported)", "waiting_for_player"),
    _spec("doorOpened", ENTRIES, "a door opened", "door"),
    _spec("doorClosed", ENTRIES, "a door closed", "door"),
    _spec("cashboxRemoved", ENTRIES, "the cashbox (stacker) was removed"),
    _spec("cashboxInstalled", ENTRIES, "the cashbox was put back"),
    _spec("powerOffAccessDetected", ENTRIES, "a door was opened while power was off", "door"),
    _spec("powerApplied", SYSTEM, "AC power applied (meters are re-read)"),
    _spec("powerLost", SYSTEM, "AC power lost"),
    _spec("tiltOccurred", SYSTEM, "a tilt", "tilt reel"),
    _spec("billAcceptorAlarmRaised", SYSTEM, "a bill acceptor or cashbox condition", "alarm"),
    _spec("billAcceptorVersionChanged", SYSTEM, "the bill acceptor changed"),
    _spec("billRejected", CASH, "a bill was refused", "reason"),
    _spec("memoryErrorDetected", SYSTEM, "a memory error", "error"),
    _spec("memoryReset", SYSTEM, "memory cleared after an error (meters rebased)"),
    _spec("batteryLowDetected", SYSTEM, "low backup battery"),
    _spec("optionsChanged", SYSTEM, "an operator changed options (re-identified)"),
    _spec("ticketPrinted", CASH, "a cash-out ticket was printed"),
    _spec("handpayValidated", CASH, "a handpay receipt was validated"),
    _spec("validationIdRequested", SYSTEM, "the validation ID is not configured"),
    _spec("billAccepted", CASH, "a bill was stacked", _BILL),
    _spec("handpayPending", CASH, "the machine locked up for a handpay"),
    _spec("handpayReset", CASH, "a handpay was reset"),
    _spec("handpayCancelled", CASH, "the player cancelled a handpay request"),
    _spec("handpayKeyedToMachinePay", CASH, "a jackpot handpay was keyed off to machine pay"),
    _spec("progressiveLinkLost", SYSTEM, "no progressive information for 5 s"),
    _spec("progressivePaid", GAME, "a progressive win paid by the machine"),
    _spec("progressiveHit", GAME, "a progressive level was hit", "source"),
    _spec("ticketValidationRequested", CASH, "the machine asks to validate a cash-out ticket"),
    _spec("tipAwarded", CASH, "a tip was awarded"),
    _spec("printerAlarmRaised", SYSTEM, "a printer condition", "alarm"),
    _spec("printerPoweredOff", SYSTEM, "the printer was switched off"),
    _spec("printerPoweredOn", SYSTEM, "the printer was switched on"),
    _spec("cashoutPressed", CASH, "the cash-out button was pressed"),
    _spec("ticketInserted", CASH, "a ticket was inserted (in escrow)"),
    _spec("ticketRedemptionCompleted", CASH, "a ticket-in transfer finished (any outcome)"),
    _spec("aftTransferCompleted", CASH, "an AFT transfer completed"),
    _spec("aftCashoutRequested", CASH, "the machine asks the host to cash out (AFT)"),
    _spec("aftWinCashoutRequested", CASH, "the machine asks the host to cash out a win"),
    _spec("aftRegistrationRequested", SYSTEM, "the machine asks for AFT registration"),
    _spec("aftRegistrationAcknowledged", SYSTEM, "AFT registration acknowledged"),
    _spec("aftRegistrationCancelled", SYSTEM, "AFT registration cancelled"),
    _spec("gameLocked", SYSTEM, "the game is locked (for a transfer)"),
    _spec("changeLampSwitchedOn", PLAYER, "the change (service) lamp went on"),
    _spec("changeLampSwitchedOff", PLAYER, "the change lamp went off"),
    _spec("metersReset", SYSTEM, "soft meters reset to zero (meters rebased)"),
    _spec("billPeriodTotalsReset", SYSTEM, "bill validator period totals reset"),
    _spec(
        "bonusAwarded",
        CASH,
        "legacy bonus and/or multiplied jackpot",
        "currency denomination_unknown multiplier multiplied_win_cents multiplied_win_credits "
        "tax_status bonus_cents bonus_credits",
    ),
    _spec(
        "gameStarted",
        GAME,
        "a game started",
        "currency denomination_unknown wager_cents wager_credits coin_in_meter_cents "
        "coin_in_meter_credits wager_type progressive_group",
    ),
    _spec("gameEnded", GAME, "a game ended", _WIN),
    _spec("hopperAlarmRaised", SYSTEM, "a hopper condition", "alarm"),
    _spec("menuEntered", SYSTEM, "a service menu was opened", "menu"),
    _spec("menuExited", SYSTEM, "a service menu was closed", "menu"),
    _spec("takenOutOfService", SYSTEM, "an attendant took the machine out of service"),
    _spec("drawRequested", GAME, "the player asked to draw cards"),
    _spec("reelStopped", GAME, "a reel stopped", "reel stop"),
    _spec("betPlaced", GAME, "a coin or credit was wagered"),
    _spec("gameRecallDisplayed", GAME, "a game recall entry is shown", "game entry"),
    _spec("cardHoldChanged", GAME, "a card was held or released", "card_byte"),
    _spec("gameSelected", GAME, "a game was selected", "game"),
    _spec("componentListChanged", SYSTEM, "the authentication component list changed"),
    _spec("authenticationCompleted", SYSTEM, "component authentication completed"),
    _spec("playerSessionStarted", PLAYER, "a player session started"),
    _spec("playerSessionEnded", PLAYER, "a player session ended"),
    _spec("meterChangeRequested", SYSTEM, "a meter change is pending"),
    _spec("meterChangeCancelled", SYSTEM, "a meter change was cancelled"),
    _spec("enabledGamesChanged", SYSTEM, "enabled games or denominations changed"),
)

EVENTS: Mapping[str, EventSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
"""Every canonical event name, with its channel and data keys."""


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

UNKNOWN_EXCEPTION = "unknownException"


def exception_entry(code: int) -> ExceptionEntry:
    """The entry for SAS exception ``code``; an unknown code gets ``unknownException``."""
    entry = EXCEPTION_EVENTS.get(code)
    if entry is not None:
        return entry
    return _entry(code, UNKNOWN_EXCEPTION, {"code": code})


def event_spec(name: str) -> EventSpec | None:
    """The catalogue's description of event ``name``, or ``None`` if it is not one."""
    return EVENTS.get(name)


def channel_of(name: str) -> Channel:
    """The channel of event ``name``; raises ``KeyError`` for a name not in the catalogue."""
    return EVENTS[name].channel


def is_routing_word(word: str) -> bool:
    """True when ``word`` may stand as one word of an AMQP routing key."""
    return ROUTING_WORD.fullmatch(word) is not None


def names_on(channel: Channel) -> tuple[str, ...]:
    """The event names of one channel, in catalogue order."""
    return tuple(spec.name for spec in _SPECS if spec.channel is channel)
