"""Messages: what a checked frame means (reference §3).

``decode_reply`` turns a ``DataFrame`` into the typed message for its
command, ``decode_event`` does the same for a real-time ``EventFrame``.
Data that does not fit the layout (short, long, bad BCD, bad date) becomes a
``Fault(UNEXPECTED)``; a command without a decoder becomes ``RawReply`` so
nothing a machine sends is dropped. ``encode_reply`` is the machine-side
inverse used by the simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..commands import REPLY_SHAPES, ReplyKind, ReplyShape
from ..crc import with_crc
from ..errors import LocalProtocolError
from ..frames import DataFrame, EventFrame, Fault, FaultKind
from .aft import AftLockStatus, AftTransferStatus
from .cash import (
    CashoutTicket,
    HandpayInfo,
    HandpayResetResult,
    LastBill,
    TicketData,
    ValidationRecord,
)
from .clock import DateTime, RomSignature
from .counts import BillCounts, GamesSince
from .events import EVENT_DECODERS, EventData
from .fields import Malformed
from .identity import (
    EnabledGames,
    Features,
    GameConfiguration,
    GameCount,
    SelectedGame,
    VersionSerial,
)
from .meters import (
    MULTI_METER_LAYOUTS,
    SINGLE_METER_COMMANDS,
    ExtendedMeters,
    MultiMeters,
    SelectedMeters,
    SingleMeter,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RawReply:
    """A checked reply to a command this code base has no decoder for."""

    command: int
    data: bytes

    def encode(self) -> bytes:
        return self.data


@dataclass(frozen=True, slots=True, kw_only=True)
class RteEvent:
    """A real-time event: its code and, for codes with data, the decoded data."""

    code: int
    data: EventData | None
    raw_data: bytes = b""


Message = (
    SingleMeter
    | MultiMeters
    | SelectedMeters
    | ExtendedMeters
    | GameConfiguration
    | GameCount
    | SelectedGame
    | EnabledGames
    | VersionSerial
    | Features
    | HandpayInfo
    | HandpayResetResult
    | LastBill
    | ValidationRecord
    | CashoutTicket
    | TicketData
    | AftLockStatus
    | AftTransferStatus
    | DateTime
    | RomSignature
    | GamesSince
    | BillCounts
    | RawReply
)

Decoder = Callable[[int, bytes], Message]


def _decoders() -> dict[int, Decoder]:
    table: dict[int, Decoder] = {}
    for command in SINGLE_METER_COMMANDS:
        table[command] = SingleMeter.decode
    for command in MULTI_METER_LAYOUTS:
        table[command] = MultiMeters.decode
    table.update(
        {
            0x2F: SelectedMeters.decode,
            0x6F: ExtendedMeters.decode,
            0xAF: ExtendedMeters.decode,
            0x1F: GameConfiguration.decode,
            0x53: GameConfiguration.decode,
            0x51: GameCount.decode,
            0x55: SelectedGame.decode,
            0x56: EnabledGames.decode,
            0x54: VersionSerial.decode,
            0xA0: Features.decode,
            0x1B: HandpayInfo.decode,
            0x94: HandpayResetResult.decode,
            0xA8: HandpayResetResult.decode,
            0x48: LastBill.decode,
            0x4D: ValidationRecord.decode,
            0x57: CashoutTicket.decode,
            0x70: TicketData.decode,
            0x74: AftLockStatus.decode,
            0x72: AftTransferStatus.decode,
            0x7E: DateTime.decode,
            0x21: RomSignature.decode,
            0x18: GamesSince.decode,
            0x1E: BillCounts.decode,
        }
    )
    return table


DECODERS: dict[int, Decoder] = _decoders()


def decode_reply(frame: DataFrame, decoders: dict[int, Decoder] | None = None) -> Message | Fault:
    """The message a data frame carries, or an UNEXPECTED fault. Never raises."""
    decoder = (DECODERS if decoders is None else decoders).get(frame.command)
    if decoder is None:
        return RawReply(command=frame.command, data=frame.data)
    try:
        return decoder(frame.command, frame.data)
    except Malformed as exc:
        return Fault(
            kind=FaultKind.UNEXPECTED,
            reason=f"LP {frame.command:02X} reply: {exc}",
            raw=frame.raw,
            address=frame.address,
        )


def decode_event(frame: EventFrame) -> RteEvent | Fault:
    """The typed content of a real-time event frame. Never raises."""
    decoder = EVENT_DECODERS.get(frame.code)
    if decoder is None:
        return RteEvent(code=frame.code, data=None, raw_data=frame.data)
    try:
        return RteEvent(code=frame.code, data=decoder(frame.data), raw_data=frame.data)
    except Malformed as exc:
        return Fault(
            kind=FaultKind.UNEXPECTED,
            reason=f"RTE event {frame.code:02X}: {exc}",
            raw=frame.raw,
            address=frame.address,
        )


def encode_reply(
    address: int, command: int, data: bytes, shapes: dict[int, ReplyShape] | None = None
) -> bytes:
    """Frame reply ``data`` for ``command`` as a machine sends it (length byte and CRC)."""
    shape = (REPLY_SHAPES if shapes is None else shapes).get(command)
    head = bytes([address, command])
    if shape is not None and shape.kind is ReplyKind.VARIABLE:
        if len(data) > 0xFF:
            raise LocalProtocolError(f"LP {command:02X} reply data longer than 255 bytes")
        head += bytes([len(data)])
    elif shape is not None and shape.kind is ReplyKind.FIXED and len(data) + 4 != shape.length:
        raise LocalProtocolError(
            f"LP {command:02X} reply takes {shape.length - 4} data bytes, got {len(data)}"
        )
    return with_crc(head + data)


def encode_event(address: int, code: int, data: bytes = b"") -> bytes:
    """Frame a real-time event ``addr FF code data CRC``."""
    return with_crc(bytes([address, 0xFF, code]) + data)


__all__ = [
    "DECODERS",
    "AftLockStatus",
    "AftTransferStatus",
    "BillCounts",
    "CashoutTicket",
    "DateTime",
    "EnabledGames",
    "EventData",
    "ExtendedMeters",
    "Features",
    "GameConfiguration",
    "GameCount",
    "GamesSince",
    "HandpayInfo",
    "HandpayResetResult",
    "LastBill",
    "Message",
    "MultiMeters",
    "RawReply",
    "RomSignature",
    "RteEvent",
    "SelectedGame",
    "SelectedMeters",
    "SingleMeter",
    "TicketData",
    "ValidationRecord",
    "VersionSerial",
    "decode_event",
    "decode_reply",
    "encode_event",
    "encode_reply",
]
