"""SAS session events -> canonical events (docs/events.md).

``SasEventMapper.map`` takes one event of ``protocols.sas.session`` and
returns the canonical ``Event`` values it stands for (none, or one). Rules:

1. Names, channels and fixed data come from ``catalogue``; this module adds
   only what the wire carried (amounts, bill, game and reel data).
2. Money is cents, converted with the machine's denomination: the
   configured override, else the one the last identification reported. If
   neither is known, credits stay credits (``*_credits``) and the data says
   ``denomination_unknown: true``; nothing is guessed.
3. ``raw`` is the way back to the wire: ``{"protocol": "sas"}``, plus
   ``code`` (the exception; an integer) and ``data`` (the RTE data, hex) for
   an exception-born event, plus ``longpoll`` (two hex digits) and ``data``
   (the reply, hex) for what a long poll read. Only exception-born events
   have a ``code`` without a ``longpoll``: the simulator's ledger comparison
   relies on that.
4. The last meter snapshot of each machine rides on every cash-channel event
   (``meters``); a meter sweep replaces it.
5. Counters and audit (``CommandCompleted``, ``PollFailed``,
   ``FaultReceived``) are not events: they map to nothing. The session's
   ``gate`` never enters an event; the caller confirms it once the event is
   durable.
6. ``timestamp`` is ``clock()`` (UTC) when the event is mapped;
   ``machine_time`` stays ``None`` because SAS exceptions carry no time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from agent.events.catalogue import channel_of
from agent.events.envelope import Channel, Event
from protocols.line import FaultReceived, LinkDown, LinkUp, PollFailed
from protocols.sas.exception_codes import ExceptionCode
from protocols.sas.messages import LastBill, RteEvent
from protocols.sas.messages.events import (
    CardHeld,
    GameEnded,
    GameRecall,
    GameSelected,
    GameStarted,
    LegacyBonus,
    ReelStopped,
)
from protocols.sas.session_types import (
    CommandCompleted,
    ExceptionReported,
    MachineIdentified,
    MachineProfile,
    MetersRead,
    RomSignatureReported,
    ServiceReply,
    SessionEvent,
)

from .codes import exception_entry
from .details import bill_data, details, long_poll_of
from .units import Money, canonical_meters

PROTOCOL = "sas"

BILL_CODE_CENTS: dict[int, int] = {
    0x47: 100,
    0x48: 500,
    0x49: 1_000,
    0x4A: 2_000,
    0x4B: 5_000,
    0x4C: 10_000,
    0x4D: 200,
    0x4E: 50_000,
    0x50: 20_000,
}
"""Non-RTE bill exceptions and the note each one names (reference §3.6, §4)."""

RECONCILE = "metersRead follows"


def _hex(data: bytes) -> str:
    return data.hex().upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineInfo:
    """A configured machine: its id, and a denomination that overrides the machine's."""

    id: str
    denomination_cents: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a machine needs an id")
        if self.denomination_cents is not None and self.denomination_cents <= 0:
            raise ValueError(f"denomination of {self.id} must be positive cents")


class UnknownMachineError(LookupError):
    """A session event for an address the mapper was not configured with (a wiring bug)."""

    def __init__(self, line: str, address: int) -> None:
        super().__init__(f"line {line}: no machine configured at SAS address {address}")
        self.line = line
        self.address = address


@dataclass(slots=True)
class _Machine:
    info: MachineInfo
    reported_denomination: int | None = None
    snapshot: dict[str, int] | None = None

    @property
    def denomination(self) -> int | None:
        if self.info.denomination_cents is not None:
            return self.info.denomination_cents
        return self.reported_denomination


@dataclass(slots=True)
class _Draft:
    """An event being built for one machine; ``_build`` stamps and addresses it."""

    event: str
    data: dict[str, Any]
    raw: dict[str, Any]
    meters: Mapping[str, int] | None = None
    channel: Channel | None = None


class SasEventMapper:
    """Maps the session events of one SAS line to canonical events."""

    def __init__(
        self,
        line: str,
        machines: Mapping[int, MachineInfo],
        currency: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.line = line
        self.currency = currency
        self._clock = clock
        self._machines = {address: _Machine(info) for address, info in machines.items()}

    # --- public API ----------------------------------------------------------------

    def map(self, event: SessionEvent) -> list[Event]:
        """The canonical events ``event`` stands for (an empty list for counters)."""
        match event:
            case LinkUp():
                draft = _Draft("online", {}, self._raw())
            case LinkDown():
                draft = _Draft("offline", {"reason": event.reason}, self._raw())
            case MachineIdentified():
                draft = self._identified(event)
            case ExceptionReported():
                draft = self._exception(event)
            case ServiceReply():
                draft = self._service_reply(event)
            case RomSignatureReported():
                draft = self._signature(event)
            case MetersRead():
                draft = self._meters(event)
            case CommandCompleted() | PollFailed() | FaultReceived():
                return []
            case _:
                assert_never(event)
        return [self._build(event.address, draft)]

    def denomination_cents(self, address: int) -> int | None:
        """The denomination used for the machine at ``address`` (``None``: unknown)."""
        return self._machine(address).denomination

    def meters(self, address: int) -> Mapping[str, int] | None:
        """The last meter snapshot of the machine at ``address``, by canonical name."""
        snapshot = self._machine(address).snapshot
        return None if snapshot is None else dict(snapshot)

    # --- building --------------------------------------------------------------------

    def _machine(self, address: int) -> _Machine:
        try:
            return self._machines[address]
        except KeyError:
            raise UnknownMachineError(self.line, address) from None

    def _money(self, address: int) -> Money:
        return Money(self._machine(address).denomination, self.currency)

    @staticmethod
    def _raw(**fields: Any) -> dict[str, Any]:
        return {"protocol": PROTOCOL, **fields}

    def _build(self, address: int, draft: _Draft) -> Event:
        machine = self._machine(address)
        channel = draft.channel or channel_of(draft.event)
        meters = draft.meters
        if meters is None and channel is Channel.CASH and machine.snapshot is not None:
            meters = dict(machine.snapshot)
        return Event(
            event=draft.event,
            channel=channel,
            timestamp=self._clock(),
            machine=machine.info.id,
            line=self.line,
            protocol=PROTOCOL,
            data=draft.data,
            meters=meters,
            raw=draft.raw,
        )

    # --- one method per session event --------------------------------------------------

    def _identified(self, event: MachineIdentified) -> _Draft:
        machine = self._machine(event.address)
        profile = event.profile
        machine.reported_denomination = profile.denomination_cents
        data = _profile_data(profile)
        data["denomination_cents"] = machine.denomination
        data["reported_denomination_cents"] = profile.denomination_cents
        return _Draft("machineIdentified", data, self._raw())

    def _exception(self, event: ExceptionReported) -> _Draft:
        code = event.code
        entry = exception_entry(code)
        data: dict[str, Any] = dict(entry.data)
        money = self._money(event.address)
        if code in BILL_CODE_CENTS:
            money.cents(data, "amount", BILL_CODE_CENTS[code])
        elif code == ExceptionCode.BUFFER_OVERFLOW:
            data["reconcile"] = RECONCILE
        rte = event.event
        if rte is not None:
            data.update(_rte_data(rte, money))
        raw_data = b"" if rte is None else rte.raw_data
        return _Draft(
            entry.event, data, self._raw(code=code, data=_hex(raw_data)), channel=entry.channel
        )

    def _service_reply(self, event: ServiceReply) -> _Draft:
        message = event.message
        name, data = details(message, self._money(event.address))
        command = long_poll_of(event.trigger, message)
        raw = self._raw(
            code=event.trigger,
            longpoll="" if command is None else f"{command:02X}",
            data=_hex(message.encode()),
        )
        return _Draft(name, data, raw)

    def _signature(self, event: RomSignatureReported) -> _Draft:
        signature = event.signature & 0xFFFF
        raw = self._raw(longpoll="21", data=_hex(signature.to_bytes(2, "little")))
        return _Draft("romSignatureReported", {"signature": f"{signature:04X}"}, raw)

    def _meters(self, event: MetersRead) -> _Draft:
        machine = self._machine(event.address)
        denomination = machine.denomination
        snapshot = canonical_meters(event.meters, denomination)
        machine.snapshot = snapshot
        data: dict[str, Any] = {
            "reason": event.reason,
            "rebase": event.rebase,
            "method": event.method.value,
        }
        if denomination is None:
            data["denomination_unknown"] = True
        return _Draft("metersRead", data, self._raw(), meters=dict(snapshot))


def _rte_data(rte: RteEvent, money: Money) -> dict[str, Any]:
    """What the data of a real-time event adds to its event (reference §3.12)."""
    data: dict[str, Any] = {}
    match rte.data:
        case GameStarted() as game:
            money.credits(data, "wager", game.credits_wagered)
            money.credits(data, "coin_in_meter", game.coin_in_meter)
            data.update(wager_type=game.wager_type, progressive_group=game.progressive_group)
        case GameEnded() as game:
            money.credits(data, "win", game.win)
        case LegacyBonus() as bonus:
            data["multiplier"] = bonus.multiplier
            money.credits(data, "multiplied_win", bonus.multiplied_win)
            data["tax_status"] = bonus.tax_status
            money.credits(data, "bonus", bonus.bonus)
        case LastBill() as bill:
            data.update(bill_data(bill, money))
        case ReelStopped() as reel:
            data.update(reel=reel.reel, stop=reel.stop)
        case GameRecall() as recall:
            data.update(game=recall.game, entry=recall.entry)
        case CardHeld() as card:
            data["card_byte"] = card.value
        case GameSelected() as selected:
            data["game"] = selected.game
        case None:
            pass
        case _:
            assert_never(rte.data)
    return data


def _profile_data(profile: MachineProfile) -> dict[str, Any]:
    """What identification learned, in canonical words (unknown parts are null)."""
    version, config, features = profile.version, profile.configuration, profile.features
    return {
        "address": profile.address,
        "sas_version": None if version is None else version.version,
        "serial": None if version is None else version.serial,
        "game_id": None if config is None else config.game_id,
        "paytable_id": None if config is None else config.paytable_id,
        "base_percent": None if config is None else config.base_percent,
        "max_bet": None if config is None else config.max_bet,
        "game_count": profile.game_count,
        "games": list(profile.enabled_games),
        "features": None
        if features is None
        else {
            "aft": features.aft,
            "extended_meters": features.extended_meters,
            "ticket_redemption": features.ticket_redemption,
            "validation_extensions": features.validation_extensions,
            "multi_denom": features.multi_denom,
            "fast_polling": features.fast_polling,
        },
        "meter_method": None if profile.meter_method is None else profile.meter_method.value,
    }
