"""One task per serial line: the SAS session, the transport and the store in a straight loop.

    poll -> write -> read until the session's deadline -> feed -> map -> store -> confirm

Rules (ARCHITECTURE.md 1-7):

* durable before acknowledged: the session holds back the acknowledging poll
  (its gate) until the events of the batch are committed; only then is the
  gate confirmed. A failed commit keeps the batch in memory and retries it
  with backoff while the machine keeps its events (the session sends only
  identical keep-alive polls meanwhile);
* a port that fails is closed and reopened with jittered backoff; the
  machines on it are reported offline and the session starts over (sync,
  identification) when the port is back;
* nothing here swallows CancelledError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from asyncio import timeout
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from protocols.sas.requests import LongPollRequest
from protocols.sas.session import SasHostSession
from protocols.sas.session_types import CommandCompleted, MachineStats, SessionConfig

from .events.envelope import Channel, Event
from .events.sas_mapper import MachineInfo, SasEventMapper
from .store import Store, StoreError
from .transport import Transport, TransportError, open_transport

BACKOFF_FIRST = 0.5
COMMAND_TIMEOUT = 10.0
OPEN_TIMEOUT = 20.0  # a TCP connect to a dead host would otherwise take minutes
log = logging.getLogger("agent.poller")
BACKOFF_MAX = 30.0


class CommandRefused(Exception):  # noqa: N818 - a refusal, not an error of ours
    """A command was dropped before the machine answered (its port was lost)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSpec:
    """What a poller needs to know about its line (built from the config)."""

    name: str
    port: str
    baud: int
    wakeup: bool
    machines: Sequence[tuple[int, str, int | None]]  # address, id, denomination override
    session: SessionConfig
    currency: str = "USD"


@dataclass(slots=True)
class LineState:
    """Live state of a line for the status page and metrics."""

    name: str
    port: str
    connected: bool = False
    last_error: str = ""
    reopen_count: int = 0
    store_waits: int = 0
    last_progress: float = 0.0
    """Loop time of the poller's last turn (the watchdog's "still moving" stamp)."""
    waiting_until: float = 0.0
    """Loop time until which the poller sleeps on purpose (before reopening its port)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Poller:
    """Drives one line until cancelled."""

    def __init__(
        self,
        spec: LineSpec,
        store: Store,
        *,
        transport_factory: Callable[[LineSpec], Transport] | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        last_reported: Mapping[str, int] | None = None,
    ) -> None:
        self.spec = spec
        self.store = store
        self.state = LineState(name=spec.name, port=spec.port)
        self._transport_factory = transport_factory or _default_transport
        self._clock = clock
        self._rng = rng or random.Random()
        self._machines = {
            address: MachineInfo(id=mid, denomination_cents=denom)
            for address, mid, denom in spec.machines
        }
        self.mapper = SasEventMapper(spec.name, self._machines, spec.currency, clock)
        self.session = self._new_session()
        self._pending: list[Event] = []
        self._commands: dict[str, asyncio.Future[CommandCompleted]] = {}
        self._command_count = 0
        # After a restart the first report of each machine may repeat the last one stored
        # before the crash (SAS cannot tell whether the machine saw that acknowledgement).
        self._unchecked = dict(last_reported or {})

    def _new_session(self) -> SasHostSession:
        return SasHostSession([a for a, _, _ in self.spec.machines], self.spec.session)

    def stats(self) -> dict[str, MachineStats]:
        return {info.id: self.session.stats(address) for address, info in self._machines.items()}

    def submit(self, address: int, request: LongPollRequest, tag: str) -> None:
        """Queue a remote command for a machine on this line."""
        self.session.submit(address, request, tag)

    async def command(
        self, address: int, request: LongPollRequest, *, timeout: float = COMMAND_TIMEOUT
    ) -> CommandCompleted:
        """Send ``request`` to the machine at ``address`` and wait for its outcome.

        A refusal (machine offline, queue full) is an outcome with ``ok``
        false. Raises ``CommandRefused`` when the port is lost meanwhile, and
        ``TimeoutError`` when no outcome comes in ``timeout`` seconds (the
        command may still run later).
        """
        self._command_count += 1
        tag = f"cmd-{self._command_count}"
        future: asyncio.Future[CommandCompleted] = asyncio.get_running_loop().create_future()
        self._commands[tag] = future
        try:
            self.session.submit(address, request, tag)
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._commands.pop(tag, None)

    def request_meters(self, address: int) -> None:
        """Read the machine's meters now (a ``metersRead`` event follows)."""
        self.session.request_meters(address, "request")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_FIRST
        while True:
            self.state.last_progress = loop.time()
            transport = self._transport_factory(self.spec)
            try:
                self.state.waiting_until = loop.time() + OPEN_TIMEOUT
                await self._open(transport)
                self.state.waiting_until = 0.0
                self.state.connected = True
                self.state.last_error = ""
                backoff = BACKOFF_FIRST
                await self._serve(transport)
            except TransportError as exc:
                self.state.last_error = exc.reason
                log.warning(
                    "line %s: %s; reopening", self.spec.name, exc, extra={"line": self.spec.name}
                )
            finally:
                self.state.connected = False
                with contextlib.suppress(Exception):
                    await transport.close()
            await self._port_lost()
            delay = backoff * (0.5 + self._rng.random())
            backoff = min(backoff * 2, BACKOFF_MAX)
            self.state.reopen_count += 1
            # a broken port is not a stuck poller: the watchdog counts this wait as progress
            self.state.waiting_until = loop.time() + delay
            await asyncio.sleep(delay)
            # A new session starts with a sync poll, an implied ACK: what the machines
            # reported must be durable before anything goes on the wire again.
            while self._pending and not await self._flush_pending():
                self.state.last_progress = loop.time()
                await asyncio.sleep(BACKOFF_FIRST)

    async def _open(self, transport: Transport) -> None:
        try:
            async with timeout(OPEN_TIMEOUT):
                await transport.open()
        except TimeoutError:
            raise TransportError(self.spec.port, f"open timed out ({OPEN_TIMEOUT:.0f} s)") from None

    async def _port_lost(self) -> None:
        """Every machine that was online is offline now; the session starts over."""
        offline = [
            Event(
                event="offline",
                channel=Channel.SYSTEM,
                timestamp=self._clock(),
                machine=info.id,
                line=self.spec.name,
                protocol="sas",
                data={"reason": f"port lost: {self.spec.port}: {self.state.last_error}"},
                raw={"protocol": "sas"},
            )
            for address, info in self._machines.items()
            if self.session.stats(address).online
        ]
        self._pending += offline
        for future in self._commands.values():
            if not future.done():
                future.set_exception(CommandRefused(f"port lost: {self.spec.port}"))
        await self._flush_pending()  # kept in memory if the store is down too
        self.session = self._new_session()

    async def _serve(self, transport: Transport) -> None:
        loop = asyncio.get_running_loop()
        session = self.session
        retry_at = 0.0
        store_backoff = BACKOFF_FIRST
        while True:
            now = self.state.last_progress = loop.time()
            frame = session.poll(now)
            if frame is not None:
                transport.discard_input()
                await transport.write(frame)
            deadline = session.next_deadline()
            if self._pending:
                deadline = min(deadline, retry_at)
            data = await transport.read(deadline)
            now = loop.time()
            if data:
                session.receive_data(data, now)
            if now >= session.next_deadline():
                session.handle_timeout(now)
            for event in session.events():
                if isinstance(event, CommandCompleted):
                    self._command_done(event)
                self._pending += [self._check_repeat(e) for e in self.mapper.map(event)]
            if (self._pending or session.gate is not None) and now >= retry_at:
                if await self._flush_pending():
                    store_backoff = BACKOFF_FIRST
                else:
                    retry_at = loop.time() + store_backoff
                    store_backoff = min(store_backoff * 2, 5.0)

    def _command_done(self, outcome: CommandCompleted) -> None:
        future = self._commands.get(outcome.tag)
        if future is not None and not future.done():
            future.set_result(outcome)

    def _check_repeat(self, event: Event) -> Event:
        """Flag the first machine report after a restart if it repeats the last one stored."""
        code = event.raw.get("code")
        if (
            not isinstance(code, int)
            or "longpoll" in event.raw
            or event.machine not in self._unchecked
        ):
            return event
        if self._unchecked.pop(event.machine) != code:
            return event
        return replace(event, possible_duplicate=True)

    async def _flush_pending(self) -> bool:
        """Commit the pending events, then release the session's gate. False if the store failed."""
        try:
            if self._pending:
                await self.store.append(self._pending)
                self._pending = []
        except StoreError as exc:
            if self.state.store_waits == 0 or self.state.store_waits % 100 == 0:
                log.warning(
                    "line %s: cannot store events (%s); machines keep them",
                    self.spec.name,
                    exc,
                    extra={"line": self.spec.name},
                )
            self.state.last_error = f"store: {exc}"
            self.state.store_waits += 1
            return False
        gate = self.session.gate
        if gate is not None:
            self.session.confirm_durable(gate)
        return True


def _default_transport(spec: LineSpec) -> Transport:
    return open_transport(spec.port, baud=spec.baud, wakeup=spec.wakeup)
