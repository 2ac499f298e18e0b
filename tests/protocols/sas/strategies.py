"""Hypothesis strategies for every SAS message type, within the valid field ranges.

Ranges follow the layouts of reference §3: BCD fields hold at most
``10**(2*size) - 1``, ASCII fields are printable (0x20-0x7E), dates are real
dates with a 4-digit year, binary fields fit their width, and variable
replies fit a one-byte length. ``MESSAGES_BY_COMMAND`` maps every command
with a decoder to the strategy of its reply message; ``EVENT_DATA_BY_CODE``
does the same for real-time events with data.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from protocols.sas.commands import REPLY_SHAPES, ReplyKind
from protocols.sas.deframer import Expectation, ExpectGeneralPoll, ExpectLongPoll, ExpectNothing
from protocols.sas.messages import (
    DECODERS,
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
    Message,
    MultiMeters,
    RomSignature,
    SelectedGame,
    SelectedMeters,
    SingleMeter,
    TicketData,
    ValidationRecord,
    VersionSerial,
)
from protocols.sas.messages.counts import BILL_COUNT_DOLLARS
from protocols.sas.messages.events import CardHeld as CardHeldEvent
from protocols.sas.messages.events import (
    EventData,
    GameEnded,
    GameRecall,
    GameSelected,
    GameStarted,
    LegacyBonus,
    ReelStopped,
)
from protocols.sas.messages.meters import (
    MULTI_METER_LAYOUTS,
    SINGLE_METER_COMMANDS,
    ExtendedMeter,
)
from protocols.sas.meter_codes import lp2f_size

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
"""Shared settings: enough examples to find layout slips, fast enough for every run."""

# --- fields ----------------------------------------------------------------------

addresses = st.integers(min_value=1, max_value=0x7F)
bytes_1 = st.integers(min_value=0, max_value=0xFF)


def bcd_values(size: int) -> st.SearchStrategy[int]:
    """Any value a ``size``-byte packed BCD field can hold."""
    return st.integers(min_value=0, max_value=10 ** (2 * size) - 1)


def binary_values(size: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=(1 << (8 * size)) - 1)


def printable(min_size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    """Printable ASCII (0x20-0x7E) of ``min_size`` to ``max_size`` characters."""
    return st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        min_size=min_size,
        max_size=min_size if max_size is None else max_size,
    )


moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda moment: moment.replace(microsecond=0))
"""Valid calendar dates and times, whole seconds (the wire has no fraction)."""

games = bcd_values(2)

# --- meters ----------------------------------------------------------------------


def single_meters(command: int | None = None) -> st.SearchStrategy[SingleMeter]:
    commands = (
        st.sampled_from(sorted(SINGLE_METER_COMMANDS)) if command is None else st.just(command)
    )
    return st.builds(SingleMeter, command=commands, value=bcd_values(4))


@st.composite
def multi_meters(draw: st.DrawFn, command: int | None = None) -> MultiMeters:
    if command is None:
        command = draw(st.sampled_from(sorted(MULTI_METER_LAYOUTS)))
    values = tuple((code, draw(bcd_values(4))) for code in MULTI_METER_LAYOUTS[command])
    if command == 0x1C:
        return MultiMeters(
            command=command,
            values=values,
            door_opened_count=draw(bcd_values(4)),
            power_reset_count=draw(bcd_values(4)),
        )
    return MultiMeters(command=command, values=values)


@st.composite
def selected_meters(draw: st.DrawFn) -> SelectedMeters:
    codes = draw(st.lists(bytes_1, max_size=10))
    values = tuple((code, draw(bcd_values(lp2f_size(code)))) for code in codes)
    return SelectedMeters(game=draw(games), values=values)


@st.composite
def extended_meter_entries(draw: st.DrawFn) -> ExtendedMeter:
    size = draw(st.integers(min_value=0, max_value=9))
    value = draw(bcd_values(size)) if size else None
    return ExtendedMeter(code=draw(binary_values(2)), size=size, value=value)


def extended_meters(command: int | None = None) -> st.SearchStrategy[ExtendedMeters]:
    commands = st.sampled_from([0x6F, 0xAF]) if command is None else st.just(command)
    return st.builds(
        ExtendedMeters,
        command=commands,
        game=games,
        meters=st.lists(extended_meter_entries(), max_size=12).map(tuple),
    )


# --- identification ----------------------------------------------------------------


def game_configurations(command: int | None = None) -> st.SearchStrategy[GameConfiguration]:
    """LP 1F (``game`` None) or LP 53 (game number)."""
    if command is None:
        game: st.SearchStrategy[int | None] = st.none() | games
    else:
        game = games if command == 0x53 else st.none()
    return st.builds(
        GameConfiguration,
        game=game,
        game_id=printable(2),
        additional_id=printable(3),
        denomination=bytes_1,
        max_bet=bytes_1,
        progressive_group=bytes_1,
        game_options=binary_values(2),
        paytable_id=printable(6),
        base_percent=printable(4),
    )


game_counts = st.builds(GameCount, count=games)
selected_games = st.builds(SelectedGame, game=games)
enabled_games = st.builds(EnabledGames, games=st.lists(games, max_size=127).map(tuple))
version_serials = st.builds(VersionSerial, version=printable(3), serial=printable(0, 40))
features = st.builds(
    Features,
    game=games,
    features=st.binary(min_size=4, max_size=4),
    reserved=st.binary(min_size=2, max_size=2),
)

# --- cash --------------------------------------------------------------------------

handpay_infos = st.builds(
    HandpayInfo,
    progressive_group=bytes_1,
    level=bytes_1,
    amount=bcd_values(5),
    partial_pay=bcd_values(2),
    reset_id=bytes_1,
    session_win=bcd_values(5),
    session_pay=bcd_values(5),
)


def handpay_reset_results(command: int | None = None) -> st.SearchStrategy[HandpayResetResult]:
    commands = st.sampled_from([0x94, 0xA8]) if command is None else st.just(command)
    return st.builds(HandpayResetResult, command=commands, code=bytes_1)


last_bills = st.builds(LastBill, country=bcd_values(1), bill_code=bytes_1, count=bcd_values(4))
validation_records = st.builds(
    ValidationRecord,
    validation_type=bytes_1,
    index=bytes_1,
    moment=moments,
    validation_number=bcd_values(8),
    amount_cents=bcd_values(5),
    ticket_number=binary_values(2),
    system_id=bcd_values(1),
    expiration=bcd_values(4),
    pool_id=binary_values(2),
)
cashout_tickets = st.builds(CashoutTicket, cashout_type=bytes_1, amount_cents=bcd_values(5))
ticket_data = st.builds(
    TicketData,
    status=bytes_1,
    amount_cents=bcd_values(5),
    parsing_code=bytes_1,
    validation_data=st.binary(max_size=0xFF - 7),
)

# --- AFT, clock --------------------------------------------------------------------

aft_lock_statuses = st.builds(
    AftLockStatus,
    asset_number=binary_values(4),
    lock_status=bytes_1,
    available_transfers=bytes_1,
    host_cashout_status=bytes_1,
    aft_status=bytes_1,
    max_buffer_index=bytes_1,
    cashable_cents=bcd_values(5),
    restricted_cents=bcd_values(5),
    nonrestricted_cents=bcd_values(5),
    transfer_limit_cents=bcd_values(5),
    restricted_expiration=bcd_values(4),
    restricted_pool_id=binary_values(2),
)
aft_transfer_statuses = st.builds(
    AftTransferStatus,
    buffer_position=bytes_1,
    transfer_status=bytes_1,
    receipt_status=bytes_1,
    transfer_type=bytes_1,
    cashable_cents=bcd_values(5),
    restricted_cents=bcd_values(5),
    nonrestricted_cents=bcd_values(5),
    transfer_flags=bytes_1,
    asset_number=binary_values(4),
    transaction_id=printable(0, 20),
    trailing=st.binary(max_size=64),
)
date_times = st.builds(DateTime, moment=moments)
rom_signatures = st.builds(RomSignature, signature=binary_values(2))
games_since = st.builds(GamesSince, since_power_up=bcd_values(2), since_door_closed=bcd_values(2))
bill_counts = st.tuples(*(bcd_values(4) for _ in BILL_COUNT_DOLLARS)).map(
    lambda counts: BillCounts(counts=tuple(zip(BILL_COUNT_DOLLARS, counts, strict=True)))
)

# --- real-time event data ----------------------------------------------------------

game_started = st.builds(
    GameStarted,
    credits_wagered=bcd_values(2),
    coin_in_meter=bcd_values(4),
    wager_type=bytes_1,
    progressive_group=bytes_1,
)
game_ended = st.builds(GameEnded, win=bcd_values(4))
legacy_bonuses = st.builds(
    LegacyBonus,
    multiplier=bytes_1,
    multiplied_win=bcd_values(4),
    tax_status=bytes_1,
    bonus=bcd_values(4),
)
reels_stopped = st.builds(ReelStopped, reel=bytes_1, stop=bytes_1)
game_recalls = st.builds(GameRecall, game=games, entry=bcd_values(2))
cards_held = st.builds(CardHeldEvent, value=bytes_1)
games_selected = st.builds(GameSelected, game=games)

EVENT_DATA_BY_CODE: dict[int, st.SearchStrategy[EventData]] = {
    0x4F: last_bills,
    0x7C: legacy_bonuses,
    0x7E: game_started,
    0x7F: game_ended,
    0x88: reels_stopped,
    0x8A: game_recalls,
    0x8B: cards_held,
    0x8C: games_selected,
}
"""Real-time event codes with data, and the strategy of that data."""

# --- by command --------------------------------------------------------------------


def _by_command() -> dict[int, st.SearchStrategy[Message]]:
    table: dict[int, st.SearchStrategy[Message]] = {}
    for command in SINGLE_METER_COMMANDS:
        table[command] = single_meters(command)
    for command in MULTI_METER_LAYOUTS:
        table[command] = multi_meters(command)
    table.update(
        {
            0x2F: selected_meters(),
            0x6F: extended_meters(0x6F),
            0xAF: extended_meters(0xAF),
            0x1F: game_configurations(0x1F),
            0x53: game_configurations(0x53),
            0x51: game_counts,
            0x55: selected_games,
            0x56: enabled_games,
            0x54: version_serials,
            0xA0: features,
            0x1B: handpay_infos,
            0x94: handpay_reset_results(0x94),
            0xA8: handpay_reset_results(0xA8),
            0x48: last_bills,
            0x4D: validation_records,
            0x57: cashout_tickets,
            0x70: ticket_data,
            0x74: aft_lock_statuses,
            0x72: aft_transfer_statuses,
            0x7E: date_times,
            0x21: rom_signatures,
            0x18: games_since,
            0x1E: bill_counts,
        }
    )
    return table


MESSAGES_BY_COMMAND: dict[int, st.SearchStrategy[Message]] = _by_command()
assert set(MESSAGES_BY_COMMAND) == set(DECODERS), "a decoder has no strategy"

FRAMED_COMMANDS: tuple[int, ...] = tuple(
    sorted(c for c, s in REPLY_SHAPES.items() if s.kind is not ReplyKind.ACK)
)
"""Commands whose reply is a data frame (fixed length or with a length byte)."""

ACK_COMMANDS: tuple[int, ...] = tuple(
    sorted(c for c, s in REPLY_SHAPES.items() if s.kind is ReplyKind.ACK)
)


def reply_data(command: int) -> st.SearchStrategy[bytes]:
    """Valid data of a reply to ``command``: a message's encoding, or raw bytes that fit."""
    if command in MESSAGES_BY_COMMAND:
        return MESSAGES_BY_COMMAND[command].map(lambda message: message.encode())
    shape = REPLY_SHAPES[command]
    if shape.kind is ReplyKind.FIXED:
        return st.binary(min_size=shape.length - 4, max_size=shape.length - 4)
    return st.binary(max_size=0xFF)


def expectations(address: int) -> st.SearchStrategy[Expectation]:
    """Every kind of expectation for ``address``: general poll, long poll, nothing."""
    general = st.builds(
        ExpectGeneralPoll, address=st.just(address), rte=st.booleans(), signature=st.booleans()
    )
    long_poll = st.builds(
        ExpectLongPoll,
        address=st.just(address),
        command=st.sampled_from(sorted(REPLY_SHAPES)),
        rte=st.booleans(),
    )
    return st.one_of(general, long_poll, st.just(ExpectNothing()))
