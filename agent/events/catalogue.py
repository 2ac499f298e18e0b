"""The catalogue: the one place that names canonical events (docs/events.md).

Every event the agent stores and publishes has a name listed in ``EVENTS``
with its channel and the data keys it may carry. The catalogue is
protocol-neutral: which wire code becomes which event is each protocol
adapter's table (``agent/lines/sas/codes.py`` for SAS), and every name such a
table uses must be one of ``EVENTS``. Rules:

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
4. A protocol code its adapter does not know becomes ``unknownException``
   with ``{"code": n}``: never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

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
    _spec("unknownException", SYSTEM, "a protocol code the agent does not know", "code"),
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

UNKNOWN_EXCEPTION = "unknownException"


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
