"""The mapper behind a real host session and a fake machine, in numeric time.

Everything the session reports maps without error; the exception-born events
are exactly the exceptions the machine handed over, in order, and the
details, link and meter events stay out of the ledger comparison.
"""

from __future__ import annotations

from agent.events.envelope import Channel, Event
from agent.lines.sas.mapper import MachineInfo, SasEventMapper
from protocols.sas.session_types import ExceptionReported, MetersRead, SessionConfig
from simulator.ledger_compare import upstream_from_json
from tests.agent.events.helpers import clock, envelope
from tests.protocols.sas.fake_egm import FakeEgm
from tests.protocols.sas.harness import Line

CODES = [0x11, 0x4A, 0x51, 0x3D, 0x57, 0x67, 0x70, 0x12, 0x7E, 0x7F]
RTE_CODES = [0x11, 0x4F, 0x7F, 0x51, 0x12]  # the fake machine has RTE data for 4F and 7F


def run(config: SessionConfig, codes: list[int]) -> tuple[FakeEgm, list[Event]]:
    egm = FakeEgm(address=1)
    line = Line([egm], config)
    line.run_until(lambda: bool(line.of_type(MetersRead)))
    egm.exceptions.extend(codes)
    line.run_until(
        lambda: not egm.exceptions and len(line.of_type(ExceptionReported)) == len(codes)
    )
    line.run(2.0)  # let the service polls and the reconciling meter read finish
    mapper = SasEventMapper("bank-a", {1: MachineInfo(id="Slot-A12")}, "USD", clock)
    events = [event for session_event in line.events for event in mapper.map(session_event)]
    return egm, events


def test_a_session_maps_to_canonical_events() -> None:
    egm, events = run(SessionConfig(), CODES)
    names = [event.event for event in events]
    assert names[:3] == ["online", "machineIdentified", "metersRead"]
    for name in ("handpayDetailsRead", "billDetailsRead", "validationDetailsRead"):
        assert name in names
    assert "eventsLost" in names
    reasons = [e.data["reason"] for e in events if e.event == "metersRead"]
    assert "reconcile" in reasons  # 70 is followed by the reconciling read
    docs = [envelope(event, seq) for seq, event in enumerate(events, start=1)]
    assert [e.code for e in upstream_from_json(docs)] == egm.reported == CODES
    # The fake machine is 1 cent: amounts are cents, cash events carry meters.
    (handpay,) = [e for e in events if e.event == "handpayDetailsRead"]
    assert handpay.data["amount_cents"] == 1_200
    assert handpay.meters is not None and handpay.meters["coin_in_cents"] == 1_000
    assert all(e.meters is not None for e in events if e.channel is Channel.CASH)


def test_a_session_in_rte_mode_maps_bill_and_win_amounts() -> None:
    egm, events = run(SessionConfig(real_time_events=True), RTE_CODES)
    bill = next(e for e in events if e.event == "billAccepted")
    ended = next(e for e in events if e.event == "gameEnded")
    assert bill.data["amount_cents"] > 0
    assert "bill_count" in bill.data
    assert "billDetailsRead" not in [e.event for e in events]  # RTE 4F needs no LP 48
    assert isinstance(ended.data["win_cents"], int)
    docs = [envelope(event, seq) for seq, event in enumerate(events, start=1)]
    assert [e.code for e in upstream_from_json(docs)] == egm.reported == RTE_CODES
