"""A host built only from the codec: SasHostSession over pyserial, for integration tests.

It is the straight loop the agent's poller will run, without asyncio: poll,
write, read until the session's deadline, feed, confirm durability at once
(the test keeps events in memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import serial

from protocols.line import Command
from protocols.sas.requests import LongPollRequest
from protocols.sas.session import SasHostSession
from protocols.sas.session_types import (
    CommandCompleted,
    ExceptionReported,
    SessionConfig,
    SessionEvent,
)


@dataclass
class Host:
    port: serial.Serial
    session: SasHostSession
    events: list[SessionEvent] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)
    commands: int = 0

    @classmethod
    def open(cls, path: str, addresses: list[int], config: SessionConfig | None = None) -> Host:
        port = serial.serial_for_url(path, baudrate=19200, timeout=0)
        return cls(port=port, session=SasHostSession(addresses, config))

    def step(self) -> None:
        session = self.session
        now = time.monotonic()
        frame = session.poll(now)
        if frame is not None:
            self.port.write(frame.data)
            self.sent.append(frame.data)
        wait = max(0.0, min(session.next_deadline() - time.monotonic(), 0.05))
        self.port.timeout = wait
        data = self.port.read(1)
        if data:
            data += self.port.read(self.port.in_waiting)
            session.receive_data(data, time.monotonic())
        now = time.monotonic()
        if now >= session.next_deadline():
            session.handle_timeout(now)
        self.events += session.events()
        gate = session.gate
        if gate is not None:
            session.confirm_durable(gate)

    def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.step()

    def run_until(self, done: Callable[[], bool], limit: float = 30.0) -> None:
        end = time.monotonic() + limit
        while not done():
            assert time.monotonic() < end, "condition not reached in time"
            self.step()

    def command(self, request: LongPollRequest, limit: float = 10.0) -> CommandCompleted:
        """Send one long poll as a command and wait for its outcome."""
        self.commands += 1
        tag = f"host-{self.commands}"
        self.session.submit(Command(address=request.address, tag=tag, request=request))

        def outcome() -> CommandCompleted | None:
            for event in self.of_type(CommandCompleted):
                if isinstance(event, CommandCompleted) and event.tag == tag:
                    return event
            return None

        self.run_until(lambda: outcome() is not None, limit)
        done = outcome()
        assert done is not None
        return done

    def of_type(self, kind: type) -> list[SessionEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    def upstream(self, machine: str) -> list[dict[str, object]]:
        """The reported exceptions as upstream event envelopes (for the ledger comparison)."""
        return [
            {"machine": machine, "seq": n, "raw": {"protocol": "sas", "code": e.code}}
            for n, e in enumerate(self.of_type(ExceptionReported), start=1)
            if isinstance(e, ExceptionReported)
        ]

    def close(self) -> None:
        self.port.close()


class SimulatorProcess:
    """``python -m simulator`` in a child process, with its manifest."""

    def __init__(self, directory: Path, *args: str) -> None:
        self.directory = directory
        self.ledger = directory / "ledger.jsonl"
        command = [sys.executable, "-m", "simulator", "--dir", str(directory)]
        command += ["--ledger", str(self.ledger), "--summary-every", "0", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        manifest = directory / "simulator.json"
        end = time.monotonic() + 20
        while not manifest.exists():
            if self.process.poll() is not None or time.monotonic() > end:
                out, err = self.process.communicate()
                raise RuntimeError(f"simulator did not start: {out}{err}")
            time.sleep(0.05)
        self.manifest = json.loads(manifest.read_text())

    def port(self, index: int = 0) -> str:
        return str(self.manifest["machines"][index]["port"])

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=20)
        return out
