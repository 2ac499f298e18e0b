"""Drives a SasHostSession against fake EGMs on one simulated line, in numeric time."""

from __future__ import annotations

from collections.abc import Sequence

from protocols.sas.session import SasHostSession
from protocols.sas.session_types import SessionConfig, SessionEvent

from .fake_egm import FakeEgm

REPLY_LATENCY = 0.004


class Line:
    def __init__(
        self,
        egms: Sequence[FakeEgm],
        config: SessionConfig | None = None,
        *,
        auto_confirm: bool = True,
    ) -> None:
        self.egms = list(egms)
        self.session = SasHostSession([e.address for e in egms], config)
        self.auto_confirm = auto_confirm
        self.now = 0.0
        self.sent: list[tuple[float, bytes]] = []
        self.events: list[SessionEvent] = []
        self.noise: bytes = b""

    def step(self) -> None:
        session = self.session
        frame = session.poll(self.now)
        if frame is not None:
            self.sent.append((self.now, frame.data))
            reply = b"".join(egm.hear(frame.data) for egm in self.egms)
            if self.noise:  # junk on the line right after the reply
                reply, self.noise = reply + self.noise, b""
            if reply:
                self.now += REPLY_LATENCY
                session.receive_data(reply, self.now)
        else:
            self.now = max(self.now + 1e-4, session.next_deadline())
            session.handle_timeout(self.now)
        self._drain()

    def _drain(self) -> None:
        new = self.session.events()
        self.events += new
        gate = self.session.gate
        if self.auto_confirm and gate is not None:
            self.session.confirm_durable(gate)

    def run(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            self.step()

    def run_until(self, predicate: object, limit: float = 60.0) -> None:
        assert callable(predicate)
        until = self.now + limit
        while not predicate():
            assert self.now < until, "condition not reached in time"
            self.step()

    def of_type(self, kind: type) -> list[SessionEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    def frames(self) -> list[bytes]:
        return [data for _, data in self.sent]
