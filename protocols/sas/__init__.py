"""SAS (IGT Slot Accounting System) protocol core, sans-I/O.

Layers, one word each (docs/architecture.md, "One word per layer"):

* ``crc``, ``bcd`` - the primitives;
* ``commands``, ``exception_codes``, ``meter_codes``, ``bills`` - the protocol's tables;
* ``requests`` - host polls to ``PollFrame`` bytes (wake-up flag as data);
* ``deframer`` - received bytes to ``Frame`` or ``Fault``, never raising;
* ``messages`` - a ``Frame`` to its typed ``Message``, and back;
* ``machine``, ``machine_requests`` - the machine side of the codec, for the simulator;
* ``session`` - the host state machine of one line, with time passed in; it
  implements ``protocols.line.LineSession``.

The package's public surface is ``__all__`` below. Code outside
``protocols/sas`` imports these names from ``protocols.sas`` only; the one
exception is the agent's SAS adapter (``agent/lines/sas``), which owns the
mapping of every SAS detail and may reach into the submodules. §n cites the
SAS reference kept in docs/protocols/sas-reference.md.
"""

from .bcd import encode as encode_bcd
from .crc import crc16
from .errors import LocalProtocolError, SasError
from .exception_codes import lookup
from .frames import Fault, PollFrame
from .machine import (
    Encodable,
    GeneralPollReceived,
    HostFrame,
    HostFrameParser,
    LongPollReceived,
    Parsed,
    ack_reply,
    data_reply,
    exception_reply,
    fault_reply,
    nack_reply,
    rom_signature_reply,
)
from .machine_requests import (
    AftInterrogate,
    AftLockOrStatus,
    ConfigureBills,
    DisablePlay,
    EnableGame,
    EnablePlay,
    Read,
    ReadExtendedMeters,
    ReadGame,
    ReadSelectedMeters,
    ReadValidationInfo,
    RequestMessage,
    ResetHandpay,
    SetBillAcceptor,
    SetDateTime,
    SetHandpayResetMethod,
    SetRealTimeEvents,
    SetSound,
    StartRomSignature,
    decode_request,
)
from .messages import (
    AftLockStatus,
    AftTransferStatus,
    BillCounts,
    CashoutTicket,
    DateTime,
    EnabledGames,
    ExtendedMeters,
    Features,
    GameConfiguration,
    GameCount,
    GamesSince,
    HandpayInfo,
    HandpayResetResult,
    LastBill,
    MultiMeters,
    SelectedGame,
    SelectedMeters,
    SingleMeter,
    TicketData,
    ValidationRecord,
    VersionSerial,
    encode_event,
)
from .messages.identity import DENOMINATION_CENTS
from .messages.meters import (
    MULTI_METER_LAYOUTS,
    SINGLE_METER_CODES,
    SINGLE_METER_COMMANDS,
    ExtendedMeter,
)
from .meter_codes import is_cents, lp2f_size
from .requests import (
    LongPollRequest,
    bill_acceptor,
    configure_bills,
    disable_play,
    enable_game,
    enable_play,
    general_poll,
    handpay_reset,
    read,
    real_time_events,
    set_date_time,
    sound,
)
from .session import SasHostSession
from .session_types import (
    CommandCompleted,
    ExceptionReported,
    MachineIdentified,
    MachineProfile,
    MeterMethod,
    MetersRead,
    ReadMeters,
    RomSignatureReported,
    ServiceReply,
    SessionConfig,
    SessionEvent,
)

__all__ = [
    "DENOMINATION_CENTS",
    "MULTI_METER_LAYOUTS",
    "SINGLE_METER_CODES",
    "SINGLE_METER_COMMANDS",
    "AftInterrogate",
    "AftLockOrStatus",
    "AftLockStatus",
    "AftTransferStatus",
    "BillCounts",
    "CashoutTicket",
    "CommandCompleted",
    "ConfigureBills",
    "DateTime",
    "DisablePlay",
    "EnableGame",
    "EnablePlay",
    "EnabledGames",
    "Encodable",
    "ExceptionReported",
    "ExtendedMeter",
    "ExtendedMeters",
    "Fault",
    "Features",
    "GameConfiguration",
    "GameCount",
    "GamesSince",
    "GeneralPollReceived",
    "HandpayInfo",
    "HandpayResetResult",
    "HostFrame",
    "HostFrameParser",
    "LastBill",
    "LocalProtocolError",
    "LongPollReceived",
    "LongPollRequest",
    "MachineIdentified",
    "MachineProfile",
    "MeterMethod",
    "MetersRead",
    "MultiMeters",
    "Parsed",
    "PollFrame",
    "Read",
    "ReadExtendedMeters",
    "ReadGame",
    "ReadMeters",
    "ReadSelectedMeters",
    "ReadValidationInfo",
    "RequestMessage",
    "ResetHandpay",
    "RomSignatureReported",
    "SasError",
    "SasHostSession",
    "SelectedGame",
    "SelectedMeters",
    "ServiceReply",
    "SessionConfig",
    "SessionEvent",
    "SetBillAcceptor",
    "SetDateTime",
    "SetHandpayResetMethod",
    "SetRealTimeEvents",
    "SetSound",
    "SingleMeter",
    "StartRomSignature",
    "TicketData",
    "ValidationRecord",
    "VersionSerial",
    "ack_reply",
    "bill_acceptor",
    "configure_bills",
    "crc16",
    "data_reply",
    "decode_request",
    "disable_play",
    "enable_game",
    "enable_play",
    "encode_bcd",
    "encode_event",
    "exception_reply",
    "fault_reply",
    "general_poll",
    "handpay_reset",
    "is_cents",
    "lookup",
    "lp2f_size",
    "nack_reply",
    "read",
    "real_time_events",
    "rom_signature_reply",
    "set_date_time",
    "sound",
]
