"""Poller: a fake line of strict fake machines, a real store, real (short) time.

``Wire`` is the line: every transport the poller opens on it hands each
frame to the ``FakeEgm``s and feeds their replies back a millisecond later.
The wire can refuse opens, fail writes or be unplugged (the read side
fails), like a serial port that goes away.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent import poller as poller_module
from agent.events.envelope import Channel, Event, StoredEvent
from agent.lines.actions import Action
from agent.lines.adapter import LineSpec
from agent.lines.sas.adapter import SasAdapter
from agent.poller import Poller
from agent.store import Store, StoreUnavailable
from agent.transport import Transport, TransportError
from protocols.line import Outgoing
from protocols.sas.requests import enable_play
from protocols.sas.session_types import SessionConfig
from tests.protocols.sas.fake_egm import FakeEgm

from .transport.fakes import free_port
from .transport.ptys import wait_for

PORT = "/dev/ttyFAKE0"
FAST = SessionConfig(
    poll_interval=0.005,
    reply_timeout=0.03,
    inter_byte_gap=0.003,
    gate_keepalive=0.05,
    offline_after_silence=5.0,
    meter_interval=60.0,
)
DOOR_OPEN = 0x11
DOOR_CLOSED = 0x12
CASHBOX_OPEN = 0x1B


def adapter(machines: Sequence[tuple[int, str, int | None]], port: str = PORT) -> SasAdapter:
    spec = LineSpec(
        name="bank-a", port=port, protocol="sas", baud=19200, wakeup=True, machines=machines
    )
    return SasAdapter(spec, FAST)


class Wire:
    """The line the poller's transports open onto."""

    def __init__(self, egms: Sequence[FakeEgm]) -> None:
        self.egms = list(egms)
        self.transports: list[WireTransport] = []
        self.frames: list[bytes] = []
        self.refuse_opens = 0
        self.fail_writes = False

    def factory(self, spec: LineSpec) -> WireTransport:
        transport = WireTransport(spec.port, self)
        self.transports.append(transport)
        return transport

    @property
    def opened(self) -> list[WireTransport]:
        return [t for t in self.transports if t.opened]

    def unplug(self) -> None:
        self.transports[-1]._failed("unplugged")


class WireTransport(Transport):
    def __init__(self, port: str, wire: Wire) -> None:
        super().__init__(port)
        self.wire = wire
        self.opened = False
        self.closed = False

    async def open(self) -> None:
        if self.wire.refuse_opens:
            self.wire.refuse_opens -= 1
            raise TransportError(self.port, "cannot open: no such device")
        self.opened = True

    async def write(self, frame: Outgoing) -> None:
        if self._failure is not None:
            raise self._failure
        if self.wire.fail_writes:
            raise TransportError(self.port, "write failed: [Errno 5] Input/output error")
        self.wire.frames.append(frame.data)
        self.bytes_out += len(frame.data)
        reply = b"".join(egm.hear(frame.data) for egm in self.wire.egms)
        if reply:
            asyncio.get_running_loop().call_later(0.001, self._received, reply)

    async def close(self) -> None:
        self.closed = True


class FixedRandom(random.Random):
    """No jitter: each delay is drawn at its ceiling, the nominal backoff itself."""

    def random(self) -> float:
        return 1.0


class Sleeps:
    """Records the poller's reopen delays (and sleeps them)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._sleep = asyncio.sleep

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        await self._sleep(delay)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """Short backoff, and the poller's sleeps recorded (only ``agent.poller`` sees the shim)."""
    recorder = Sleeps()
    monkeypatch.setattr(poller_module, "BACKOFF_FIRST", 0.02)
    monkeypatch.setattr(
        poller_module,
        "asyncio",
        SimpleNamespace(get_running_loop=asyncio.get_running_loop, sleep=recorder.sleep),
    )
    return recorder


@asynccontextmanager
async def running(
    tmp_path: Path,
    wire: Wire,
    machines: Sequence[tuple[int, str, int | None]],
    *,
    resume: dict[str, str] | None = None,
    patch_store: Callable[[Store], None] | None = None,
) -> AsyncIterator[tuple[Poller, Store]]:
    store = await Store.open(tmp_path / "events.sqlite", "agent-1")
    if patch_store is not None:
        patch_store(store)
    line = adapter(machines)
    line.resume(resume or {})
    poller = Poller(line, store, transport_factory=wire.factory, rng=FixedRandom())
    task = asyncio.create_task(poller.run())
    try:
        yield poller, store
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert wire.transports[-1].closed  # cancelling closes the port
        await store.close()


def stored(store: Store, name: str | None = None, machine: str | None = None) -> list[Event]:
    return [s.event for s in store.read(0, 10_000, event=name, machine=machine)]


def exception_events(store: Store, code: int, machine: str = "m1") -> list[Event]:
    return [
        e
        for e in stored(store, machine=machine)
        if e.raw.get("code") == code and "longpoll" not in e.raw
    ]


def online(poller: Poller, *ids: str) -> Callable[[], bool]:
    return lambda: all(poller.stats()[i].online for i in ids)


def identified(store: Store, *ids: str) -> Callable[[], bool]:
    return lambda: all(stored(store, "metersRead", machine=i) for i in ids)


class HeldStore:
    """Wraps ``store.append``: can refuse (StoreUnavailable) or hold appends."""

    def __init__(self) -> None:
        self.down = False
        self.release = asyncio.Event()
        self.release.set()
        self.attempts: list[tuple[float, int]] = []  # (loop time, events)
        self.on_append: Callable[[Sequence[Event]], None] | None = None

    def install(self, store: Store) -> None:
        real = store.append

        async def append(
            events: Sequence[Event], *, resume: Mapping[str, str] | None = None
        ) -> list[StoredEvent]:
            self.attempts.append((asyncio.get_running_loop().time(), len(events)))
            if self.on_append is not None:
                self.on_append(events)
            if self.down:
                raise StoreUnavailable(store.path, "disk I/O error")
            await self.release.wait()
            return await real(events, resume=resume)

        store.append = append  # type: ignore[method-assign]


# --- events are mapped and stored ------------------------------------------------------


def test_events_are_mapped_stored_and_then_acknowledged(tmp_path: Path) -> None:
    egm1, egm2 = FakeEgm(address=1), FakeEgm(address=2)
    wire = Wire([egm1, egm2])

    async def scenario() -> None:
        machines = [(1, "m1", None), (2, "m2", 25)]
        async with running(tmp_path, wire, machines) as (poller, store):
            await wait_for(identified(store, "m1", "m2"), 10.0)
            assert poller.state.connected
            assert poller.state.last_error == ""
            egm1.exceptions.append(DOOR_OPEN)
            egm2.exceptions.append(CASHBOX_OPEN)
            await wait_for(lambda: egm1.reported == [DOOR_OPEN] and egm2.reported == [CASHBOX_OPEN])
            (door,) = exception_events(store, DOOR_OPEN, "m1")
            assert door.line == "bank-a"
            assert door.protocol == "sas"
            assert not door.possible_duplicate
            assert len(exception_events(store, CASHBOX_OPEN, "m2")) == 1
            names = {e.event for e in stored(store, machine="m1")}
            assert {"online", "machineIdentified", "metersRead"} <= names
            (identity,) = stored(store, "machineIdentified", machine="m2")
            assert identity.data["denomination_cents"] == 25  # the configured override
            assert identity.channel is Channel.SYSTEM
            command = asyncio.create_task(poller.command(1, Action(name="enableMachine")))
            await wait_for(lambda: enable_play(1).encode().data in wire.frames)
            assert (await command).ok  # a command: nothing to store
            assert poller.stats()["m1"].polls > 0
            assert poller.state.store_waits == 0

    asyncio.run(scenario())


def test_the_gate_opens_only_after_the_append_returned(tmp_path: Path) -> None:
    egm = FakeEgm(address=1)
    wire = Wire([egm])
    held = HeldStore()
    seen: list[tuple[list[int], int | None]] = []

    async def scenario() -> None:
        async with running(tmp_path, wire, [(1, "m1", None)], patch_store=held.install) as (
            poller,
            store,
        ):

            def record(events: Sequence[Event]) -> None:
                if any(e.raw.get("code") == DOOR_OPEN for e in events):
                    seen.append((list(egm.reported), poller.session.gate))

            held.on_append = record
            await wait_for(identified(store, "m1"), 10.0)
            held.release.clear()
            sent_before = len(wire.frames)
            egm.exceptions.append(DOOR_OPEN)
            await wait_for(lambda: bool(seen))
            await asyncio.sleep(0.3)  # the commit takes a while: the line waits
            assert egm.reported == []
            assert list(egm.exceptions) == [DOOR_OPEN]
            while_held = set(wire.frames[sent_before:])
            assert while_held <= {b"\x80", b"\x81"}  # sync, general poll (keep-alives)
            assert poller.session.gate is not None
            assert not exception_events(store, DOOR_OPEN)
            held.release.set()
            await wait_for(lambda: egm.reported == [DOOR_OPEN])
            assert len(exception_events(store, DOOR_OPEN)) == 1
            assert poller.session.gate is None

    asyncio.run(scenario())
    (reported_then, gate_then) = seen[0]
    assert reported_then == []  # nothing acknowledged when the append started
    assert gate_then is not None


def test_store_unavailable_keeps_the_gate_closed_and_retries_with_backoff(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    egm = FakeEgm(address=1)
    wire = Wire([egm])
    held = HeldStore()

    async def scenario() -> None:
        async with running(tmp_path, wire, [(1, "m1", None)], patch_store=held.install) as (
            poller,
            store,
        ):
            await wait_for(identified(store, "m1"), 10.0)
            held.down = True
            first = len(held.attempts)
            egm.exceptions.append(DOOR_OPEN)
            await wait_for(lambda: len(held.attempts) >= first + 5, 5.0)
            assert egm.reported == []  # nothing acknowledged
            assert list(egm.exceptions) == [DOOR_OPEN]  # the machine keeps it
            assert poller.session.gate is not None
            assert poller.state.store_waits >= 5
            assert poller.state.last_error.startswith("store: ")
            assert "disk I/O error" in poller.state.last_error
            times = [t for t, _ in held.attempts[first:]]
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert gaps[0] >= 0.015  # no busy retry
            assert gaps[3] > 1.5 * gaps[0]  # backing off: 0.02, 0.04, 0.08, 0.16 ...
            held.down = False
            await wait_for(lambda: egm.reported == [DOOR_OPEN], 10.0)
            assert poller.state.connected
            await asyncio.sleep(0.2)
            assert len(exception_events(store, DOOR_OPEN)) == 1  # stored exactly once
            assert egm.reported == [DOOR_OPEN]
            egm.exceptions.append(DOOR_CLOSED)  # and the line moves on
            await wait_for(lambda: egm.reported == [DOOR_OPEN, DOOR_CLOSED])
            assert len(exception_events(store, DOOR_CLOSED)) == 1

    asyncio.run(scenario())
    assert sleeps.delays == []  # the port never failed


# --- possible_duplicate after a restart ------------------------------------------------


def test_first_report_repeating_the_last_stored_one_is_flagged(tmp_path: Path) -> None:
    egm1, egm2 = FakeEgm(address=1), FakeEgm(address=2)
    egm1.exceptions.extend([DOOR_OPEN, DOOR_OPEN])
    egm2.exceptions.extend([CASHBOX_OPEN, DOOR_CLOSED])
    wire = Wire([egm1, egm2])
    last = {"m1": str(DOOR_OPEN), "m2": str(DOOR_CLOSED), "m9": str(DOOR_OPEN)}

    async def scenario() -> None:
        machines = [(1, "m1", None), (2, "m2", None)]
        async with running(tmp_path, wire, machines, resume=last) as (_, store):
            await wait_for(lambda: len(egm1.reported) == 2 and len(egm2.reported) == 2, 10.0)
            m1 = exception_events(store, DOOR_OPEN, "m1")
            assert [e.possible_duplicate for e in m1] == [True, False]  # later ones are not
            m2 = [e for e in stored(store, machine="m2") if "code" in e.raw]
            assert [(e.raw["code"], e.possible_duplicate) for e in m2] == [
                (CASHBOX_OPEN, False),  # a different code: not a repeat, and the check is over
                (DOOR_CLOSED, False),
            ]
            others = [e for e in stored(store) if "code" not in e.raw]
            assert others
            assert not any(e.possible_duplicate for e in others)

    asyncio.run(scenario())


# --- the port fails ----------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["read", "write"])
def test_port_failure_reports_offline_and_reopens_with_backoff(
    tmp_path: Path, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    monkeypatch.setattr(poller_module, "BACKOFF_MAX", 0.05)
    egm1, egm2 = FakeEgm(address=1), FakeEgm(address=2)
    wire = Wire([egm1, egm2])

    async def scenario() -> None:
        machines = [(1, "m1", None), (2, "m2", None)]
        async with running(tmp_path, wire, machines) as (poller, store):
            await wait_for(identified(store, "m1", "m2"), 10.0)
            first_session = poller.session
            wire.refuse_opens = 3
            if failure == "read":
                wire.unplug()
            else:
                wire.fail_writes = True
            await wait_for(lambda: not poller.state.connected)
            wire.fail_writes = False
            await wait_for(lambda: len(stored(store, "online")) == 4, 10.0)
            await wait_for(lambda: poller.state.connected)
            assert poller.session is not first_session
            assert sleeps.delays == [0.02, 0.04, 0.05, 0.05]  # doubling, capped at BACKOFF_MAX
            assert poller.state.reopen_count == 4
            assert len(wire.opened) == 2
            assert wire.transports[0].closed
            offline = stored(store, "offline")
            assert sorted(e.machine for e in offline) == ["m1", "m2"]  # once each
            reason = "unplugged" if failure == "read" else "write failed"
            for event in offline:
                assert event.data["reason"].startswith(f"port lost: {PORT}: ")
                assert reason in event.data["reason"]
            events = stored(store)
            last_offline = max(i for i, e in enumerate(events) if e.event == "offline")
            back = [e.machine for e in events[last_offline:] if e.event == "online"]
            assert sorted(back) == ["m1", "m2"]
            # the new session starts over: identification again
            await wait_for(lambda: len(stored(store, "machineIdentified")) == 4, 10.0)
            # a working port resets the backoff
            wire.unplug()
            await wait_for(lambda: len(stored(store, "online")) == 6, 10.0)
            assert sleeps.delays[4:] == [0.02]

    asyncio.run(scenario())


def test_port_lost_while_the_store_is_down_acknowledges_nothing(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    """The new session's sync poll is an implied ACK: pending events must be durable first."""
    egm = FakeEgm(address=1)
    wire = Wire([egm])
    held = HeldStore()

    async def scenario() -> None:
        async with running(tmp_path, wire, [(1, "m1", None)], patch_store=held.install) as (
            poller,
            store,
        ):
            await wait_for(identified(store, "m1"), 10.0)
            held.down = True
            attempts = len(held.attempts)
            egm.exceptions.append(DOOR_OPEN)
            await wait_for(lambda: len(held.attempts) > attempts)
            wire.unplug()
            await wait_for(lambda: poller.state.reopen_count >= 1)
            await asyncio.sleep(0.5)  # a new session would have started long ago
            assert egm.reported == []  # not acknowledged while only in memory
            assert list(egm.exceptions) == [DOOR_OPEN]
            assert len(wire.opened) == 1  # the port stays closed until the store is back
            assert not poller.state.connected
            assert poller.state.last_error.startswith("store: ")
            held.down = False
            await wait_for(lambda: egm.reported == [DOOR_OPEN], 10.0)
            await wait_for(lambda: len(stored(store, "online")) == 2, 10.0)
            await asyncio.sleep(0.2)
            assert len(exception_events(store, DOOR_OPEN)) == 1
            (offline,) = stored(store, "offline")
            assert "unplugged" in offline.data["reason"]

    asyncio.run(scenario())


def test_default_transport_failing_to_connect_is_retried(tmp_path: Path, sleeps: Sleeps) -> None:
    url = f"socket://127.0.0.1:{free_port()}"

    async def scenario() -> None:
        store = await Store.open(tmp_path / "events.sqlite", "agent-1")
        poller = Poller(adapter([(1, "m1", None)], port=url), store, rng=FixedRandom())
        task = asyncio.create_task(poller.run())
        try:
            await wait_for(lambda: poller.state.reopen_count >= 2)
            assert "cannot connect" in poller.state.last_error
            assert not poller.state.connected
            assert stored(store) == []  # never online: nothing to report offline
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await store.close()

    asyncio.run(scenario())
    assert sleeps.delays[:2] == [0.02, 0.04]
