"""Transport.read: the buffer, the deadline, failures and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from agent.transport import Transport, TransportError
from protocols.line import Outgoing


class Loopback(Transport):
    """Bytes arrive only when the test calls ``_received``."""

    async def open(self) -> None:
        pass

    async def write(self, frame: Outgoing) -> None:
        self.bytes_out += len(frame.data)

    async def close(self) -> None:
        pass


def test_cancelling_a_read_as_bytes_arrive_still_cancels() -> None:
    """The poller is cancelled at shutdown; a read must never swallow that.

    Python 3.11's ``asyncio.wait_for`` returns the result instead of raising
    CancelledError when the awaited event completes in the same loop pass as
    the cancellation, and the poller would then run on for ever.
    """

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = Loopback("/dev/ttyS0")
        for _ in range(3):
            task = asyncio.create_task(transport.read(loop.time() + 10.0))
            await asyncio.sleep(0.01)  # the read is waiting
            transport._received(b"\x01")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert transport.discard_input() == b"\x01"  # the bytes stay for the next read

    asyncio.run(scenario())


def test_cancelling_a_read_at_its_deadline_still_cancels() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = Loopback("/dev/ttyS0")
        deadline = loop.time() + 0.02
        task = asyncio.create_task(transport.read(deadline))
        await asyncio.sleep(0.005)  # the read is waiting
        loop.call_at(deadline, task.cancel)  # in the same loop pass as the timeout
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_read_failure_and_data() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = Loopback("/dev/ttyS0")
        loop.call_later(0.01, transport._received, b"\x01\x02")
        assert await transport.read(loop.time() + 5.0) == b"\x01\x02"
        assert await transport.read(loop.time() + 0.01) == b""
        transport._received(b"\x03")
        transport._failed("unplugged")
        transport._failed("second reason is ignored")
        assert await transport.read(loop.time() + 5.0) == b"\x03"  # data first
        with pytest.raises(TransportError, match="unplugged") as caught:
            await transport.read(loop.time() + 5.0)
        assert caught.value.reason == "unplugged"
        assert str(caught.value) == "/dev/ttyS0: unplugged"
        assert transport.bytes_in == 3

    asyncio.run(scenario())
