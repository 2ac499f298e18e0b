"""Host session: sync, identification, implied-ACK rules, retries, link state,
the durability gate and priority servicing, all in numeric time."""

from __future__ import annotations

import itertools
from collections import deque
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.line import Command, FaultReceived, LinkDown, LinkUp, PollFailed
from protocols.sas import requests
from protocols.sas.errors import LocalProtocolError
from protocols.sas.messages import HandpayInfo, LastBill, ValidationRecord
from protocols.sas.session import SasHostSession
from protocols.sas.session_types import (
    CommandCompleted,
    ExceptionReported,
    MachineIdentified,
    MeterMethod,
    MetersRead,
    RomSignatureReported,
    ServiceReply,
    SessionConfig,
)

from .fake_egm import FakeEgm
from .harness import Line

SYNC = b"\x80"


def identified(line: Line, address: int = 1) -> None:
    line.run_until(
        lambda: any(isinstance(e, MetersRead) and e.address == address for e in line.events)
    )


def long_poll_commands(line: Line) -> list[int]:
    return [f[1] for f in line.frames() if len(f) >= 2]


# --- start-up -------------------------------------------------------------------


def test_first_frame_is_a_sync_poll_to_another_address() -> None:
    line = Line([FakeEgm(address=1)])
    line.step()
    assert line.frames() == [SYNC]


def test_machine_ignoring_its_address_until_sync_is_reached_after_sync() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    line.run(1.0)
    assert egm.synced
    assert line.of_type(LinkUp) == [LinkUp(address=1)]


def test_startup_identifies_then_reads_baseline_meters() -> None:
    line = Line([FakeEgm(address=1)])
    identified(line)
    commands = long_poll_commands(line)
    assert commands[:6] == [0x54, 0x1F, 0xA0, 0x51, 0x56, 0x0E]
    (ident,) = line.of_type(MachineIdentified)
    assert isinstance(ident, MachineIdentified)
    profile = ident.profile
    assert profile.version is not None and profile.version.version == "602"
    assert profile.denomination_cents == 1
    assert profile.enabled_games == (1,)
    assert profile.meter_method is MeterMethod.EXTENDED
    (meters,) = line.of_type(MetersRead)
    assert isinstance(meters, MetersRead)
    assert meters.reason == "baseline" and not meters.rebase
    assert meters.meters == {0x00: 1000, 0x01: 800, 0x02: 0, 0x05: 50, 0x0C: 200, 0x24: 900}


def test_extended_meter_polls_alternate_6f_and_af() -> None:
    line = Line([FakeEgm(address=1)])
    identified(line)
    meter_polls = [c for c in long_poll_commands(line) if c in (0x6F, 0xAF)]
    assert meter_polls == [0x6F, 0xAF]


def test_periodic_meter_sweeps_follow_the_interval() -> None:
    line = Line([FakeEgm(address=1)], SessionConfig(meter_interval=5.0))
    identified(line)
    line.run(12.5)
    reasons = [e.reason for e in line.of_type(MetersRead) if isinstance(e, MetersRead)]
    assert reasons == ["baseline", "periodic", "periodic"]


def test_sas5_machine_is_read_with_2f_codes_up_to_0x28() -> None:
    line = Line([FakeEgm(address=1, version="500", extended_meters=False)])
    identified(line)
    (meters,) = line.of_type(MetersRead)
    assert isinstance(meters, MetersRead) and meters.method is MeterMethod.SELECTED
    polls = [f for f in line.frames() if len(f) > 2 and f[1] == 0x2F]
    codes = [c for f in polls for c in f[5:-2]]
    assert codes and max(codes) <= 0x28


def test_meter_method_steps_down_when_extended_meters_get_no_reply() -> None:
    supports = {0x54, 0x1F, 0xA0, 0x51, 0x56, 0x0E, 0x2F}
    line = Line([FakeEgm(address=1, supports=supports)])
    identified(line)
    (meters,) = line.of_type(MetersRead)
    assert isinstance(meters, MetersRead) and meters.method is MeterMethod.SELECTED
    assert 0x6F in long_poll_commands(line)
    assert line.session.profile(1).meter_method is MeterMethod.SELECTED


def test_meter_method_steps_down_to_legacy_polls() -> None:
    supports = {0x54, 0x1F, 0xA0, 0x51, 0x56, 0x0E, 0x1C, 0x1A, 0x10}
    line = Line([FakeEgm(address=1, supports=supports)])
    identified(line)
    (meters,) = line.of_type(MetersRead)
    assert isinstance(meters, MetersRead) and meters.method is MeterMethod.LEGACY
    assert meters.meters[0x00] == 1000 and meters.meters[0x0C] == 200


# --- implied ACK rules ----------------------------------------------------------------


def no_accidental_repeats(frames: list[bytes]) -> None:
    for before, after in pairwise(frames):
        if before == SYNC:
            continue
        if len(before) == 1:
            assert after != before, f"general poll {before.hex()} sent twice in a row"
        else:
            assert after[:2] != before[:2], f"long poll {before[:2].hex()} sent twice in a row"


def test_single_machine_never_gets_two_identical_polls_in_a_row() -> None:
    egm = FakeEgm(address=1, exceptions=deque([0x11, 0x12, 0x11, 0x12, 0x51, 0x7F]))
    line = Line([egm], SessionConfig(meter_interval=2.0))
    line.run(20.0)
    no_accidental_repeats(line.frames())
    assert egm.reported == [0x11, 0x12, 0x11, 0x12, 0x51, 0x7F]


def test_general_polls_to_one_machine_are_separated_by_a_sync_poll() -> None:
    line = Line([FakeEgm(address=1)])
    identified(line)
    line.sent.clear()
    line.run(2.0)
    frames = line.frames()
    assert frames.count(b"\x81") >= 5
    for index, frame in enumerate(frames):
        if frame == b"\x81" and index:
            assert frames[index - 1] != b"\x81"


def test_multidrop_line_polls_each_address_without_sync_between() -> None:
    egms = [FakeEgm(address=1), FakeEgm(address=2), FakeEgm(address=3)]
    line = Line(egms)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 3)
    line.sent.clear()
    line.run(2.0)
    general = [f for f in line.frames() if len(f) == 1]
    assert {b"\x81", b"\x82", b"\x83"} <= set(general)
    assert general.count(SYNC) == 0
    assert {
        e.address for e in line.of_type(MachineIdentified) if isinstance(e, MachineIdentified)
    } == {1, 2, 3}


def test_poll_interval_per_machine_is_respected() -> None:
    line = Line([FakeEgm(address=1)], SessionConfig(poll_interval=0.2))
    identified(line)
    times = [t for t, f in line.sent if f == b"\x81" or (len(f) > 1 and f[0] == 1)]
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= 0.2 - 1e-9


# --- retries, faults, link state ------------------------------------------------------


def test_lost_reply_is_retried_with_the_identical_frame() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.exceptions.append(0x11)
    egm.drop_next = 1
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    frames = line.frames()
    assert frames[-2:] == [b"\x81", b"\x81"] and frames[-3] != b"\x81"
    assert line.session.stats(1).timeouts == 1
    assert [
        e.code for e in line.of_type(ExceptionReported) if isinstance(e, ExceptionReported)
    ] == [0x11]


def test_bad_crc_is_a_counted_fault_and_the_retry_delivers_once() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    line.session.request_meters(1)
    egm.corrupt_next = 1
    before = len(line.of_type(MetersRead))
    line.run_until(lambda: len(line.of_type(MetersRead)) > before)
    assert line.session.stats(1).crc_errors == 1
    faults = [e for e in line.of_type(FaultReceived) if isinstance(e, FaultReceived)]
    assert faults[-1].kind == "bad_crc"


def test_after_two_retries_a_sync_poll_and_a_counted_failure() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.drop_next = 3
    egm.exceptions.append(0x11)
    line.run_until(lambda: bool(line.of_type(PollFailed)))
    frames = line.frames()
    assert frames[-3:] == [b"\x81", b"\x81", b"\x81"]
    line.step()
    assert line.frames()[-1] == SYNC
    assert line.session.stats(1).failed_polls == 1
    # the machine kept the exception (final NACK) and reports it again: nothing lost
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    line.run(1.0)
    assert egm.reported == [0x11] and not egm.exceptions
    assert len(line.of_type(ExceptionReported)) == 1


def test_busy_reply_is_retried() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.busy_next = 1
    line.session.request_meters(1, "request")
    line.run_until(lambda: len(line.of_type(MetersRead)) == 2)
    assert line.session.stats(1).busy == 1


def test_link_goes_down_after_silence_and_recovers_with_reidentification() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(offline_after_silence=5.0))
    identified(line)
    egm.alive = False
    went_silent = line.now
    line.run_until(lambda: bool(line.of_type(LinkDown)))
    assert 5.0 <= line.now - went_silent <= 6.5
    assert not line.session.stats(1).online
    egm.alive = True
    egm.synced = False  # a loop break: it waits for a poll to another address again
    line.sent.clear()
    line.run_until(lambda: len(line.of_type(LinkUp)) == 2)
    line.run_until(lambda: len(line.of_type(MachineIdentified)) == 2)
    assert 0x54 in long_poll_commands(line)
    assert line.session.stats(1).online


def test_link_goes_down_after_the_configured_failures() -> None:
    egm = FakeEgm(address=1)
    config = SessionConfig(offline_after_failures=6, offline_after_silence=100.0)
    line = Line([egm], config)
    identified(line)
    egm.alive = False
    line.run_until(lambda: bool(line.of_type(LinkDown)))
    assert line.session.stats(1).consecutive_failures == 6


def test_absent_machine_is_reported_offline_and_probed_slowly() -> None:
    """Each probe gets its identical retries (a lost first reply of a machine coming back
    must not be acknowledged unseen, §1.8), and probes go out once a second at most."""
    config = SessionConfig(offline_probe_interval=1.0)
    line = Line([FakeEgm(address=1, alive=False)], config)
    line.run(8.0)
    assert [e for e in line.events if isinstance(e, LinkDown)] == [
        LinkDown(address=1, reason="no_reply")
    ]
    probes = [t for t, f in line.sent if f == b"\x81"]
    cycles: list[list[float]] = []
    for t in probes:  # a probe and its retries, 0.2 s apart; probes at least 1 s apart
        if cycles and t - cycles[-1][-1] < 0.5:
            cycles[-1].append(t)
        else:
            cycles.append([t])
    assert all(len(cycle) == 1 + config.retries for cycle in cycles)
    starts = [cycle[0] for cycle in cycles]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(starts))
    assert len(cycles) <= 9


@pytest.mark.parametrize("drops", [1, 2])
def test_a_machine_coming_back_whose_first_replies_are_lost_loses_nothing(drops: int) -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(offline_after_silence=2.0))
    identified(line)
    egm.alive = False
    line.run_until(lambda: bool(line.of_type(LinkDown)))
    egm.exceptions.append(0x11)  # happened while it was away
    egm.alive, egm.synced, egm.drop_next = True, True, drops  # back; its first replies vanish
    line.run_until(lambda: bool(line.of_type(ExceptionReported)), limit=10.0)
    (event,) = line.of_type(ExceptionReported)
    assert isinstance(event, ExceptionReported) and event.code == 0x11
    line.run(1.0)
    assert egm.reported == [0x11]  # acknowledged once, after it was seen


def test_garbage_between_replies_is_a_fault_not_a_crash() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    line.noise = b"\x13\x37\xfe"
    line.run(1.0)
    assert any(isinstance(e, FaultReceived) and e.kind == "garbage" for e in line.events)
    assert line.session.stats(1).online


# --- the durability gate --------------------------------------------------------------


def test_exception_is_not_acknowledged_until_durable() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(gate_keepalive=2.0))
    identified(line)
    line.auto_confirm = False
    egm.exceptions.append(0x11)
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    (event,) = line.of_type(ExceptionReported)
    assert isinstance(event, ExceptionReported) and event.code == 0x11
    assert line.session.gate == event.gate
    sent_before = len(line.sent)
    line.run(1.5)
    assert len(line.sent) == sent_before  # nothing that would acknowledge it
    assert egm.exceptions == deque([0x11])
    line.run(1.0)  # keep-alive: the identical poll, an implied NACK
    assert line.frames()[sent_before:] == [b"\x81"]
    assert egm.exceptions == deque([0x11])
    assert len(line.of_type(ExceptionReported)) == 1  # the re-sent reply is not a new event
    line.session.confirm_durable(event.gate)
    line.run(1.0)
    assert egm.reported == [0x11] and not egm.exceptions


def test_confirming_the_wrong_gate_is_a_local_error() -> None:
    egm = FakeEgm(address=1, exceptions=deque([0x11]))
    line = Line([egm], auto_confirm=False)
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    with pytest.raises(LocalProtocolError):
        line.session.confirm_durable(999)


# --- priority servicing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "service", "message_type"),
    [
        pytest.param(0x51, 0x1B, HandpayInfo, id="51-handpay-pending-reads-1B"),
        pytest.param(0x3D, 0x4D, ValidationRecord, id="3D-ticket-printed-reads-4D"),
        pytest.param(0x3E, 0x4D, ValidationRecord, id="3E-handpay-validated-reads-4D"),
        pytest.param(0x4F, 0x48, LastBill, id="4F-bill-accepted-reads-48"),
        pytest.param(0x4A, 0x48, LastBill, id="4A-20-dollar-bill-reads-48"),
    ],
)
def test_priority_exception_is_serviced_by_its_long_poll(
    code: int, service: int, message_type: type
) -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.exceptions.append(code)
    line.run_until(lambda: bool(line.of_type(ServiceReply)))
    frames = line.frames()
    reported_at = max(i for i, f in enumerate(frames) if f == b"\x81")
    assert frames[reported_at + 1][:2] == bytes([1, service])
    (reply,) = line.of_type(ServiceReply)
    assert isinstance(reply, ServiceReply)
    assert reply.trigger == code and isinstance(reply.message, message_type)
    assert egm.reported == [code]


def test_validation_is_read_with_next_unread_function() -> None:
    egm = FakeEgm(address=1, exceptions=deque([0x3D]))
    line = Line([egm])
    line.run_until(lambda: bool(line.of_type(ServiceReply)))
    (frame,) = [f for f in line.frames() if len(f) > 2 and f[1] == 0x4D]
    assert frame == requests.validation_info(1, 0x00).encode().data


def test_buffer_overflow_triggers_a_reconciling_meter_read() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.exceptions.append(0x70)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 2)
    reads = [e for e in line.of_type(MetersRead) if isinstance(e, MetersRead)]
    assert reads[-1].reason == "reconcile"


@pytest.mark.parametrize("code", [0x7A, 0x3A, 0x31, 0x32, 0x33, 0x34, 0x35])
def test_meter_reset_exceptions_flag_a_rebase(code: int) -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.exceptions.append(code)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 2)
    reads = [e for e in line.of_type(MetersRead) if isinstance(e, MetersRead)]
    assert reads[-1].rebase and reads[-1].reason == "rebase"
    line.session.request_meters(1)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 3)
    reads = [e for e in line.of_type(MetersRead) if isinstance(e, MetersRead)]
    assert not reads[-1].rebase


@pytest.mark.parametrize("code", [0x3C, 0xA2])
def test_configuration_change_reidentifies(code: int) -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    line.sent.clear()
    egm.exceptions.append(code)
    line.run_until(lambda: len(line.of_type(MachineIdentified)) == 2)
    assert {0x54, 0x1F, 0xA0} <= set(long_poll_commands(line))


def test_rom_signature_is_acked_then_captured_from_a_general_poll() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    line.session.submit(Command(address=1, tag="sig", request=requests.rom_signature(1, 0x1234)))
    line.run_until(lambda: bool(line.of_type(RomSignatureReported)))
    (done,) = line.of_type(CommandCompleted)
    assert isinstance(done, CommandCompleted) and done.ok and done.tag == "sig"
    (signature,) = line.of_type(RomSignatureReported)
    assert isinstance(signature, RomSignatureReported) and signature.signature == 0x1234 ^ 0xBEEF


# --- commands and RTE -------------------------------------------------------------------


def test_command_to_an_online_machine_completes() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    line.session.submit(Command(address=1, tag="t1", request=requests.disable_play(1)))
    line.run_until(lambda: bool(line.of_type(CommandCompleted)))
    (done,) = line.of_type(CommandCompleted)
    assert isinstance(done, CommandCompleted) and done.ok
    assert bytes.fromhex("0101") == line.frames()[-1][:2]


def test_command_to_an_offline_machine_fails_at_once() -> None:
    line = Line([FakeEgm(address=1, alive=False)])
    line.session.submit(Command(address=1, tag="t2", request=requests.enable_play(1)))
    (done,) = line.session.events()
    assert isinstance(done, CommandCompleted) and not done.ok and done.reason == "machine offline"


def test_real_time_events_arrive_as_event_frames() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(real_time_events=True))
    identified(line)
    assert egm.rte
    egm.exceptions.extend([0x7F, 0x11])
    line.run_until(lambda: len(line.of_type(ExceptionReported)) == 2)
    first, second = line.of_type(ExceptionReported)
    assert isinstance(first, ExceptionReported) and first.event is not None
    assert first.code == 0x7F and first.event.data is not None
    assert isinstance(second, ExceptionReported) and second.code == 0x11
    line.run(1.0)
    assert egm.reported == [0x7F, 0x11]


def test_event_in_place_of_a_long_poll_reply_reissues_the_poll_later() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(real_time_events=True))
    identified(line)
    line.session.request_meters(1)
    egm.exceptions.append(0x11)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 2)
    assert egm.reported == [0x11]
    no_accidental_repeats(line.frames())


# --- misuse ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses", [[], [1, 1], [0], [128]], ids=["none", "duplicate", "zero", "too-high"]
)
def test_bad_address_lists_are_rejected(addresses: list[int]) -> None:
    with pytest.raises(LocalProtocolError):
        SasHostSession(addresses)


def test_unknown_address_is_a_local_error() -> None:
    session = SasHostSession([1])
    with pytest.raises(LocalProtocolError):
        session.stats(2)
    with pytest.raises(LocalProtocolError):
        session.submit(Command(address=1, tag="x", request=requests.enable_play(2)))


# --- zero loss under faults (property) --------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    codes=st.lists(st.sampled_from([0x11, 0x12, 0x17, 0x20, 0x51, 0x4F, 0x7E, 0x7F]), max_size=12),
    faults=st.lists(
        st.sampled_from(["drop", "corrupt", "busy", "noise", None]), min_size=30, max_size=30
    ),
)
def test_every_exception_is_reported_exactly_once_in_order_despite_faults(
    codes: list[int], faults: list[str | None]
) -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(meter_interval=3.0))
    identified(line)
    egm.exceptions.extend(codes)
    for fault in faults:
        if fault == "drop":
            egm.drop_next = 1
        elif fault == "corrupt":
            egm.corrupt_next = 1
        elif fault == "busy":
            egm.busy_next = 1
        elif fault == "noise":
            line.noise = b"\x42\x00"
        line.run(0.3)
    line.run_until(lambda: not egm.exceptions, limit=120.0)
    line.run(1.0)
    reported = [e.code for e in line.of_type(ExceptionReported) if isinstance(e, ExceptionReported)]
    assert reported == codes
    assert egm.reported == codes


# --- more edges ---------------------------------------------------------------------------


def test_nack_is_counted_and_the_poll_retried() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm])
    identified(line)
    egm.nack_next = 1
    line.session.request_meters(1)
    line.run_until(lambda: len(line.of_type(MetersRead)) == 2)
    assert line.session.stats(1).nacks == 1
    meter_polls = [f for f in line.frames() if len(f) > 2 and f[1] in (0x6F, 0xAF)]
    assert meter_polls[2] == meter_polls[3]  # the retry is the identical frame


def test_command_without_reply_fails_after_retries() -> None:
    egm = FakeEgm(address=1, supports={0x54, 0x1F, 0xA0, 0x51, 0x56, 0x0E, 0x6F, 0xAF})
    line = Line([egm])
    identified(line)
    line.session.submit(Command(address=1, tag="reset", request=requests.handpay_reset(1)))
    line.run_until(lambda: bool(line.of_type(CommandCompleted)))
    (done,) = line.of_type(CommandCompleted)
    assert isinstance(done, CommandCompleted)
    assert not done.ok and done.reason == "no reply"
    assert [f for f in line.frames() if len(f) > 1 and f[1] == 0x94] == [
        requests.handpay_reset(1).encode().data
    ] * 3


def test_pending_commands_fail_when_the_link_goes_down() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(offline_after_silence=1.0))
    identified(line)
    egm.alive = False
    line.session.submit(Command(address=1, tag="a", request=requests.enable_play(1)))
    line.session.submit(Command(address=1, tag="b", request=requests.disable_play(1)))
    line.run_until(lambda: bool(line.of_type(LinkDown)))
    done = [e for e in line.of_type(CommandCompleted) if isinstance(e, CommandCompleted)]
    assert {e.tag for e in done} == {"a", "b"}
    assert all(not e.ok for e in done)


def test_rte_bill_event_carries_the_bill_and_needs_no_long_poll() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(real_time_events=True))
    identified(line)
    line.sent.clear()
    egm.exceptions.append(0x4F)
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    line.run(1.0)
    (event,) = line.of_type(ExceptionReported)
    assert isinstance(event, ExceptionReported) and event.event is not None
    assert isinstance(event.event.data, LastBill) and event.event.data.dollars == 20
    assert 0x48 not in long_poll_commands(line)


def test_malformed_rte_data_is_a_fault_and_the_event_is_kept_raw() -> None:
    egm = FakeEgm(address=1, bad_rte_data=True)
    line = Line([egm], SessionConfig(real_time_events=True))
    identified(line)
    egm.exceptions.append(0x7F)
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    (event,) = line.of_type(ExceptionReported)
    assert isinstance(event, ExceptionReported) and event.event is not None
    assert event.event.data is None and event.event.raw_data == b"\xff" * 4
    assert any(isinstance(e, FaultReceived) and e.kind == "unexpected" for e in line.events)


def test_rte_policy_none_leaves_the_machine_alone() -> None:
    line = Line([FakeEgm(address=1)], SessionConfig(real_time_events=None))
    identified(line)
    assert 0x0E not in long_poll_commands(line)


def test_forced_meter_method_is_used_and_never_stepped_down() -> None:
    supports = {0x54, 0x1F, 0xA0, 0x51, 0x56, 0x0E}
    config = SessionConfig(meter_method=MeterMethod.LEGACY, meter_interval=2.0)
    line = Line([FakeEgm(address=1, supports=supports)], config)
    line.run(8.0)
    commands = long_poll_commands(line)
    assert 0x1C in commands
    assert 0x6F not in commands and 0x2F not in commands
    assert not line.of_type(MetersRead)


def test_old_machine_without_version_reply_is_read_with_legacy_polls() -> None:
    supports = {0x1F, 0x1C, 0x1A, 0x10}
    line = Line([FakeEgm(address=1, supports=supports)])
    identified(line)
    (ident,) = line.of_type(MachineIdentified)
    assert isinstance(ident, MachineIdentified) and ident.profile.version is None
    (meters,) = line.of_type(MetersRead)
    assert isinstance(meters, MetersRead) and meters.method is MeterMethod.LEGACY


def test_sync_address_must_not_be_a_machine() -> None:
    with pytest.raises(LocalProtocolError):
        SasHostSession([1, 12], SessionConfig(sync_address=12))


def test_empty_read_and_idle_garbage_are_handled() -> None:
    session = SasHostSession([1])
    session.receive_data(b"", 0.0)
    assert session.poll(0.0) == requests.sync_poll()
    session.handle_timeout(1.0)
    session.receive_data(b"\x55\xaa", 1.0)  # nothing pending: junk
    assert session.next_deadline() == pytest.approx(1.0 + session.config.inter_byte_gap)
    session.handle_timeout(2.0)
    (event,) = session.events()
    assert isinstance(event, FaultReceived) and event.raw == b"\x55\xaa"
    assert session.addresses == (1,)


def test_event_in_place_of_a_service_reply_requeues_the_service_poll() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(real_time_events=True))
    identified(line)
    egm.exceptions.extend([0x51, 0x11])
    line.run_until(lambda: bool(line.of_type(ServiceReply)))
    line.run(1.0)
    assert egm.reported == [0x51, 0x11]
    (reply,) = line.of_type(ServiceReply)
    assert isinstance(reply, ServiceReply) and isinstance(reply.message, HandpayInfo)


def test_keepalive_that_gets_no_reply_keeps_the_gate() -> None:
    egm = FakeEgm(address=1)
    line = Line([egm], SessionConfig(gate_keepalive=1.0))
    identified(line)
    line.auto_confirm = False
    egm.exceptions.append(0x11)
    line.run_until(lambda: bool(line.of_type(ExceptionReported)))
    egm.alive = False
    line.run(3.5)
    assert line.session.gate is not None
    assert line.session.stats(1).online  # keep-alive silence is not a link failure
    egm.alive = True
    line.session.confirm_durable(line.session.gate)
    line.run(1.0)
    assert egm.reported == [0x11]


def test_poll_intervals_are_recorded_per_machine() -> None:
    line = Line([FakeEgm(address=1)], SessionConfig(poll_interval=0.2))
    identified(line)
    stats = line.session.stats(1)
    assert stats.last_poll_at is not None
    assert len(stats.recent_intervals) > 5
    assert min(stats.recent_intervals) >= 0.2 - 1e-9


def test_poll_latency_is_recorded_per_reply() -> None:
    line = Line([FakeEgm(address=1)], SessionConfig(poll_interval=0.2))
    identified(line)
    stats = line.session.stats(1)
    assert len(stats.recent_latencies) > 5
    # the fake machine answers within the session's reply timeout, never before the poll
    assert all(0 <= value <= line.session.config.reply_timeout for value in stats.recent_latencies)
