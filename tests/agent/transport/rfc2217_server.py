"""A minimal RFC 2217 server on a pty, in threads (after pyserial's examples/rfc2217_server.py).

``Rfc2217Server(device)`` listens on 127.0.0.1 (an ephemeral port) and
bridges one client at a time to ``device`` (a pty slave) through pyserial's
``PortManager``, which answers the Telnet and COM-port option negotiation.
``drop()`` closes the client's connection, as a device server that reboots.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import serial
from serial.rfc2217 import PortManager


class PtyDevice(serial.Serial):
    """A pty has no modem lines: report them inactive and ignore RTS/DTR."""

    @property
    def cts(self) -> bool:
        return False

    @property
    def dsr(self) -> bool:
        return False

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return False

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass


class _Connection:
    """What PortManager writes to: the client's socket, with a lock."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self.lock, contextlib.suppress(OSError):
            self.sock.sendall(data)


class Rfc2217Server:
    def __init__(self, device: str) -> None:
        self.device = device
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.clients = 0
        self._client: socket.socket | None = None
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start(self._accept, "rfc2217 accept")

    @property
    def url(self) -> str:
        return f"rfc2217://127.0.0.1:{self.port}"

    def _start(self, target: object, name: str, *args: object) -> None:
        assert callable(target)
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.clients += 1
            self._serve(client)

    def _serve(self, client: socket.socket) -> None:
        self._client = client
        done = threading.Event()
        device = PtyDevice(self.device, timeout=0.01)
        try:
            connection = _Connection(client)
            # the stubs type both arguments as the RFC 2217 *client* class
            manager = PortManager(device, connection)  # type: ignore[arg-type]
            self._start(self._pump, "rfc2217 device->net", device, manager, connection, done)
            while not self._closed.is_set():
                try:
                    data = client.recv(1024)
                except OSError:
                    break
                if not data:
                    break
                device.write(b"".join(manager.filter(data)))
        finally:
            done.set()
            with contextlib.suppress(OSError):
                client.close()
            self._client = None
            device.close()

    @staticmethod
    def _pump(
        device: serial.Serial,
        manager: PortManager,
        connection: _Connection,
        done: threading.Event,
    ) -> None:
        while not done.is_set():
            try:
                data = device.read(device.in_waiting or 1)
            except (OSError, TypeError, serial.SerialException):
                return  # the device was closed under us
            if data:
                connection.write(b"".join(manager.escape(data)))

    def drop(self) -> None:
        """Close the current client's connection."""
        client = self._client
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self.drop()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for thread in self._threads:
            thread.join(2.0)
