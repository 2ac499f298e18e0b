"""SocketTransport against an asyncio TCP server; Rfc2217Transport against a pty behind RFC 2217."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from agent.transport import TransportError
from agent.transport.network import Rfc2217Transport, SocketTransport
from protocols.sas.frames import PollFrame
from protocols.sas.requests import general_poll, read

from .fakes import free_port
from .ptys import Pty, pty_pair, read_master, wait_for
from .rfc2217_server import Rfc2217Server


class DeviceServer:
    """A raw TCP 'device server': records what it receives, answers with ``reply``."""

    def __init__(self, reply: bytes = b"") -> None:
        self.reply = reply
        self.received = bytearray()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"socket://127.0.0.1:{port}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        while data := await reader.read(1024):
            self.received += data
            if self.reply:
                writer.write(self.reply)
        writer.close()

    async def drop(self) -> None:
        for writer in self.writers:
            writer.close()
            await writer.wait_closed()

    async def close(self) -> None:
        await self.drop()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def test_socket_round_trip() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server = DeviceServer(reply=b"\x01\x54\x00")
        url = await server.start()
        transport = SocketTransport(url)
        await transport.open()
        try:
            await transport.write(read(0x01, 0x54).encode())
            start = loop.time()
            assert await transport.read(start + 5.0) == b"\x01\x54\x00"
            assert loop.time() - start < 2.0
            assert bytes(server.received) == b"\x01\x54"
            assert transport.bytes_out == 2
            assert transport.bytes_in == 3
            assert await transport.read(loop.time() + 0.05) == b""  # nothing more: deadline
        finally:
            await transport.close()
            await server.close()

    asyncio.run(scenario())


def test_socket_peer_close_fails_the_port() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server = DeviceServer()
        url = await server.start()
        transport = SocketTransport(url)
        await transport.open()
        try:
            await transport.write(general_poll(1))
            await wait_for(lambda: bool(server.writers))
            loop.call_later(0.05, lambda: asyncio.ensure_future(server.drop()))
            start = loop.time()
            with pytest.raises(TransportError, match="connection lost") as caught:
                await transport.read(start + 10.0)
            assert loop.time() - start < 2.0
            assert caught.value.port == url
            with pytest.raises(TransportError, match="connection lost"):
                await transport.write(general_poll(1))
        finally:
            await transport.close()
            await transport.close()  # idempotent
            await server.close()

    asyncio.run(scenario())


def test_socket_write_before_open_or_after_close_is_refused() -> None:
    async def scenario() -> None:
        server = DeviceServer()
        url = await server.start()
        transport = SocketTransport(url)
        try:
            with pytest.raises(TransportError, match="not connected"):
                await transport.write(general_poll(1))
            await transport.open()
            await transport.close()
            with pytest.raises(TransportError, match="not connected"):
                await transport.write(general_poll(1))
        finally:
            await server.close()

    asyncio.run(scenario())


def test_socket_connect_refused() -> None:
    url = f"socket://127.0.0.1:{free_port()}"

    async def scenario() -> None:
        transport = SocketTransport(url)
        with pytest.raises(TransportError, match="cannot connect") as caught:
            await transport.open()
        assert caught.value.port == url
        await transport.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "url",
    ["socket://127.0.0.1", "socket://:4000", "socket://host:port", "socket://[nothex]:4000"],
)
def test_socket_bad_url(url: str) -> None:
    with pytest.raises(TransportError, match=r"expected socket://host:port") as caught:
        SocketTransport(url)
    assert caught.value.port == url


# --- RFC 2217 -----------------------------------------------------------------------


@pytest.fixture
def rfc2217() -> Iterator[tuple[Pty, Rfc2217Server]]:
    with pty_pair() as pty:
        server = Rfc2217Server(pty.path)
        try:
            yield pty, server
        finally:
            server.close()


def test_rfc2217_round_trip(rfc2217: tuple[Pty, Rfc2217Server]) -> None:
    pty, server = rfc2217
    frame = PollFrame(data=bytes([0x01, 0x2F, 0x04, 0x00, 0x00, 0x0C, 0xFF, 0x1B]))

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = Rfc2217Transport(server.url, baud=19200)
        await transport.open()
        try:
            await transport.write(frame)  # 0xFF is Telnet's IAC: escaped on the way
            assert await read_master(pty.master, len(frame.data)) == frame.data
            assert transport.bytes_out == len(frame.data)
            reply = b"\x01\xff\x11\x00\x55"
            os.write(pty.master, reply)
            received = b""
            while len(received) < len(reply):
                chunk = await transport.read(loop.time() + 5.0)
                assert chunk, "the reply did not come back"
                received += chunk
            assert received == reply
            assert await transport.read(loop.time() + 0.1) == b""
            # a reply reaches the poller promptly: the reader thread does not sit on
            # bytes until its own read timeout runs out
            delays = []
            for _ in range(7):
                await asyncio.sleep(0.013)  # land anywhere in the reader's wait
                start = loop.time()
                os.write(pty.master, b"\x00")
                assert await transport.read(start + 5.0) == b"\x00"
                delays.append(loop.time() - start)
            assert sorted(delays)[3] < 0.025, delays  # the median
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_rfc2217_server_drop_fails_the_port(rfc2217: tuple[Pty, Rfc2217Server]) -> None:
    _, server = rfc2217

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        transport = Rfc2217Transport(server.url, baud=19200)
        await transport.open()
        try:
            loop.call_later(0.05, server.drop)
            start = loop.time()

            async def read_until_failure() -> None:
                while True:
                    await transport.read(start + 10.0)

            with pytest.raises(TransportError, match="read failed") as caught:
                await read_until_failure()
            assert loop.time() - start < 5.0
            assert caught.value.port == server.url
            with pytest.raises(TransportError, match="read failed"):
                await transport.write(general_poll(1))
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_rfc2217_write_on_a_closed_client_fails(rfc2217: tuple[Pty, Rfc2217Server]) -> None:
    _, server = rfc2217

    async def scenario() -> None:
        transport = Rfc2217Transport(server.url, baud=19200)
        await transport.open()
        try:
            transport._stop.set()  # the reader thread must not notice first
            assert transport._thread is not None
            await asyncio.to_thread(transport._thread.join)
            await asyncio.to_thread(transport._serial.close)  # under the transport's feet
            with pytest.raises(TransportError, match="write failed") as caught:
                await transport.write(general_poll(1))
            assert caught.value.port == server.url
        finally:
            await transport.close()
            await transport.close()

    asyncio.run(scenario())


def test_rfc2217_open_refused() -> None:
    url = f"rfc2217://127.0.0.1:{free_port()}"

    async def scenario() -> None:
        transport = Rfc2217Transport(url, baud=19200)
        with pytest.raises(TransportError, match="cannot open") as caught:
            await transport.open()
        assert caught.value.port == url
        await transport.close()

    asyncio.run(scenario())
