"""Long-poll answers of the simulated machine, read from its model (simulator/sas/longpolls.py).

Each long poll goes over a synchronised line and its reply is decoded by the
host's codec; values are compared with the machine model. A sync poll
(``80``) between two polls of the same command keeps the second from being
an implied NACK (reference §1.8).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from protocols.sas import bcd, requests
from protocols.sas.crc import crc16
from protocols.sas.deframer import ExpectGeneralPoll
from protocols.sas.frames import DataFrame
from protocols.sas.machine import LongPollReceived
from protocols.sas.messages import (
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
    RawReply,
    RomSignature,
    SelectedGame,
    SelectedMeters,
    SingleMeter,
    TicketData,
    ValidationRecord,
    VersionSerial,
    decode_reply,
)
from protocols.sas.messages.meters import ExtendedMeter
from protocols.sas.meter_codes import lp2f_size
from protocols.sas.requests import LongPollRequest
from simulator.events import Kind, MachineEvent
from simulator.ledger import LedgerWriter
from simulator.model import MachineModel
from simulator.sas.egm import EgmConfig, SasEgm
from simulator.sas.longpolls import SIGNATURE_SECONDS

from .test_egm import QUIET, Host, decode, make_egm, reply_as, synced

ORIGIN = datetime(2026, 1, 1)


def ask(host: Host, request: LongPollRequest) -> bytes:
    """A sync poll (no implied NACK of an earlier same-command poll), then ``request``."""
    host.sync()
    raw = host.poll(request)
    assert raw != b"", f"no reply to LP {request.command:02X}"
    return raw


def read(host: Host, command: int) -> bytes:
    return ask(host, requests.read(1, command))


def with_credits(dollars: int = 20, **options: Any) -> tuple[SasEgm, Host]:
    egm, host = synced(make_egm(**options))
    host.incident(egm, "bill", dollars=dollars)
    return egm, host


# --- identification ------------------------------------------------------------------


def test_54_version_and_serial() -> None:
    _, host = synced(make_egm(machine_id="sim-017"))
    assert reply_as(VersionSerial, read(host, 0x54), 0x54) == VersionSerial(
        version="602", serial="sim-017"
    )


def test_1f_configuration_for_a_one_cent_machine() -> None:
    _, host = synced()
    config = reply_as(GameConfiguration, read(host, 0x1F), 0x1F)
    assert config.denomination == 0x01
    assert (config.max_bet, config.game_id, config.paytable_id) == (5, "FA", "SIM001")


@pytest.mark.parametrize(("cents", "code"), [(5, 0x02), (25, 0x04), (100, 0x06), (7, 0x01)])
def test_1f_denomination_codes(cents: int, code: int) -> None:
    _, host = synced(make_egm(denomination_cents=cents, max_bet=300))
    config = reply_as(GameConfiguration, read(host, 0x1F), 0x1F)
    assert (config.denomination, config.max_bet) == (code, 0xFF)


def test_53_is_1f_for_a_game() -> None:
    _, host = synced()
    config = reply_as(GameConfiguration, ask(host, requests.for_game(1, 0x53, 1)), 0x53)
    assert (config.game, config.denomination) == (1, 0x01)


def test_a0_sets_extended_meters_from_sas_6() -> None:
    _, host = synced()
    features = reply_as(Features, ask(host, requests.for_game(1, 0xA0, 0)), 0xA0)
    assert features.extended_meters and features.game == 0
    assert not features.aft


def test_a0_of_a_sas_5_machine_has_no_extended_meters() -> None:
    _, host = synced(make_egm(sas_version="502"))
    features = reply_as(Features, ask(host, requests.for_game(1, 0xA0, 1)), 0xA0)
    assert not features.extended_meters


@pytest.mark.parametrize("command", [0xA0, 0x53, 0x52, 0x2D])
def test_game_polls_for_a_game_it_lacks_get_silence(command: int) -> None:
    _, host = synced()
    host.sync()
    assert host.poll(requests.for_game(1, command, 2)) == b""


@pytest.mark.parametrize("command", [0x83, 0x9A, 0xA4, 0xB5])
def test_game_polls_it_does_not_implement_get_silence(command: int) -> None:
    _, host = synced()
    assert host.poll(requests.for_game(1, command, 0)) == b""


def test_51_55_56_one_game() -> None:
    _, host = synced()
    assert reply_as(GameCount, read(host, 0x51), 0x51).count == 1
    assert reply_as(SelectedGame, read(host, 0x55), 0x55).game == 1
    assert reply_as(EnabledGames, read(host, 0x56), 0x56).games == (1,)


# --- meters -------------------------------------------------------------------------


def test_1a_current_credits_follow_the_model() -> None:
    egm, host = with_credits(20)
    assert egm.model.credits == 2000
    assert reply_as(SingleMeter, read(host, 0x1A), 0x1A).value == 2000
    host.incident(egm, "bill", dollars=5)
    assert reply_as(SingleMeter, read(host, 0x1A), 0x1A).value == egm.model.credits == 2500


def test_single_meters_and_bill_counts() -> None:
    egm, host = with_credits(20)
    host.incident(egm, "bill", dollars=20)
    host.incident(egm, "bill", dollars=5)
    meters = egm.model.sas_meters()
    assert reply_as(SingleMeter, read(host, 0x13), 0x13).value == meters[0x24] == 4500
    assert reply_as(SingleMeter, read(host, 0x35), 0x35).value == 2  # $20 notes
    assert reply_as(SingleMeter, read(host, 0x33), 0x33).value == 1  # $5 notes
    assert reply_as(SingleMeter, read(host, 0x31), 0x31).value == 0  # $1 notes
    assert reply_as(SingleMeter, read(host, 0x2A), 0x2A).value == 0  # no coins


def test_meters_roll_over_at_eight_digits() -> None:
    egm, host = synced()
    egm.model.credits = 123_456_789
    assert reply_as(SingleMeter, read(host, 0x1A), 0x1A).value == 23_456_789


def test_0f_19_1c_meter_sets() -> None:
    egm, host = with_credits(20)
    host.incident(egm, "door_open")
    host.incident(egm, "door_close")
    meters = egm.model.sas_meters()
    for command in (0x0F, 0x19, 0x1C):
        reply = reply_as(MultiMeters, read(host, command), command)
        assert all(meters.get(code, 0) == value for code, value in reply.values)
    last = reply_as(MultiMeters, read(host, 0x1C), 0x1C)
    assert (last.door_opened_count, last.power_reset_count) == (1, 0)
    assert last.as_dict()[0x24] == 2000


def test_2f_selected_meters_with_five_byte_cents_meters() -> None:
    egm, host = with_credits(20)
    host.incident(egm, "ticket_in", amount_cents=1234)
    host.keep_alive(host.now + 3.5)  # the ticket leaves the escrow after 2 s
    assert egm.model.ticket_in is None
    request = requests.selected_meters(1, 0, [0x0C, 0x0D, 0x05])
    raw = ask(host, request)
    reply = reply_as(SelectedMeters, raw, 0x2F)
    assert reply.as_dict() == {0x0C: egm.model.credits, 0x0D: 1234, 0x05: 0}
    body = sum(1 + lp2f_size(code) for code in (0x0C, 0x0D, 0x05))
    assert body == 5 + 6 + 5
    assert len(raw) == 3 + 2 + body + 2  # addr 2F len, game, meters, CRC
    assert lp2f_size(0x0D) == 5


@pytest.mark.parametrize("alternate", [False, True])
def test_6f_and_af_extended_meters(alternate: bool) -> None:
    egm, host = with_credits(20)
    command = 0xAF if alternate else 0x6F
    request = requests.extended_meters(1, 0, [0x0C, 0x0D, 0x7FFF], alternate=alternate)
    reply = reply_as(ExtendedMeters, ask(host, request), command)
    assert reply.command == command
    assert reply.meters == (
        ExtendedMeter(code=0x0C, size=4, value=egm.model.credits),
        ExtendedMeter(code=0x0D, size=5, value=0),
        ExtendedMeter(code=0x7FFF, size=0, value=None),
    )
    assert reply.unsupported == (0x7FFF,)


def test_extended_meters_of_a_game_it_lacks_are_unsupported() -> None:
    _, host = with_credits(20)
    reply = reply_as(ExtendedMeters, ask(host, requests.extended_meters(1, 3, [0x0C])), 0x6F)
    assert reply.game == 3 and reply.unsupported == (0x0C,)


def test_52_and_2d_game_meters() -> None:
    egm, host = with_credits(20)
    raw = ask(host, requests.for_game(1, 0x52, 1))
    reply = reply_as(RawReply, raw, 0x52)
    assert reply.data[:2] == bcd.encode(1, 2)
    assert len(reply.data) == 18
    reply = reply_as(RawReply, ask(host, requests.for_game(1, 0x2D, 0)), 0x2D)
    assert reply.data == bcd.encode(0, 2) + bcd.encode(0, 4)
    assert egm.model.meters.handpaid_cancelled_credits == 0


# --- bills, handpays, tickets --------------------------------------------------------


def test_48_last_bill() -> None:
    egm, host = synced()
    assert reply_as(LastBill, read(host, 0x48), 0x48) == LastBill(country=0, bill_code=0, count=0)
    host.incident(egm, "bill", dollars=20)
    host.incident(egm, "bill", dollars=20)
    assert reply_as(LastBill, read(host, 0x48), 0x48) == LastBill(
        country=37, bill_code=0x04, count=2
    )


def test_1b_without_a_handpay_is_zeros() -> None:
    _, host = synced()
    info = reply_as(HandpayInfo, read(host, 0x1B), 0x1B)
    assert (info.level, info.amount, info.reset_id) == (0, 0, 0)


def test_1b_jackpot_and_cancelled_credits() -> None:
    egm, host = synced()
    host.incident(egm, "handpay", amount_credits=150_000)
    info = reply_as(HandpayInfo, read(host, 0x1B), 0x1B)
    assert (info.level, info.amount, info.reset_id) == (0x40, 150_000, 0x01)

    egm, host = with_credits(5, ticket_limit_cents=100)
    host.incident(egm, "ticket_out")  # above the ticket limit: a cancelled-credit handpay
    assert egm.model.handpay is not None
    info = reply_as(HandpayInfo, read(host, 0x1B), 0x1B)
    assert (info.level, info.amount) == (0x80, 500)


def test_94_resets_the_handpay_and_queues_52() -> None:
    egm, host = synced()
    host.incident(egm, "handpay", amount_credits=150_000)
    assert host.gp() == b"\x51"
    result = reply_as(HandpayResetResult, ask(host, requests.handpay_reset(1)), 0x94)
    assert result == HandpayResetResult(command=0x94, code=0x00)
    assert egm.model.handpay is None
    assert egm.model.meters.jackpot == 150_000
    host.sync()
    assert host.gp() == b"\x52"


def test_94_without_a_handpay_is_code_02() -> None:
    _, host = synced()
    result = reply_as(HandpayResetResult, ask(host, requests.handpay_reset(1)), 0x94)
    assert result.code == 0x02


def test_94_without_a_handpay_is_code_02_even_when_something_else_happens() -> None:
    """Regression: any event due at that moment (here a redeemed ticket) made it code 00."""
    egm, host = synced()
    host.incident(egm, "ticket_in", amount_cents=500)
    request = requests.handpay_reset(1)
    frame = LongPollReceived(request=request, raw=request.encode().data)
    reply = egm.hear(frame, host.now + 3.0)  # hear without advance: the escrow ends inside
    assert reply is not None
    assert reply_as(HandpayResetResult, reply.data, 0x94).code == 0x02
    assert egm.model.credits == 500


def test_a8_resets_the_next_handpay_to_the_credit_meter() -> None:
    egm, host = synced()
    result = reply_as(
        HandpayResetResult, ask(host, requests.handpay_reset_method(1, to_credit_meter=True)), 0xA8
    )
    assert result == HandpayResetResult(command=0xA8, code=0x02)  # no handpay yet
    host.incident(egm, "handpay", amount_credits=150_000)
    result = reply_as(
        HandpayResetResult, ask(host, requests.handpay_reset_method(1, to_credit_meter=True)), 0xA8
    )
    assert result.code == 0x00
    assert reply_as(HandpayResetResult, ask(host, requests.handpay_reset(1)), 0x94).code == 0
    assert egm.model.credits == 150_000


def printed(host: Host, egm: SasEgm, dollars: int = 5) -> None:
    host.incident(egm, "bill", dollars=dollars)
    host.incident(egm, "ticket_out")


def test_4d_next_unread_is_marked_read_only_when_acknowledged() -> None:
    egm, host = synced()
    nothing = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0x00)), 0x4D)
    assert nothing.amount_cents == 0
    host.sync()  # acknowledging an empty record marks nothing read
    printed(host, egm, 5)
    assert host.gp() == b"\x3d"
    request = requests.validation_info(1, 0x00)
    first = host.poll(request)  # acknowledges 3D and services it
    record = reply_as(ValidationRecord, first, 0x4D)
    assert (record.amount_cents, record.ticket_number, record.index) == (500, 1, 1)
    ticket = egm.model.tickets[0]
    assert record.validation_number == int(ticket.validation)
    assert record.moment == ORIGIN + timedelta(seconds=int(ticket.at))
    assert host.poll(request) == first  # implied NACK
    assert host.poll(request) == b""  # final NACK: not acknowledged, not read
    assert host.poll(request) == first  # so it is still the next unread
    host.sync()  # now acknowledged
    empty = reply_as(ValidationRecord, ask(host, request), 0x4D)
    assert (empty.amount_cents, empty.index, empty.validation_number) == (0, 0, 0)


def test_4d_peek_and_buffer_index_do_not_mark_read() -> None:
    egm, host = synced()
    printed(host, egm, 5)
    printed(host, egm, 10)
    peek = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0xFF)), 0x4D)
    again = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0xFF)), 0x4D)
    assert peek == again and peek.amount_cents == 500
    second = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0x02)), 0x4D)
    assert (second.amount_cents, second.index) == (1000, 2)
    missing = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0x05)), 0x4D)
    assert missing.amount_cents == 0
    first = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0x00)), 0x4D)
    assert first.amount_cents == 500
    host.sync()
    peek = reply_as(ValidationRecord, ask(host, requests.validation_info(1, 0xFF)), 0x4D)
    assert peek.amount_cents == 1000


def test_4d_reads_every_ticket_past_the_buffer_size_and_after_a_ram_clear() -> None:
    """Regression: read tickets were counted, so the 32nd and any after a RAM clear were lost."""
    egm, host = synced()
    request = requests.validation_info(1, 0x00)
    for n in range(1, 33):
        printed(host, egm, 1)
        record = reply_as(ValidationRecord, ask(host, request), 0x4D)
        assert (record.amount_cents, record.ticket_number) == (100, n)
    assert len(egm.model.tickets) == 31
    host.incident(egm, "meters_reset")
    printed(host, egm, 2)
    record = reply_as(ValidationRecord, ask(host, request), 0x4D)
    assert (record.amount_cents, record.ticket_number, record.index) == (200, 33, 1)


def test_57_no_cash_out_waiting() -> None:
    _, host = synced()
    reply = reply_as(CashoutTicket, read(host, 0x57), 0x57)
    assert reply == CashoutTicket(cashout_type=0x80, amount_cents=0)


def test_70_ticket_data_without_and_with_a_ticket_in_escrow() -> None:
    egm, host = synced()
    none = reply_as(TicketData, read(host, 0x70), 0x70)
    assert (none.status, none.amount_cents, none.validation_data) == (0xFF, 0, b"")
    host.incident(egm, "ticket_in", amount_cents=2000)
    escrow = egm.model.ticket_in
    assert escrow is not None
    data = reply_as(TicketData, read(host, 0x70), 0x70)
    assert (data.status, data.amount_cents, data.parsing_code) == (0x00, 2000, 0x00)
    assert data.validation_data == bytes.fromhex(escrow.validation.rjust(18, "0"))


def test_74_aft_status_and_72_interrogation() -> None:
    egm, host = with_credits(20, asset_number=1234)
    status = reply_as(AftLockStatus, ask(host, requests.aft_lock_status(1)), 0x74)
    assert (status.asset_number, status.cashable_cents) == (1234, 2000)
    assert status.lock_status == 0xFF
    transfer = reply_as(AftTransferStatus, ask(host, requests.aft_interrogate(1)), 0x72)
    assert transfer.transfer_status == 0xFF
    host.sync()
    raw = requests.LongPollRequest(address=1, command=0x72, data=bytes(10))  # a transfer
    assert host.poll(raw) == b""
    assert egm.model.credits == 2000


# --- clock, ROM signature, control ---------------------------------------------------


def test_7e_reads_and_7f_sets_the_clock() -> None:
    _, host = synced()
    host.now = 10.0
    assert reply_as(DateTime, read(host, 0x7E), 0x7E).moment == ORIGIN + timedelta(seconds=10)
    moment = datetime(2031, 5, 17, 13, 45, 30)
    assert ask(host, requests.set_date_time(1, moment)) == b"\x01"
    set_at = host.now
    host.now = set_at + 100.0
    later = reply_as(DateTime, read(host, 0x7E), 0x7E).moment
    assert later == moment + timedelta(seconds=100)


def test_the_clock_starts_at_the_configured_origin() -> None:
    origin = datetime(2030, 6, 1, 8, 0, 0)
    _, host = synced(make_egm(config=EgmConfig(clock_origin=origin)))
    assert reply_as(DateTime, read(host, 0x7E), 0x7E).moment == origin


def test_21_rom_signature_is_a_crc_of_the_program_seeded() -> None:
    egm, host = synced(make_egm(machine_id="sim-009"))
    assert ask(host, requests.rom_signature(1, 0xBEEF)) == b"\x01"
    host.sync()
    raw = host.send(b"\x81", at=host.now + SIGNATURE_SECONDS)
    [frame] = decode(ExpectGeneralPoll(address=1, signature=True), raw)
    assert isinstance(frame, DataFrame)
    signature = decode_reply(frame)
    assert isinstance(signature, RomSignature)
    assert signature.signature == crc16((0xBEEF).to_bytes(2, "little") + b"sim-009602")
    assert egm.responder.signature_ready(host.now) is not None  # kept until acknowledged
    host.sync()
    assert egm.responder.signature_ready(host.now) is None


def test_01_and_02_disable_and_enable_play() -> None:
    egm, host = synced()
    assert ask(host, requests.disable_play(1)) == b"\x01"
    assert not egm.model.enabled and not egm.model.in_service
    assert ask(host, requests.enable_play(1)) == b"\x01"
    assert egm.model.enabled


def test_0e_switches_real_time_events() -> None:
    egm, host = synced()
    assert ask(host, requests.real_time_events(1, enabled=True)) == b"\x01"
    assert egm.rte
    host.incident(egm, "door_open")
    host.sync()
    raw = host.poll(requests.real_time_events(1, enabled=False))
    assert raw != b"\x01" and raw[:3] == b"\x01\xff\x11"  # the event comes first
    assert egm.rte
    assert ask(host, requests.real_time_events(1, enabled=False)) == b"\x01"
    assert not egm.rte


def test_bill_count_is_zero_for_other_events() -> None:
    egm, _ = synced()
    other = MachineEvent(kind=Kind.DOOR_OPENED, at=0.0, data={"door": "slot"})
    assert egm.responder.bill_count(other) == 0


# --- host settings: sound, bill acceptor, notes, games (reference §3.2) ----------------


def test_03_and_04_switch_the_sound() -> None:
    egm, host = synced()
    assert ask(host, requests.sound(1, on=False)) == b"\x01"
    assert not egm.model.sound
    assert ask(host, requests.sound(1, on=True)) == b"\x01"
    assert egm.model.sound


def test_06_and_07_switch_the_bill_acceptor_and_the_model_follows() -> None:
    egm, host = synced()
    assert ask(host, requests.bill_acceptor(1, enabled=False)) == b"\x01"
    assert not egm.model.bill_acceptor_enabled
    host.incident(egm, "bill", dollars=20)  # a player offers a note: it comes back
    assert egm.model.credits == 0 and egm.model.meters.bills_by_dollars == {}
    assert ask(host, requests.bill_acceptor(1, enabled=True)) == b"\x01"
    host.incident(egm, "bill", dollars=20)
    assert egm.model.credits == 2000 and egm.model.meters.bills_by_dollars == {20: 1}


def test_08_chooses_the_notes_and_whether_the_acceptor_stays_on() -> None:
    egm, host = synced()
    assert ask(host, requests.configure_bills(1, [5, 20], stay_enabled=True)) == b"\x01"
    assert egm.model.bill_notes == frozenset({5, 20})
    host.incident(egm, "bill", dollars=100)  # not enabled: returned
    host.incident(egm, "bill", dollars=20)
    assert egm.model.meters.bills_by_dollars == {20: 1}
    states = [egm.model.bill_acceptor_enabled]
    assert ask(host, requests.configure_bills(1, [5], stay_enabled=False)) == b"\x01"
    host.incident(egm, "bill", dollars=5)
    states.append(egm.model.bill_acceptor_enabled)
    assert states == [True, False]  # off after each bill, until 06
    host.incident(egm, "bill", dollars=5)
    assert egm.model.meters.bills_by_dollars == {20: 1, 5: 1}


def test_09_disables_and_enables_the_game() -> None:
    playing = QUIET.model_copy(update={"games_per_minute": 30.0})
    model = MachineModel("sim-001", random.Random(1), rates=playing)
    egm, host = synced(SasEgm(address=1, model=model, ledger=LedgerWriter(None)))
    host.incident(egm, "bill", dollars=20)
    assert ask(host, requests.enable_game(1, 1, enabled=False)) == b"\x01"
    assert not egm.model.game_enabled
    assert reply_as(EnabledGames, read(host, 0x56), 0x56).games == ()
    played = egm.model.meters.games_played
    host.keep_alive(host.now + 60.0)
    egm.model.advance(host.now)
    assert egm.model.meters.games_played <= played + 1  # at most the game already running
    assert ask(host, requests.enable_game(1, 1, enabled=True)) == b"\x01"
    assert reply_as(EnabledGames, read(host, 0x56), 0x56).games == (1,)
    host.keep_alive(host.now + 60.0)
    egm.model.advance(host.now)
    assert egm.model.meters.games_played > played + 5


def test_09_for_a_game_the_machine_lacks_is_nacked() -> None:
    egm, host = synced()
    assert ask(host, requests.enable_game(1, 7, enabled=False)) == b"\x81"
    assert egm.model.game_enabled


def test_18_counts_games_since_power_up_and_since_the_slot_door_closed() -> None:
    egm, host = synced()
    egm.model.games_since_power, egm.model.games_since_door = 12_345, 67
    since = reply_as(GamesSince, read(host, 0x18), 0x18)
    assert since == GamesSince(since_power_up=2_345, since_door_closed=67)  # 2 BCD: rolls over


def test_1e_counts_bills_by_note() -> None:
    egm, host = synced()
    for dollars in (1, 5, 5, 20, 100, 2):
        host.incident(egm, "bill", dollars=dollars)
    counts = reply_as(BillCounts, read(host, 0x1E), 0x1E)
    assert dict(counts.counts) == {1: 1, 5: 2, 10: 0, 20: 1, 50: 0, 100: 1}  # no $2 in 1E
