"""FdTransport on real ptys: pyserial opens, the event loop reads, os.write writes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial

from agent.transport import TransportError
from agent.transport.fd import FdTransport
from protocols.sas.crc import with_crc
from protocols.sas.frames import PollFrame
from protocols.sas.requests import general_poll, read

from .fakes import SocketSerial
from .ptys import Pty, pty_pair, read_master, wait_for

LONG_POLL = with_crc(bytes([0x01, 0x2F, 0x04, 0x00, 0x00, 0x0C, 0x1B]))


@pytest.fixture
def pty() -> Iterator[Pty]:
    with pty_pair() as pair:
        yield pair


class RecordingPort:
    """A real pyserial port that records parity changes, writes and drains."""

    def __init__(self, port: str, **settings: Any) -> None:
        self.settings = settings
        self.real = serial.Serial(port, **settings)
        self.calls: list[tuple[str, Any]] = []

    @property
    def parity(self) -> str:
        return str(self.real.parity)

    @parity.setter
    def parity(self, value: str) -> None:
        self.calls.append(("parity", value))
        self.real.parity = value

    def write(self, data: bytes) -> int | None:
        self.calls.append(("write", bytes(data)))
        return self.real.write(data)

    def flush(self) -> None:
        self.calls.append(("flush", None))
        self.real.flush()

    def fileno(self) -> int:
        return self.real.fileno()

    def reset_input_buffer(self) -> None:
        self.real.reset_input_buffer()

    def close(self) -> None:
        self.real.close()


def test_write_reaches_the_other_side(pty: Pty) -> None:
    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            await transport.write(general_poll(1))
            await transport.write(PollFrame(data=LONG_POLL))
            assert await read_master(pty.master, 1 + len(LONG_POLL)) == b"\x81" + LONG_POLL
            assert transport.bytes_out == 1 + len(LONG_POLL)
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_read_returns_as_soon_as_bytes_arrive(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            loop.call_later(0.05, os.write, pty.master, b"\x01\x54")
            start = loop.time()
            data = await transport.read(start + 10.0)
            elapsed = loop.time() - start
            assert data == b"\x01\x54"
            assert 0.04 <= elapsed < 2.0  # woke on arrival, long before the deadline
            assert transport.bytes_in == 2
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_read_returns_nothing_at_the_deadline(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            start = loop.time()
            assert await transport.read(start + 0.1) == b""
            assert loop.time() - start >= 0.09
            start = loop.time()
            assert await transport.read(start - 1.0) == b""  # a deadline already passed
            assert loop.time() - start < 0.05
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_bytes_already_buffered_are_returned_even_after_the_deadline(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            os.write(pty.master, b"\x11")
            await wait_for(lambda: transport.bytes_in == 1)
            assert await transport.read(loop.time() - 1.0) == b"\x11"
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_discard_input_drops_buffered_bytes(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            os.write(pty.master, b"junk")
            await wait_for(lambda: transport.bytes_in == 4)
            assert transport.discard_input() == b"junk"
            assert await transport.read(loop.time() + 0.05) == b""
            assert transport.discard_input() == b""
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_wakeup_on_a_pty_sends_the_bytes_intact(pty: Pty) -> None:
    """Ptys accept and ignore mark/space parity, so the frame arrives unchanged."""
    ports: list[RecordingPort] = []

    def factory(port: str, **settings: Any) -> RecordingPort:
        ports.append(RecordingPort(port, **settings))
        return ports[-1]

    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=True, serial_factory=factory)
        await transport.open()
        try:
            await transport.write(PollFrame(data=LONG_POLL))
            assert await read_master(pty.master, len(LONG_POLL)) == LONG_POLL
            await transport.write(general_poll(1))
            assert await read_master(pty.master, 1) == b"\x81"
            await transport.write(PollFrame(data=b"\x82", wakeup=False))  # no wake-up bit
            assert await read_master(pty.master, 1) == b"\x82"
        finally:
            await transport.close()
        (port,) = ports
        # opened without parity whatever a previous process left, then receive on space
        assert port.settings["parity"] == serial.PARITY_NONE
        assert port.settings["write_timeout"] == 0  # pyserial's write must not select()
        assert port.calls == [
            ("parity", serial.PARITY_SPACE),
            ("parity", serial.PARITY_MARK),
            ("write", LONG_POLL[:1]),
            ("flush", None),
            ("parity", serial.PARITY_SPACE),
            ("write", LONG_POLL[1:]),
            ("parity", serial.PARITY_MARK),
            ("write", b"\x81"),
            ("flush", None),
            ("parity", serial.PARITY_SPACE),
        ]  # the frame without the wake-up flag went out directly

    asyncio.run(scenario())


class NoMarkSpacePort(RecordingPort):
    """A UART driver without CMSPAR: mark and space parity are refused."""

    @property
    def parity(self) -> str:
        return str(self.real.parity)

    @parity.setter
    def parity(self, value: str) -> None:
        self.calls.append(("parity", value))
        if value in (serial.PARITY_MARK, serial.PARITY_SPACE):
            raise termios.error(22, "Invalid argument")
        self.real.parity = value


def test_a_port_refusing_mark_space_parity_is_used_without_the_wakeup_bit(pty: Pty) -> None:
    ports: list[NoMarkSpacePort] = []

    def factory(port: str, **settings: Any) -> NoMarkSpacePort:
        ports.append(NoMarkSpacePort(port, **settings))
        return ports[-1]

    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=True, serial_factory=factory)
        await transport.open()
        try:
            assert not transport.wakeup
            assert "refuses mark/space parity" in transport.wakeup_note
            assert 'wakeup = "none"' in transport.wakeup_note
            await transport.write(general_poll(1))  # written directly, no parity switching
            assert await read_master(pty.master, 1) == b"\x81"
        finally:
            await transport.close()
        (port,) = ports
        assert port.calls == [("parity", serial.PARITY_SPACE)]  # then straight to the descriptor

    asyncio.run(scenario())


def test_reopening_a_pty_after_a_parity_open_works(pty: Pty) -> None:
    """A pty keeps CMSPAR from the last open; the next open must not depend on it."""

    async def scenario() -> None:
        for _ in range(3):
            transport = FdTransport(pty.path, baud=19200, wakeup=True)
            await transport.open()
            try:
                assert transport.wakeup and transport.wakeup_note == ""
                await transport.write(general_poll(2))
                assert await read_master(pty.master, 1) == b"\x82"
            finally:
                await transport.close()

    asyncio.run(scenario())


def test_wakeup_with_a_real_pyserial_port(pty: Pty) -> None:
    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=True)
        await transport.open()
        try:
            await transport.write(read(0x01, 0x54).encode())
            assert await read_master(pty.master, 2) == b"\x01\x54"
            os.write(pty.master, b"\x01\x54\x02")
            loop = asyncio.get_running_loop()
            assert await transport.read(loop.time() + 2.0) == b"\x01\x54\x02"
        finally:
            await transport.close()

    asyncio.run(scenario())


@contextlib.contextmanager
def high_descriptors(count: int) -> Iterator[None]:
    """Occupy the low descriptor numbers so the next ones opened are >= ``count``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = count + 64
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-files hard limit {hard} is below {needed}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    held: list[int] = []
    try:
        while not held or held[-1] < count:
            held.append(os.open(os.devnull, os.O_RDONLY))
        yield
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_wakeup_works_on_descriptors_above_1024(pty: Pty) -> None:
    """pyserial's blocking write waits in select(), which fails past descriptor 1023."""

    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=True)
        await transport.open()
        try:
            assert transport._fd >= 1024
            await transport.write(PollFrame(data=LONG_POLL))
            await transport.write(general_poll(1))
            assert await read_master(pty.master, len(LONG_POLL) + 1) == LONG_POLL + b"\x81"
            os.write(pty.master, b"\x00")
            loop = asyncio.get_running_loop()
            assert await transport.read(loop.time() + 2.0) == b"\x00"
        finally:
            await transport.close()

    with high_descriptors(1030):
        asyncio.run(scenario())


def test_closing_the_master_makes_read_fail_instead_of_hanging(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            loop.call_later(0.05, pty.close_master)
            start = loop.time()
            with pytest.raises(TransportError) as caught:
                await transport.read(start + 10.0)
            assert loop.time() - start < 2.0
            assert caught.value.port == pty.path
            assert pty.path in str(caught.value)
            with pytest.raises(TransportError):  # the failure sticks
                await transport.read(loop.time() + 10.0)
            with pytest.raises(TransportError):  # and writes fail too
                await transport.write(general_poll(1))
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_writing_to_a_port_that_went_away_fails(pty: Pty) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            transport._stop_reading()  # the write notices first, not the reader
            pty.close_master()
            with pytest.raises(TransportError, match="write failed"):
                await transport.write(general_poll(1))
            with pytest.raises(TransportError, match="write failed"):
                await transport.read(loop.time() + 10.0)
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_wakeup_write_to_a_port_that_went_away_fails(pty: Pty) -> None:
    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=True)
        await transport.open()
        try:
            transport._stop_reading()
            pty.close_master()
            with pytest.raises(TransportError, match="write failed"):
                await transport.write(PollFrame(data=LONG_POLL))
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_a_line_nobody_drains_fails_the_write_instead_of_spinning(pty: Pty) -> None:
    """With the master never read, the pty fills up; the loop must not spin on EAGAIN."""

    async def scenario() -> None:
        transport = FdTransport(pty.path, baud=19200, wakeup=False)
        await transport.open()
        try:
            frame = PollFrame(data=bytes(255), wakeup=False)

            async def fill() -> None:
                for _ in range(10_000):
                    await transport.write(frame)

            with pytest.raises(TransportError, match="write failed"):
                await fill()
            assert 0 < transport.bytes_out < 10_000 * 255
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_opening_a_missing_path_names_the_port(tmp_path: Path) -> None:
    missing = str(tmp_path / "ttyUSB-gone")

    async def scenario() -> None:
        transport = FdTransport(missing, baud=19200, wakeup=True)
        with pytest.raises(TransportError, match="cannot open") as caught:
            await transport.open()
        assert caught.value.port == missing
        assert str(caught.value).startswith(f"{missing}: ")
        await transport.close()  # closing a transport that never opened is harmless

    asyncio.run(scenario())


def test_a_port_already_open_cannot_be_opened_again(pty: Pty) -> None:
    async def scenario() -> None:
        first = FdTransport(pty.path, baud=19200, wakeup=False)
        await first.open()
        try:
            second = FdTransport(pty.path, baud=19200, wakeup=False)
            with pytest.raises(TransportError, match="cannot open"):
                await second.open()
        finally:
            await first.close()

    asyncio.run(scenario())


def test_termios_errors_become_transport_errors() -> None:
    """tcdrain and tcsetattr raise termios.error, which is not an OSError."""

    def refuse(port: str, **settings: Any) -> Any:
        raise termios.error(22, "Invalid argument")

    sockets: list[SocketSerial] = []

    def flaky(port: str, **settings: Any) -> SocketSerial:
        sockets.append(SocketSerial(port, **settings))
        sockets[-1].fail_flush = termios.error(5, "Input/output error")
        return sockets[-1]

    async def scenario() -> None:
        refused = FdTransport("/dev/ttyS9", baud=19200, wakeup=True, serial_factory=refuse)
        with pytest.raises(TransportError, match=r"cannot open.*Invalid argument"):
            await refused.open()
        transport = FdTransport("/dev/ttyS9", baud=19200, wakeup=True, serial_factory=flaky)
        await transport.open()
        try:
            with pytest.raises(TransportError, match=r"write failed.*Input/output error"):
                await transport.write(general_poll(1))
            with pytest.raises(TransportError):
                await transport.read(asyncio.get_running_loop().time() + 10.0)
        finally:
            await transport.close()
        assert sockets[0].closed

    asyncio.run(scenario())


def test_a_read_error_fails_the_port() -> None:
    """A reset connection (EIO on a real device) makes read raise, not hang."""
    ports: list[SocketSerial] = []

    def factory(port: str, **settings: Any) -> SocketSerial:
        ports.append(SocketSerial(port, **settings))
        return ports[-1]

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = FdTransport("/dev/ttyUSB7", baud=9600, wakeup=False, serial_factory=factory)
        await transport.open()
        try:
            (port,) = ports
            assert ("reset_input_buffer", None) in port.calls
            await transport.write(general_poll(3))
            transport._readable()  # a spurious wake-up with nothing to read is ignored
            assert transport.bytes_in == 0
            port.peer.close()  # closed with our poll unread: the next read is ECONNRESET
            with pytest.raises(TransportError, match="read failed") as caught:
                await transport.read(loop.time() + 10.0)
            assert caught.value.port == "/dev/ttyUSB7"
        finally:
            await transport.close()

    asyncio.run(scenario())
