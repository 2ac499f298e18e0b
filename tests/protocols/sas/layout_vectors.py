"""Hand-built reply vectors for the layouts of reference §3 not covered by §2.2.

Each frame is written field by field from the reference layout, and its CRC
comes from the independent bitwise implementation (``independent.framed``),
so these vectors pin the codec against the reference, not against itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from protocols.sas.deframer import Expectation, ExpectGeneralPoll, ExpectLongPoll
from protocols.sas.frames import (
    AckFrame,
    BusyFrame,
    DataFrame,
    EventFrame,
    ExceptionFrame,
    Frame,
    NackFrame,
)
from protocols.sas.messages import (
    AftLockStatus,
    AftTransferStatus,
    CashoutTicket,
    DateTime,
    EnabledGames,
    ExtendedMeters,
    Features,
    GameConfiguration,
    GameCount,
    HandpayInfo,
    HandpayResetResult,
    LastBill,
    Message,
    MultiMeters,
    RomSignature,
    RteEvent,
    SelectedGame,
    SelectedMeters,
    SingleMeter,
    TicketData,
    ValidationRecord,
)
from protocols.sas.messages.events import (
    CardHeld,
    GameEnded,
    GameRecall,
    GameSelected,
    GameStarted,
    LegacyBonus,
    ReelStopped,
)
from protocols.sas.messages.meters import ExtendedMeter
from protocols.sas.meter_codes import Meter

from .independent import framed

ADDR = 0x05
ZERO_5 = bytes(5)


def _lp(command: int) -> ExpectLongPoll:
    return ExpectLongPoll(address=ADDR, command=command)


RTE = ExpectGeneralPoll(address=ADDR, rte=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutVector:
    """One reply: the bytes on the wire, the frame they are, and what they mean."""

    id: str
    expect: Expectation
    raw: bytes
    frame_type: type[Frame]
    message: Message | RteEvent | None = None


LAYOUT_VECTORS: tuple[LayoutVector, ...] = (
    LayoutVector(
        id="1F-game-config-AT-000-denom-01-options-LSB-first",
        expect=_lp(0x1F),
        raw=framed(
            ADDR, 0x1F,
            b"AT", b"000",  # game ID, additional ID
            0x01, 0x05, 0x00,  # denomination 1c, max bet 5, progressive group 0
            0x34, 0x12,  # game options 0x1234, LSB first
            b"PAY001", b"9068",  # paytable ID, base % 90.68
        ),
        frame_type=DataFrame,
        message=GameConfiguration(
            game=None, game_id="AT", additional_id="000", denomination=0x01, max_bet=5,
            progressive_group=0, game_options=0x1234, paytable_id="PAY001", base_percent="9068",
        ),
    ),
    LayoutVector(
        id="53-game-0002-config-denom-0C-max-bet-FF",
        expect=_lp(0x53),
        raw=framed(
            ADDR, 0x53, 0x00, 0x02, b"BJ", b"001", 0x0C, 0xFF, 0x07, 0x01, 0x00,
            b"BJ0002", b"9512",
        ),
        frame_type=DataFrame,
        message=GameConfiguration(
            game=2, game_id="BJ", additional_id="001", denomination=0x0C, max_bet=0xFF,
            progressive_group=7, game_options=1, paytable_id="BJ0002", base_percent="9512",
        ),
    ),
    LayoutVector(
        id="1B-handpay-non-progressive-1234-credits-reset-to-credit-meter",
        expect=_lp(0x1B),
        raw=framed(
            ADDR, 0x1B,
            0x00, 0x40,  # group 0, level 40 = non-progressive win
            0x00, 0x00, 0x00, 0x12, 0x34,  # amount (5 BCD)
            0x00, 0x00,  # partial pay (2 BCD)
            0x01,  # reset ID: reset to credit meter available
            ZERO_5, ZERO_5,  # session win / pay (older SAS: zeros)
        ),
        frame_type=DataFrame,
        message=HandpayInfo(
            progressive_group=0, level=0x40, amount=1234, partial_pay=0, reset_id=1
        ),
    ),
    LayoutVector(
        id="1B-handpay-progressive-level-01-in-cents-with-session-fields",
        expect=_lp(0x1B),
        raw=framed(
            ADDR, 0x1B, 0x03, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x25, 0x00,
            0x00, 0x00, 0x00, 0x50, 0x00,  # session game win 5000
            0x00, 0x00, 0x00, 0x49, 0x99,  # session game pay 4999
        ),
        frame_type=DataFrame,
        message=HandpayInfo(
            progressive_group=3, level=0x01, amount=100000, partial_pay=25, reset_id=0,
            session_win=5000, session_pay=4999,
        ),
    ),
    LayoutVector(
        id="48-last-bill-country-37-code-04-count-123",
        expect=_lp(0x48),
        raw=framed(ADDR, 0x48, 0x37, 0x04, 0x00, 0x00, 0x01, 0x23),
        frame_type=DataFrame,
        message=LastBill(country=37, bill_code=0x04, count=123),
    ),
    LayoutVector(
        id="4D-validation-record-2024-03-15-amount-2550-cents",
        expect=_lp(0x4D),
        raw=framed(
            ADDR, 0x4D,
            0x00, 0x01,  # validation type (cashable ticket), buffer index
            0x03, 0x15, 0x20, 0x24,  # date MMDDYYYY
            0x14, 0x30, 0x05,  # time HHMMSS
            0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56,  # validation number (8 BCD)
            0x00, 0x00, 0x00, 0x25, 0x50,  # amount in cents (5 BCD)
            0x39, 0x30,  # ticket number 12345, binary LSB first
            0x01,  # validation system ID (BCD)
            0x00, 0x00, 0x00, 0x30,  # expiration (4 BCD): 30 days
            0x02, 0x00,  # pool ID, LSB first
        ),
        frame_type=DataFrame,
        message=ValidationRecord(
            validation_type=0, index=1, moment=datetime(2024, 3, 15, 14, 30, 5),
            validation_number=1234567890123456, amount_cents=2550, ticket_number=12345,
            system_id=1, expiration=30, pool_id=2,
        ),
    ),
    LayoutVector(
        id="57-cashout-ticket-cashable-5000-cents",
        expect=_lp(0x57),
        raw=framed(ADDR, 0x57, 0x00, 0x00, 0x00, 0x00, 0x50, 0x00),
        frame_type=DataFrame,
        message=CashoutTicket(cashout_type=0x00, amount_cents=5000),
    ),
    LayoutVector(
        id="70-ticket-in-escrow-2000-cents-18-digit-validation",
        expect=_lp(0x70),
        raw=framed(
            ADDR, 0x70, 0x10,  # len = 1 + 5 + 1 + 9
            0x00,  # in escrow
            0x00, 0x00, 0x00, 0x20, 0x00,  # amount in cents
            0x00,  # parsing code 00 = BCD
            0x00, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56,  # validation data
        ),
        frame_type=DataFrame,
        message=TicketData(
            status=0x00, amount_cents=2000, parsing_code=0,
            validation_data=bytes.fromhex("001234567890123456"),
        ),
    ),
    LayoutVector(
        id="74-aft-locked-asset-12345-with-transfer-limit",
        expect=_lp(0x74),
        raw=framed(
            ADDR, 0x74, 0x23,  # len 35
            0x39, 0x30, 0x00, 0x00,  # asset number 12345, LSB first
            0x00, 0x03, 0x00, 0x8B, 0x7F,  # locked, available, host cash-out, AFT status, index
            0x00, 0x00, 0x01, 0x00, 0x00,  # cashable cents 10000
            ZERO_5,  # restricted cents
            0x00, 0x00, 0x00, 0x05, 0x00,  # non-restricted cents 500
            0x00, 0x01, 0x00, 0x00, 0x00,  # transfer limit cents 1000000
            0x12, 0x31, 0x20, 0x30,  # restricted expiration (4 BCD)
            0x07, 0x00,  # restricted pool ID, LSB first
        ),
        frame_type=DataFrame,
        message=AftLockStatus(
            asset_number=12345, lock_status=0x00, available_transfers=0x03,
            host_cashout_status=0x00, aft_status=0x8B, max_buffer_index=0x7F,
            cashable_cents=10000, restricted_cents=0, nonrestricted_cents=500,
            transfer_limit_cents=1000000, restricted_expiration=12312030, restricted_pool_id=7,
        ),
    ),
    LayoutVector(
        id="72-aft-transfer-pending-1000-cents-tid-T01",
        expect=_lp(0x72),
        raw=framed(
            ADDR, 0x72, 0x1C,  # len 28
            0x00, 0x40, 0xFF, 0x00,  # position, status 40 pending, receipt, type in-house
            0x00, 0x00, 0x00, 0x10, 0x00, ZERO_5, ZERO_5,  # cashable, restricted, non-restr.
            0x00,  # flags
            0x39, 0x30, 0x00, 0x00,  # asset LSB first
            0x03, b"T01",  # transaction ID length + ID
        ),
        frame_type=DataFrame,
        message=AftTransferStatus(
            buffer_position=0, transfer_status=0x40, receipt_status=0xFF, transfer_type=0x00,
            cashable_cents=1000, restricted_cents=0, nonrestricted_cents=0, transfer_flags=0,
            asset_number=12345, transaction_id="T01",
        ),
    ),
    LayoutVector(
        id="0F-six-meters-cancelled-coin-in-out-drop-jackpot-games",
        expect=_lp(0x0F),
        raw=framed(
            ADDR, 0x0F,
            0x00, 0x00, 0x01, 0x00,  # cancelled credits 100
            0x00, 0x02, 0x00, 0x00,  # coin in 20000
            0x00, 0x01, 0x50, 0x00,  # coin out 15000
            0x00, 0x00, 0x50, 0x00,  # drop 5000
            0x00, 0x00, 0x00, 0x00,  # jackpot 0
            0x00, 0x00, 0x12, 0x34,  # games played 1234
        ),
        frame_type=DataFrame,
        message=MultiMeters(
            command=0x0F,
            values=(
                (Meter.CANCELLED_CREDITS, 100), (Meter.COIN_IN, 20000),
                (Meter.COIN_OUT, 15000), (Meter.TOTAL_DROP, 5000), (Meter.JACKPOT, 0),
                (Meter.GAMES_PLAYED, 1234),
            ),
        ),
    ),
    LayoutVector(
        id="19-five-meters-coin-in-out-drop-jackpot-games",
        expect=_lp(0x19),
        raw=framed(
            ADDR, 0x19, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x33,
            0x00, 0x00, 0x00, 0x44, 0x99, 0x99, 0x99, 0x99,
        ),
        frame_type=DataFrame,
        message=MultiMeters(
            command=0x19,
            values=(
                (Meter.COIN_IN, 11), (Meter.COIN_OUT, 22), (Meter.TOTAL_DROP, 33),
                (Meter.JACKPOT, 44), (Meter.GAMES_PLAYED, 99999999),
            ),
        ),
    ),
    LayoutVector(
        id="1C-eight-meters-with-door-and-power-reset-counts",
        expect=_lp(0x1C),
        raw=framed(
            ADDR, 0x1C, *(bytes([0x00, 0x00, 0x00, n]) for n in (1, 2, 3, 4, 5, 6, 7, 8))
        ),
        frame_type=DataFrame,
        message=MultiMeters(
            command=0x1C,
            values=(
                (Meter.COIN_IN, 1), (Meter.COIN_OUT, 2), (Meter.TOTAL_DROP, 3),
                (Meter.JACKPOT, 4), (Meter.GAMES_PLAYED, 5), (Meter.GAMES_WON, 6),
            ),
            door_opened_count=7,
            power_reset_count=8,
        ),
    ),
    LayoutVector(
        id="11-single-meter-coin-in",
        expect=_lp(0x11),
        raw=framed(ADDR, 0x11, 0x12, 0x34, 0x56, 0x78),
        frame_type=DataFrame,
        message=SingleMeter(command=0x11, value=12345678),
    ),
    LayoutVector(
        id="2F-game-0000-coin-in-4-bytes-ticket-in-cents-5-bytes-games-4-bytes",
        expect=_lp(0x2F),
        raw=framed(
            ADDR, 0x2F, 0x12,  # len = 2 + (1+4) + (1+5) + (1+4)
            0x00, 0x00,  # game 0000
            0x00, 0x00, 0x02, 0x00, 0x00,  # meter 00 coin in: 20000 (4 BCD)
            0x0D, 0x00, 0x00, 0x12, 0x34, 0x56,  # meter 0D ticket in cents: 123456 (5 BCD)
            0x05, 0x00, 0x00, 0x12, 0x34,  # meter 05 games played: 1234 (4 BCD)
        ),
        frame_type=DataFrame,
        message=SelectedMeters(game=0, values=((0x00, 20000), (0x0D, 123456), (0x05, 1234))),
    ),
    LayoutVector(
        id="6F-game-0001-size-0-meter-is-unsupported-two-byte-codes-LSB-first",
        expect=_lp(0x6F),
        raw=framed(
            ADDR, 0x6F, 0x20,  # len 32
            0x00, 0x01,  # game 0001
            0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00,  # 0000 size 4: 20000
            0xA0, 0x00, 0x00,  # 00A0 size 0: not supported, no value
            0x0D, 0x00, 0x05, 0x00, 0x00, 0x12, 0x34, 0x56,  # 000D size 5: 123456
            0x7F, 0x10, 0x09, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78,  # 107F
        ),
        frame_type=DataFrame,
        message=ExtendedMeters(
            command=0x6F,
            game=1,
            meters=(
                ExtendedMeter(code=0x0000, size=4, value=20000),
                ExtendedMeter(code=0x00A0, size=0, value=None),
                ExtendedMeter(code=0x000D, size=5, value=123456),
                ExtendedMeter(code=0x107F, size=9, value=123456789012345678),
            ),
        ),
    ),
    LayoutVector(
        id="51-twelve-games-implemented",
        expect=_lp(0x51),
        raw=framed(ADDR, 0x51, 0x00, 0x12),
        frame_type=DataFrame,
        message=GameCount(count=12),
    ),
    LayoutVector(
        id="55-selected-game-0007",
        expect=_lp(0x55),
        raw=framed(ADDR, 0x55, 0x00, 0x07),
        frame_type=DataFrame,
        message=SelectedGame(game=7),
    ),
    LayoutVector(
        id="56-three-enabled-games-1-2-10",
        expect=_lp(0x56),
        raw=framed(ADDR, 0x56, 0x07, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00, 0x10),
        frame_type=DataFrame,
        message=EnabledGames(games=(1, 2, 10)),
    ),
    LayoutVector(
        id="A0-features-ticket-redemption-extended-meters-aft-40ms",
        expect=_lp(0xA0),
        raw=framed(ADDR, 0xA0, 0x00, 0x00, 0x80, 0x48, 0x01, 0x00, 0x00, 0x00),
        frame_type=DataFrame,
        message=Features(game=0, features=bytes([0x80, 0x48, 0x01, 0x00])),
    ),
    LayoutVector(
        id="7E-date-time-12-31-1999-23-59-58",
        expect=_lp(0x7E),
        raw=framed(ADDR, 0x7E, 0x12, 0x31, 0x19, 0x99, 0x23, 0x59, 0x58),
        frame_type=DataFrame,
        message=DateTime(moment=datetime(1999, 12, 31, 23, 59, 58)),
    ),
    LayoutVector(
        id="94-handpay-reset-02-not-in-handpay",
        expect=_lp(0x94),
        raw=framed(ADDR, 0x94, 0x02),
        frame_type=DataFrame,
        message=HandpayResetResult(command=0x94, code=0x02),
    ),
    LayoutVector(
        id="GP-rom-signature-addr-21-sig-LSB-first",
        expect=ExpectGeneralPoll(address=ADDR, signature=True),
        raw=framed(ADDR, 0x21, 0xCD, 0xAB),
        frame_type=DataFrame,
        message=RomSignature(signature=0xABCD),
    ),
    LayoutVector(
        id="GP-exception-51-handpay-pending",
        expect=ExpectGeneralPoll(address=ADDR),
        raw=bytes([0x51]),
        frame_type=ExceptionFrame,
    ),
    LayoutVector(
        id="busy-addr-00", expect=_lp(0x1A), raw=bytes([ADDR, 0x00]), frame_type=BusyFrame
    ),
    LayoutVector(
        id="NACK-addr-or-80", expect=_lp(0x1A), raw=bytes([ADDR | 0x80]), frame_type=NackFrame
    ),
    LayoutVector(id="ACK-addr", expect=_lp(0x02), raw=bytes([ADDR]), frame_type=AckFrame),
    LayoutVector(
        id="RTE-4F-bill-accepted-country-37-code-04-count-42",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x4F, 0x37, 0x04, 0x00, 0x00, 0x00, 0x42),
        frame_type=EventFrame,
        message=RteEvent(
            code=0x4F,
            data=LastBill(country=37, bill_code=4, count=42),
            raw_data=bytes.fromhex("37 04 00 00 00 42"),
        ),
    ),
    LayoutVector(
        id="RTE-7C-legacy-bonus",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x7C, 0x02, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x50),
        frame_type=EventFrame,
        message=RteEvent(
            code=0x7C,
            data=LegacyBonus(multiplier=2, multiplied_win=100, tax_status=1, bonus=50),
            raw_data=bytes.fromhex("02 00 00 01 00 01 00 00 00 50"),
        ),
    ),
    LayoutVector(
        id="RTE-7E-game-started-5-credits-coin-in-20005",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x7E, 0x00, 0x05, 0x00, 0x02, 0x00, 0x05, 0x00, 0x03),
        frame_type=EventFrame,
        message=RteEvent(
            code=0x7E,
            data=GameStarted(
                credits_wagered=5, coin_in_meter=20005, wager_type=0, progressive_group=3
            ),
            raw_data=bytes.fromhex("00 05 00 02 00 05 00 03"),
        ),
    ),
    LayoutVector(
        id="RTE-7F-game-ended-win-100",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x7F, 0x00, 0x00, 0x01, 0x00),
        frame_type=EventFrame,
        message=RteEvent(
            code=0x7F, data=GameEnded(win=100), raw_data=bytes.fromhex("00 00 01 00")
        ),
    ),
    LayoutVector(
        id="RTE-88-reel-2-stopped-at-17",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x88, 0x02, 0x11),
        frame_type=EventFrame,
        message=RteEvent(code=0x88, data=ReelStopped(reel=2, stop=17), raw_data=b"\x02\x11"),
    ),
    LayoutVector(
        id="RTE-8A-game-recall-game-3-entry-12",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x8A, 0x00, 0x03, 0x00, 0x12),
        frame_type=EventFrame,
        message=RteEvent(
            code=0x8A, data=GameRecall(game=3, entry=12), raw_data=bytes.fromhex("00 03 00 12")
        ),
    ),
    LayoutVector(
        id="RTE-8B-card-held",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x8B, 0x12),
        frame_type=EventFrame,
        message=RteEvent(code=0x8B, data=CardHeld(value=0x12), raw_data=b"\x12"),
    ),
    LayoutVector(
        id="RTE-8C-game-0003-selected",
        expect=RTE,
        raw=framed(ADDR, 0xFF, 0x8C, 0x00, 0x03),
        frame_type=EventFrame,
        message=RteEvent(code=0x8C, data=GameSelected(game=3), raw_data=b"\x00\x03"),
    ),
)  # fmt: skip
