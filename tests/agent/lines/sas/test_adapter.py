"""The SAS adapter: session from the config, translation with resume points, actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from agent.config import parse_config
from agent.lines.actions import ACTION_NAMES, Action, action_name
from agent.lines.adapter import NOTHING, LineSpec
from agent.lines.registry import build_adapter, unsupported
from agent.lines.sas.adapter import SasAdapter
from protocols.line import CommandDone, FaultReceived, LinkDown, LinkUp, MachineReport, PollFailed
from protocols.sas import requests
from protocols.sas.messages import HandpayInfo
from protocols.sas.session import SasHostSession
from protocols.sas.session_types import CommandCompleted, ReadMeters, ServiceReply, SessionConfig
from tests.agent.events.helpers import clock, exception

SPEC = LineSpec(
    name="bank-a",
    port="/dev/ttyS0",
    protocol="sas",
    baud=19200,
    wakeup=True,
    machines=[(1, "Slot-A12", None), (2, "Slot-A13", 25)],
)
HANDPAY = 0x51
DOOR = 0x11


def adapter() -> SasAdapter:
    return SasAdapter(SPEC, SessionConfig(), clock=clock)


def handpay_details() -> ServiceReply:
    info = HandpayInfo(progressive_group=0, level=0x40, amount=500, partial_pay=0, reset_id=1)
    return ServiceReply(address=1, trigger=HANDPAY, message=info, gate=3)


def test_an_exception_gives_its_event_and_the_machines_resume_point() -> None:
    line = adapter()
    translation = line.translate(exception(HANDPAY))
    (event,) = translation.events
    assert (event.event, event.machine, event.raw["code"]) == (
        "handpayPending",
        "Slot-A12",
        HANDPAY,
    )
    assert translation.resume == {"Slot-A12": str(HANDPAY)}


def test_what_a_long_poll_read_and_link_events_give_no_resume_point() -> None:
    line = adapter()
    details = line.translate(handpay_details())
    assert details.events[0].raw["longpoll"] == "1B"
    assert details.resume == {}
    assert line.translate(LinkUp(address=2)).resume == {}
    assert line.translate(LinkDown(address=2, reason="no_reply")).events[0].event == "offline"


def test_after_a_restart_only_the_first_exception_repeating_the_point_is_flagged() -> None:
    line = adapter()
    line.resume({"Slot-A12": str(HANDPAY), "Slot-A13": str(DOOR), "elsewhere": "17"})
    assert not line.translate(handpay_details()).events[0].possible_duplicate  # a long poll
    assert line.translate(exception(HANDPAY)).events[0].possible_duplicate
    assert not line.translate(exception(HANDPAY)).events[0].possible_duplicate  # once only
    other = exception(0x1B)  # machine 2 reports another code first: its check is over
    other = type(other)(address=2, code=0x1B, info=other.info, event=None, gate=4)
    assert not line.translate(other).events[0].possible_duplicate
    again = type(other)(address=2, code=DOOR, info=None, event=None, gate=5)
    assert not line.translate(again).events[0].possible_duplicate


def test_counters_and_command_outcomes_map_to_nothing() -> None:
    line = adapter()
    outcome = CommandCompleted(address=1, tag="t", request=ReadMeters(), ok=True)
    for counter in (
        outcome,
        PollFailed(address=1, command=0x1B, reason="no_reply"),
        FaultReceived(address=None, kind="garbage", reason="junk", raw=b"\x55"),
    ):
        assert line.translate(counter) == NOTHING


def test_an_event_of_another_protocol_is_a_wiring_bug() -> None:
    line = adapter()
    done = CommandDone(address=1, tag="t", ok=True)
    with pytest.raises(TypeError, match="not a SAS session event"):
        line.translate(done)  # a neutral outcome the SAS session never emits
    with pytest.raises(TypeError, match="not a SAS session event"):
        line.translate(MachineReport(address=1))


@pytest.mark.parametrize(
    ("action", "request_bytes"),
    [
        (Action(name="enableMachine"), requests.enable_play(2).encode().data),
        (Action(name="disableMachine"), requests.disable_play(2).encode().data),
        (Action(name="resetHandpay"), requests.handpay_reset(2).encode().data),
        (
            Action(name="setRealTimeEvents", enabled=True),
            requests.real_time_events(2, enabled=True).encode().data,
        ),
    ],
    ids=lambda v: v.name if isinstance(v, Action) else "",
)
def test_actions_are_long_polls(action: Action, request_bytes: bytes) -> None:
    request = adapter().command(2, action)
    assert not isinstance(request, ReadMeters)
    assert request.encode().data == request_bytes


def test_read_meters_is_a_sweep_and_set_time_is_local_wall_time() -> None:
    line = adapter()
    assert line.command(1, Action(name="readMeters")) == ReadMeters()
    moment = datetime(2026, 11, 22, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    request = line.command(1, Action(name="setTime", time=moment))
    local = moment.astimezone().replace(tzinfo=None)
    assert request == requests.set_date_time(1, local)
    now = line.command(1, Action(name="setTime"))
    assert not isinstance(now, ReadMeters) and now.command == 0x7F


def test_every_canonical_action_is_encoded() -> None:
    line = adapter()
    for name in ACTION_NAMES:
        enabled = False if name == "setRealTimeEvents" else None
        assert line.command(1, Action(name=name, enabled=enabled)) is not None


def test_actions_check_their_arguments_and_names() -> None:
    with pytest.raises(ValueError, match="needs 'enabled'"):
        Action(name="setRealTimeEvents")
    with pytest.raises(ValueError, match="UTC offset"):
        Action(name="setTime", time=datetime(2026, 1, 1))
    assert action_name("enable") == "enableMachine"
    assert action_name("readMeters") == "readMeters"
    with pytest.raises(ValueError, match="not an action"):
        action_name("selfDestruct")
    assert Action(name="setTime", time=datetime(2026, 1, 1, tzinfo=UTC)).time is not None


CONFIG = """
[agent]
id = "floor-1"
currency = "EUR"

[[lines]]
name = "bank-a"
port = "/dev/ttyS0"
protocol = "sas"
poll_interval_ms = 150
reply_timeout_ms = 60
inter_byte_gap_ms = 10
retries = 1
offline_after_s = 8
meter_interval_s = 30
real_time_events = true

[[lines.machines]]
address = 3
id = "Slot-C03"
denomination_cents = 5

[[lines]]
name = "bank-g"
port = "socket://10.0.0.9:4001"
protocol = "gapi"

[[lines.machines]]
address = 200
id = "G-1"
"""


def test_the_registry_builds_the_adapter_from_its_section_and_refuses_gapi() -> None:
    config = parse_config(CONFIG)
    line = build_adapter(config.lines[0], config.agent)
    assert isinstance(line, SasAdapter)
    assert line.spec == LineSpec(
        name="bank-a",
        port="/dev/ttyS0",
        protocol="sas",
        baud=19200,
        wakeup=True,
        machines=[(3, "Slot-C03", 5)],
    )
    timing = line.session_config
    assert (timing.poll_interval, timing.reply_timeout, timing.inter_byte_gap) == (0.15, 0.06, 0.01)
    assert (timing.retries, timing.offline_after_silence, timing.meter_interval) == (1, 8.0, 30.0)
    assert timing.real_time_events is True
    assert line.mapper.currency == "EUR"
    session = line.new_session()
    assert isinstance(session, SasHostSession) and session.addresses == (3,)
    assert line.new_session() is not session
    (problem,) = unsupported(config)
    assert problem.key == "lines[1].protocol"
    assert problem.reason == "GAPI lines are not supported by this build yet"


def test_after_a_link_loss_the_first_exception_repeating_the_last_one_is_flagged() -> None:
    """A machine keeps an unacknowledged report through a loop break or a power cut."""
    line = adapter()
    assert not line.translate(exception(DOOR)).events[0].possible_duplicate
    line.translate(LinkDown(address=1, reason="no_reply"))
    line.translate(LinkUp(address=1))
    assert line.translate(exception(DOOR)).events[0].possible_duplicate
    assert not line.translate(exception(DOOR)).events[0].possible_duplicate
    line.translate(LinkUp(address=1))
    assert not line.translate(exception(HANDPAY)).events[0].possible_duplicate  # another code
    line.translate(LinkUp(address=2))  # machine 2 never reported: nothing to compare
    other = exception(DOOR)
    other = type(other)(address=2, code=DOOR, info=other.info, event=None, gate=7)
    assert not line.translate(other).events[0].possible_duplicate
