"""The exception queue of a simulated SAS machine (simulator/sas_queue.py, reference §3.1).

A FIFO of ordinary exceptions that loses its oldest entry and raises 70
when full, and priority flags reported first in ``PRIORITY_ORDER``, some
repeating until the host reads them with their long poll.
"""

from __future__ import annotations

import pytest

from protocols.sas import exception_codes
from simulator.sas import queue as sas_queue
from simulator.sas.queue import OVERFLOW, PRIORITY_ORDER, SERVICED_BY, Entry, ExceptionQueue


def drain(queue: ExceptionQueue, now: float = 0.0) -> list[int]:
    """Report and acknowledge until nothing is due; the codes in reporting order."""
    codes = []
    while (entry := queue.head(now)) is not None:
        codes.append(entry.code)
        queue.acknowledge(entry, now)
        if entry.code in SERVICED_BY:
            queue.service(next(iter(SERVICED_BY[entry.code])))
    return codes


def test_an_empty_queue_has_nothing_to_report() -> None:
    queue = ExceptionQueue()
    assert queue.head(0.0) is None
    assert len(queue) == 0
    assert (queue.depth, queue.repeat_after) == (20, 15.0)


def test_ordinary_exceptions_come_out_in_fifo_order() -> None:
    queue = ExceptionQueue()
    for code in (0x11, 0x20, 0x12, 0x7E):
        assert queue.push(Entry(code=code)) == []
    assert len(queue) == 4
    assert drain(queue) == [0x11, 0x20, 0x12, 0x7E]
    assert len(queue) == 0


def test_priority_exceptions_come_first_in_priority_order() -> None:
    queue = ExceptionQueue()
    for code in (0x11, 0x52, 0x51, 0x12, 0x68, 0x3D, 0x57):
        queue.push(Entry(code=code))
    assert drain(queue) == [0x57, 0x68, 0x3D, 0x52, 0x51, 0x11, 0x12]


def test_priority_order_is_the_reference_order() -> None:
    assert PRIORITY_ORDER == (
        0x57, 0x67, 0x68, 0x3F, 0x6A, 0x6B, 0x6F, 0x56, 0x3D,
        0x3E, 0x69, 0x6C, 0x6D, 0x52, 0x51, 0x8F, 0x70,
    )  # fmt: skip
    for code in PRIORITY_ORDER:
        info = exception_codes.lookup(code)
        assert info is not None and info.priority


def test_two_equal_exceptions_are_two_entries() -> None:
    queue = ExceptionQueue()
    first, second = Entry(code=0x11), Entry(code=0x11)
    queue.push(first)
    queue.push(second)
    assert queue.head(0.0) is first
    assert queue.acknowledge(second, 0.0)
    assert queue.head(0.0) is first
    assert len(queue) == 1


def test_a_full_fifo_loses_its_oldest_and_raises_70_once() -> None:
    queue = ExceptionQueue(depth=3)
    entries = [Entry(code=0x11, seq=n) for n in range(1, 7)]
    assert [queue.push(e) for e in entries[:3]] == [[], [], []]
    assert queue.push(entries[3]) == [entries[0]]
    assert queue.push(entries[4]) == [entries[1]]  # 70 still pending: not raised twice
    overflow = queue.head(0.0)
    assert overflow is not None and overflow.code == OVERFLOW
    assert overflow.seq == 0 and overflow.event == "exception_buffer_overflow"
    assert len(queue) == 4
    assert drain(queue) == [OVERFLOW, 0x11, 0x11, 0x11]
    for entry in entries[:3]:
        queue.push(Entry(code=0x12, seq=entry.seq))
    assert queue.push(entries[5]) != []
    assert drain(queue)[0] == OVERFLOW  # raised again after the first was acknowledged


def test_acknowledging_removes_an_entry_and_says_it_was_the_first_time() -> None:
    queue = ExceptionQueue()
    entry = Entry(code=0x11)
    queue.push(entry)
    assert queue.acknowledge(entry, 1.0) is True
    assert entry.acked
    assert queue.head(1.0) is None
    assert queue.acknowledge(entry, 2.0) is False  # gone: nothing to acknowledge


def test_an_entry_lost_to_the_overflow_cannot_be_acknowledged() -> None:
    queue = ExceptionQueue(depth=1)
    reported = Entry(code=0x11, seq=1)
    queue.push(reported)
    assert queue.head(0.0) is reported
    assert queue.push(Entry(code=0x12, seq=2)) == [reported]
    assert queue.acknowledge(reported, 0.1) is False
    assert not reported.acked


def test_a_handpay_repeats_every_15_seconds_until_1b_is_read() -> None:
    queue = ExceptionQueue()
    handpay = Entry(code=0x51, seq=1)
    queue.push(handpay)
    queue.push(Entry(code=0x11, seq=2))
    assert queue.head(0.0) is handpay
    assert queue.acknowledge(handpay, 10.0) is True
    assert handpay.repeat_at == 25.0
    head = queue.head(24.9)
    assert head is not None and head.code == 0x11  # the FIFO meanwhile
    assert queue.head(25.0) is handpay  # due again
    assert queue.acknowledge(handpay, 25.0) is False  # a repeat: not a first ack
    assert handpay.repeat_at == 40.0
    queue.service(0x1A)  # not its long poll
    assert queue.head(40.0) is handpay
    queue.service(0x1B)
    head = queue.head(40.0)
    assert head is not None and head.code == 0x11
    queue.service(0x1B)  # nothing left to service: no effect
    assert len(queue) == 1


@pytest.mark.parametrize(
    ("code", "command"), [(0x3D, 0x4D), (0x3E, 0x4D), (0x57, 0x57), (0x67, 0x70)]
)
def test_serviced_flags_and_their_long_polls(code: int, command: int) -> None:
    queue = ExceptionQueue(repeat_after=5.0)
    entry = Entry(code=code)
    queue.push(entry)
    queue.acknowledge(entry, 0.0)
    assert queue.head(1.0) is None
    assert queue.head(5.0) is entry
    queue.service(command)
    assert queue.head(5.0) is None
    assert SERVICED_BY[code] == frozenset({command})


def test_flags_that_need_no_long_poll_go_at_their_acknowledgement() -> None:
    queue = ExceptionQueue()
    redeemed = Entry(code=0x68)
    queue.push(redeemed)
    assert queue.acknowledge(redeemed, 0.0)
    assert queue.head(100.0) is None
    assert len(queue) == 0


def test_a_priority_code_outside_the_order_list_comes_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = exception_codes.lookup

    def lookup(code: int) -> exception_codes.ExceptionInfo | None:
        if code == 0x8E:  # pretend "component list changed" were a priority exception
            return exception_codes.ExceptionInfo(
                code=code, name="x", category="x", priority=True, rte_data_length=0
            )
        return original(code)

    monkeypatch.setattr(sas_queue, "lookup", lookup)
    queue = ExceptionQueue()
    for code in (0x11, 0x8E, 0x52):
        queue.push(Entry(code=code))
    assert drain(queue) == [0x52, 0x8E, 0x11]
