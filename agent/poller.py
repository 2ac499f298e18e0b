"""One task per serial line: the line's session, the transport and the store in a straight loop.

    poll -> write -> read until the session's deadline -> feed -> translate -> store -> confirm

The poller knows no protocol: its ``LineAdapter`` builds the session, turns
session events into canonical events and actions into commands
(docs/architecture.md, "The seam"). Rules:

* durable before acknowledged: the session holds back the acknowledging poll
  (its gate) until the events of the batch, and the resume points that came
  with them, are committed; only then is the gate confirmed. A failed commit
  keeps the batch in memory and retries it with backoff while the machine
  keeps its events (the session sends only identical keep-alive polls);
* a command's outcome is given to its caller once what the same turn
  produced is durable (a ``readMeters`` caller finds the new meters stored);
* a port that fails is closed and reopened with jittered backoff; the
  machines on it are reported offline and the session starts over when the
  port is back;
* nothing here swallows CancelledError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from asyncio import timeout
from collections.abc import Callable
from dataclasses import dataclass

from protocols.line import Command, CommandDone, LineEvent, LineSession, LinkDown, LinkStats

from .backoff import Backoff
from .events.envelope import Event
from .lines.actions import Action
from .lines.adapter import LineAdapter, LineSpec
from .store import Store, StoreError
from .transport import Transport, TransportError, open_transport

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
STORE_BACKOFF_MAX = 5.0
COMMAND_TIMEOUT = 10.0
OPEN_TIMEOUT = 20.0  # a TCP connect to a dead host would otherwise take minutes
log = logging.getLogger("agent.poller")


class CommandRefused(Exception):  # noqa: N818 - a refusal, not an error of ours
    """A command was dropped before the machine answered (its port was lost)."""


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
    notice: str = ""
    """A lasting condition of the port (it cannot send the wake-up bit ...)."""


class Poller:
    """Drives one line until cancelled."""

    def __init__(
        self,
        adapter: LineAdapter,
        store: Store,
        *,
        transport_factory: Callable[[LineSpec], Transport] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.adapter = adapter
        self.spec = adapter.spec
        self.store = store
        self.state = LineState(name=self.spec.name, port=self.spec.port)
        self._transport_factory = transport_factory or _default_transport
        self._ids = {address: machine_id for address, machine_id, _ in self.spec.machines}
        self.session: LineSession = adapter.new_session()
        self._pending: list[Event] = []
        self._resume: dict[str, str] = {}
        self._outcomes: list[CommandDone] = []
        self._commands: dict[str, asyncio.Future[CommandDone]] = {}
        self._command_count = 0
        rng = rng or random.Random()
        self._reopen = Backoff(BACKOFF_FIRST, BACKOFF_MAX, rng)
        self._store_retry = Backoff(BACKOFF_FIRST, STORE_BACKOFF_MAX, rng)

    def stats(self) -> dict[str, LinkStats]:
        return {machine_id: self.session.stats(a) for a, machine_id in self._ids.items()}

    async def command(
        self, address: int, action: Action, *, timeout: float = COMMAND_TIMEOUT
    ) -> CommandDone:
        """Carry out ``action`` on the machine at ``address`` and wait for its outcome.

        A refusal (machine offline, queue full) is an outcome with ``ok``
        false. Raises ``ActionNotSupported`` when the protocol has no such
        command, ``CommandRefused`` when the port is lost meanwhile, and
        ``TimeoutError`` when no outcome comes in ``timeout`` seconds (the
        command may still run later).
        """
        request = self.adapter.command(address, action)
        self._command_count += 1
        tag = f"cmd-{self._command_count}"
        future: asyncio.Future[CommandDone] = asyncio.get_running_loop().create_future()
        self._commands[tag] = future
        try:
            self.session.submit(Command(address=address, tag=tag, request=request))
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._commands.pop(tag, None)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self.state.last_progress = loop.time()
            transport = self._transport_factory(self.spec)
            try:
                self.state.waiting_until = loop.time() + OPEN_TIMEOUT
                await self._open(transport)
                self._note(transport.wakeup_note)
                self.state.waiting_until = 0.0
                self.state.connected = True
                self.state.last_error = ""
                self._reopen.reset()
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
            delay = self._reopen.next()
            self.state.reopen_count += 1
            # a broken port is not a stuck poller: the watchdog counts this wait as progress
            self.state.waiting_until = loop.time() + delay
            await asyncio.sleep(delay)
            # A new session starts by polling, which may acknowledge what the machines
            # reported: that must be durable before anything goes on the wire again.
            while self._pending and not await self._flush_pending():
                self.state.last_progress = loop.time()
                await asyncio.sleep(BACKOFF_FIRST)

    async def _open(self, transport: Transport) -> None:
        try:
            async with timeout(OPEN_TIMEOUT):
                await transport.open()
        except TimeoutError:
            raise TransportError(self.spec.port, f"open timed out ({OPEN_TIMEOUT:.0f} s)") from None

    def _note(self, notice: str) -> None:
        if notice and notice != self.state.notice:
            log.warning("line %s: %s", self.spec.name, notice, extra={"line": self.spec.name})
        self.state.notice = notice

    async def _port_lost(self) -> None:
        """Every machine that was online is offline now; the session starts over."""
        reason = f"port lost: {self.spec.port}: {self.state.last_error}"
        for address in self._ids:
            if self.session.stats(address).online:
                self._take(LinkDown(address=address, reason=reason))
        await self._flush_pending()  # kept in memory if the store is down too
        for future in self._commands.values():
            if not future.done():
                future.set_exception(CommandRefused(f"port lost: {self.spec.port}"))
        self._outcomes.clear()
        self.session = self.adapter.new_session()

    async def _serve(self, transport: Transport) -> None:
        loop = asyncio.get_running_loop()
        session = self.session
        retry_at = 0.0
        while True:
            now = self.state.last_progress = loop.time()
            out = session.poll(now)
            if out is not None:
                transport.discard_input()
                await transport.write(out)
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
                self._take(event)
            waiting = self._pending or self._outcomes or session.gate is not None
            if waiting and now >= retry_at:
                if await self._flush_pending():
                    self._store_retry.reset()
                else:
                    retry_at = loop.time() + self._store_retry.next()

    def _take(self, event: LineEvent) -> None:
        """One session event: its canonical events and resume points wait for the commit."""
        if isinstance(event, CommandDone):
            self._outcomes.append(event)
        translation = self.adapter.translate(event)
        self._pending += translation.events
        self._resume.update(translation.resume)

    async def _flush_pending(self) -> bool:
        """Commit what is pending, then release the gate and the outcomes. False if it failed."""
        try:
            if self._pending:
                await self.store.append(self._pending, resume=self._resume)
                self._pending, self._resume = [], {}
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
        outcomes, self._outcomes = self._outcomes, []
        for outcome in outcomes:
            future = self._commands.get(outcome.tag)
            if future is not None and not future.done():
                future.set_result(outcome)
        return True


def _default_transport(spec: LineSpec) -> Transport:
    return open_transport(spec.port, baud=spec.baud, wakeup=spec.wakeup)
