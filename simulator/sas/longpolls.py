"""Long-poll answers of a simulated SAS machine, read from its model.

Every long poll the foundation codec knows is answered from the machine's
state; everything else gets silence, as the reference requires of a real
machine (§4.4). Meter values roll over like the machine's BCD fields (10^8
for 4 bytes). ``Answer.on_ack`` runs when the host acknowledges the reply
(4D with function 00 marks a ticket record read only then; the ROM
signature is forgotten only then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from protocols.sas import (
    DENOMINATION_CENTS,
    MULTI_METER_LAYOUTS,
    SINGLE_METER_CODES,
    SINGLE_METER_COMMANDS,
    AftInterrogate,
    AftLockOrStatus,
    AftLockStatus,
    AftTransferStatus,
    BillCounts,
    CashoutTicket,
    ConfigureBills,
    DateTime,
    DisablePlay,
    EnabledGames,
    EnableGame,
    EnablePlay,
    Encodable,
    ExtendedMeter,
    ExtendedMeters,
    Features,
    GameConfiguration,
    GameCount,
    GamesSince,
    HandpayInfo,
    HandpayResetResult,
    LastBill,
    MultiMeters,
    Read,
    ReadExtendedMeters,
    ReadGame,
    ReadSelectedMeters,
    ReadValidationInfo,
    RequestMessage,
    ResetHandpay,
    SelectedGame,
    SelectedMeters,
    SetBillAcceptor,
    SetDateTime,
    SetHandpayResetMethod,
    SetRealTimeEvents,
    SetSound,
    SingleMeter,
    StartRomSignature,
    TicketData,
    ValidationRecord,
    VersionSerial,
    ack_reply,
    crc16,
    data_reply,
    encode_bcd,
    is_cents,
    lp2f_size,
    nack_reply,
    rom_signature_reply,
)

from ..events import Kind, MachineEvent
from ..meters import TicketRecord
from ..model import HandpayKind
from .codes import BILL_DENOMINATION_CODES, COUNTRY_USA
from .control import apply_control

if TYPE_CHECKING:
    from .egm import SasEgm

SIGNATURE_SECONDS = 0.5
CENTS_DENOMINATION = {cents: code for code, cents in DENOMINATION_CENTS.items()}
BILL_COUNT_COMMANDS = {0x31: 1, 0x32: 2, 0x33: 5, 0x34: 10, 0x35: 20, 0x36: 50, 0x37: 100}


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A reply, whether a repeated poll may re-send it, and what its acknowledgement does."""

    data: bytes
    cache: bool = True
    on_ack: Callable[[float], None] | None = None


class LongPollResponder:
    """Answers long polls for one ``SasEgm`` from its machine model."""

    def __init__(self, egm: SasEgm) -> None:
        self._egm = egm
        self._signature: tuple[float, int] | None = None
        self._clock_offset = timedelta()
        self._reset_to_credit = False
        self._read_sequence = 0  # the ticket last read with 4D(00), by its sequence number

    def bill_count(self, event: MachineEvent) -> int:
        """Lifetime count of the note of a bill event (RTE 4F data)."""
        if event.kind is not Kind.BILL_ACCEPTED:
            return 0
        dollars = event.data.get("dollars", 0)
        return self._egm.model.meters.bills_by_dollars.get(int(dollars), 0)

    # --- replies ------------------------------------------------------------------

    def _reply(self, command: int, message: Encodable) -> Answer:
        return Answer(data=data_reply(self._egm.address, command, message))

    def _ack(self) -> Answer:
        return Answer(data=ack_reply(self._egm.address))

    def answer(self, command: int, request: RequestMessage, now: float) -> Answer:
        egm, model = self._egm, self._egm.model
        match request:
            case (
                EnablePlay()
                | DisablePlay()
                | SetSound()
                | SetBillAcceptor()
                | ConfigureBills()
                | EnableGame()
                | SetRealTimeEvents()
            ):
                if apply_control(egm, request, now):
                    return self._ack()
                return Answer(data=nack_reply(egm.address), cache=False)
            case StartRomSignature(seed=seed):
                program = model.machine_id.encode() + model.sas_version.encode()
                signature = crc16(seed.to_bytes(2, "little") + program)
                self._signature = (now + SIGNATURE_SECONDS, signature)
                return self._ack()
            case SetDateTime(moment=moment):
                self._clock_offset = moment - self.clock(now) + self._clock_offset
                return self._ack()
            case ResetHandpay():
                events = model.reset_handpay(now, to_credit_meter=self._reset_to_credit)
                egm.report(events, now)
                # ``events`` may hold whatever else fell due at ``now``: look for the reset
                reset = any(event.kind is Kind.HANDPAY_RESET for event in events)
                return self._reply(
                    command, HandpayResetResult(command=command, code=0 if reset else 2)
                )
            case SetHandpayResetMethod(to_credit_meter=to_credit):
                self._reset_to_credit = to_credit
                code = 0 if model.handpay is not None else 2
                return self._reply(command, HandpayResetResult(command=command, code=code))
            case ReadSelectedMeters(game=game, codes=codes):
                meters = self._meters()
                values = tuple((c, meters.get(c, 0) % 10 ** (2 * lp2f_size(c))) for c in codes)
                return self._reply(command, SelectedMeters(game=game, values=values))
            case ReadExtendedMeters(command=cmd, game=game, codes=codes):
                return self._reply(cmd, self._extended(cmd, game, codes))
            case ReadGame(command=cmd, game=game):
                return self._game_poll(cmd, game)
            case ReadValidationInfo(function=function):
                return self._validation(function)
            case AftLockOrStatus():
                return self._reply(command, self._aft_status())
            case AftInterrogate():
                return self._reply(command, _NO_TRANSFER)
            case Read(command=cmd):
                return self._read(cmd, now)
        return Answer(data=b"", cache=False)

    def signature_ready(self, now: float) -> Answer | None:
        """The ROM signature result, for a general poll, once it is computed."""
        if self._signature is None or now < self._signature[0]:
            return None
        signature = self._signature[1]

        def forget(_at: float) -> None:
            self._signature = None

        data = rom_signature_reply(self._egm.address, signature)
        return Answer(data=data, on_ack=forget)

    def clock(self, now: float) -> datetime:
        origin = self._egm.config.clock_origin
        return origin + timedelta(seconds=now) + self._clock_offset

    # --- individual polls -----------------------------------------------------------

    def _meters(self) -> dict[int, int]:
        return self._egm.model.sas_meters()

    def _extended(self, command: int, game: int, codes: tuple[int, ...]) -> ExtendedMeters:
        meters = self._meters()
        entries = []
        for code in codes:
            if code in meters and game in (0, 1):
                size = 5 if is_cents(code) else 4
                value = meters[code] % 10 ** (2 * size)
                entries.append(ExtendedMeter(code=code, size=size, value=value))
            else:
                entries.append(ExtendedMeter(code=code, size=0, value=None))
        return ExtendedMeters(command=command, game=game, meters=tuple(entries))

    def _configuration(self, game: int | None) -> GameConfiguration:
        model = self._egm.model
        return GameConfiguration(
            game=game,
            game_id="FA",
            additional_id="000",
            denomination=CENTS_DENOMINATION.get(model.denomination_cents, 0x01),
            max_bet=min(model.max_bet, 0xFF),
            progressive_group=0,
            game_options=0,
            paytable_id="SIM001",
            base_percent="9250",
        )

    def _game_poll(self, command: int, game: int) -> Answer:
        model = self._egm.model
        if game not in (0, 1):
            return Answer(data=b"", cache=False)
        if command == 0xA0:
            extended = model.sas_version >= "600"
            features = bytes([0x00, 0x08 if extended else 0x00, 0x00, 0x00])
            return self._reply(command, Features(game=game, features=features))
        if command == 0x53:
            return self._reply(command, self._configuration(game))
        meters = self._meters()
        if command == 0x52:
            body = encode_bcd(game, 2) + b"".join(
                encode_bcd(meters.get(c, 0) % 10**8, 4) for c in (0x00, 0x01, 0x02, 0x05)
            )
            return Answer(data=data_reply(self._egm.address, command, _Raw(body)))
        if command == 0x2D:
            body = encode_bcd(game, 2) + encode_bcd(meters.get(0x03, 0) % 10**8, 4)
            return Answer(data=data_reply(self._egm.address, command, _Raw(body)))
        return Answer(data=b"", cache=False)

    def _validation(self, function: int) -> Answer:
        tickets = list(self._egm.model.tickets)
        # by sequence, not by count: the buffer forgets its oldest and a RAM clear empties it
        unread = [i for i, ticket in enumerate(tickets) if ticket.sequence > self._read_sequence]
        next_unread = unread[0] if unread else len(tickets)
        if function == 0x00:
            index = next_unread
            record = tickets[index] if index < len(tickets) else None

            def mark_read(_at: float) -> None:
                if record is not None:
                    self._read_sequence = record.sequence

            return Answer(data=self._record_reply(record, index + 1), on_ack=mark_read)
        index = next_unread if function == 0xFF else function - 1
        record = tickets[index] if 0 <= index < len(tickets) else None
        return Answer(data=self._record_reply(record, index + 1))

    def _record_reply(self, record: TicketRecord | None, index: int) -> bytes:
        if record is None:
            message = ValidationRecord(
                validation_type=0, index=0, moment=datetime(2000, 1, 1), validation_number=0,
                amount_cents=0, ticket_number=0, system_id=0, expiration=0, pool_id=0,
            )  # fmt: skip
        else:
            message = ValidationRecord(
                validation_type=0x00,
                index=min(index, 0x1F),
                moment=self.clock(record.at).replace(microsecond=0),
                validation_number=int(record.validation),
                amount_cents=record.amount_cents % 10**10,
                ticket_number=record.sequence % 65536,
                system_id=0,
                expiration=0,
                pool_id=0,
            )
        return data_reply(self._egm.address, 0x4D, message)

    def _aft_status(self) -> AftLockStatus:
        model = self._egm.model
        return AftLockStatus(
            asset_number=model.asset_number, lock_status=0xFF, available_transfers=0,
            host_cashout_status=0, aft_status=0, max_buffer_index=0,
            cashable_cents=(model.credits * model.denomination_cents) % 10**10,
            restricted_cents=0, nonrestricted_cents=0, transfer_limit_cents=0,
            restricted_expiration=0, restricted_pool_id=0,
        )  # fmt: skip

    def _read(self, command: int, now: float) -> Answer:
        model = self._egm.model
        meters = self._meters()
        if command in SINGLE_METER_CODES:
            value = meters.get(SINGLE_METER_CODES[command], 0) % 10**8
            return self._reply(command, SingleMeter(command=command, value=value))
        if command in BILL_COUNT_COMMANDS:
            count = model.meters.bills_by_dollars.get(BILL_COUNT_COMMANDS[command], 0)
            return self._reply(command, SingleMeter(command=command, value=count % 10**8))
        if command in MULTI_METER_LAYOUTS:
            rolled = {code: value % 10**8 for code, value in meters.items()}
            message = MultiMeters.from_meters(
                command,
                rolled,
                door_opened=model.meters.slot_door_opened % 10**8,
                power_resets=model.meters.power_resets % 10**8,
            )
            return self._reply(command, message)
        if command in SINGLE_METER_COMMANDS:
            return self._reply(command, SingleMeter(command=command, value=0))
        handlers: dict[int, Callable[[], Encodable]] = {
            0x1F: lambda: self._configuration(None),
            0x1B: self._handpay,
            0x48: self._last_bill,
            0x18: lambda: GamesSince(
                since_power_up=model.games_since_power % 10**4,
                since_door_closed=model.games_since_door % 10**4,
            ),
            0x1E: lambda: BillCounts.of(
                {note: n % 10**8 for note, n in model.meters.bills_by_dollars.items()}
            ),
            0x51: lambda: GameCount(count=1),
            0x55: lambda: SelectedGame(game=1),
            0x56: lambda: EnabledGames(games=(1,) if model.game_enabled else ()),
            0x54: lambda: VersionSerial(version=model.sas_version[:3], serial=model.serial[:40]),
            0x57: lambda: CashoutTicket(cashout_type=0x80, amount_cents=0),
            0x70: self._ticket_in,
            0x7E: lambda: DateTime(moment=self.clock(now).replace(microsecond=0)),
        }
        build = handlers.get(command)
        if build is None:
            return Answer(data=b"", cache=False)
        return self._reply(command, build())

    def _handpay(self) -> HandpayInfo:
        handpay = self._egm.model.handpay
        if handpay is None:
            return HandpayInfo(progressive_group=0, level=0, amount=0, partial_pay=0, reset_id=0)
        level = 0x40 if handpay.kind is HandpayKind.JACKPOT else 0x80
        return HandpayInfo(
            progressive_group=0,
            level=level,
            amount=handpay.amount_credits % 10**10,
            partial_pay=0,
            reset_id=0x01,
        )

    def _last_bill(self) -> LastBill:
        last = self._egm.model.last_bill
        if last is None:
            return LastBill(country=0, bill_code=0, count=0)
        code = BILL_DENOMINATION_CODES.get(last.dollars, 0xFF)
        return LastBill(country=COUNTRY_USA, bill_code=code, count=last.count % 10**8)

    def _ticket_in(self) -> TicketData:
        escrow = self._egm.model.ticket_in
        if escrow is None:
            return TicketData(status=0xFF, amount_cents=0, parsing_code=0, validation_data=b"")
        digits = escrow.validation.rjust(18, "0")[-18:]
        return TicketData(
            status=0x00,
            amount_cents=escrow.amount_cents % 10**10,
            parsing_code=0x00,
            validation_data=bytes.fromhex(digits),
        )


@dataclass(frozen=True, slots=True)
class _Raw:
    body: bytes

    def encode(self) -> bytes:
        return self.body


_NO_TRANSFER = AftTransferStatus(
    buffer_position=0, transfer_status=0xFF, receipt_status=0xFF, transfer_type=0,
    cashable_cents=0, restricted_cents=0, nonrestricted_cents=0, transfer_flags=0,
    asset_number=0, transaction_id="",
)  # fmt: skip
