"""``SasAdapter``: one SAS line behind the seam (agent/lines/adapter.py).

* the session: a ``SasHostSession`` for the line's addresses, timed by the
  ``[[lines]]`` section (``session_config``);
* translation: ``SasEventMapper`` turns session events into canonical
  events; an exception-born event (``raw.code`` without ``raw.longpoll``)
  also gives the machine's resume point, the exception code;
* resume: SAS cannot tell whether a machine saw the acknowledgement of the
  last exception stored before a crash, so after a restart the machine's
  first exception is flagged ``possible_duplicate`` when it repeats that code;
  the same holds across a link loss (a machine keeps an unacknowledged report
  through a loop break or a power cut and reports it again), so the check is
  armed again each time a machine comes back online;
* actions: each canonical action is one long poll (``readMeters`` is a
  meter sweep the session schedules: ``ReadMeters``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import assert_never

from agent.config.schema import AgentSettings
from protocols.line import LineEvent, LinkUp
from protocols.sas import requests
from protocols.sas.requests import LongPollRequest
from protocols.sas.session import SasHostSession
from protocols.sas.session_types import ExceptionReported, ReadMeters, SessionConfig, SessionEvent

from ..actions import Action
from ..adapter import NOTHING, LineSpec, Translation
from .config import SasLine
from .mapper import MachineInfo, SasEventMapper

PROTOCOL = "sas"


def utc_now() -> datetime:
    return datetime.now(UTC)


def session_config(line: SasLine) -> SessionConfig:
    """The session's timing and policy from a ``[[lines]]`` section."""
    return SessionConfig(
        poll_interval=line.poll_interval_ms / 1000,
        reply_timeout=line.reply_timeout_ms / 1000,
        inter_byte_gap=line.inter_byte_gap_ms / 1000,
        retries=line.retries,
        offline_after_failures=line.offline_after_failures,
        offline_after_silence=line.offline_after_s,
        meter_interval=line.meter_interval_s,
        real_time_events=line.real_time_events,
    )


class SasAdapter:
    """The SAS adapter of one line; see the module doc."""

    def __init__(
        self,
        spec: LineSpec,
        session: SessionConfig,
        *,
        currency: str = "USD",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.spec = spec
        self.session_config = session
        self._ids = {address: machine_id for address, machine_id, _ in spec.machines}
        self.mapper = SasEventMapper(
            spec.name,
            {a: MachineInfo(id=m, denomination_cents=d) for a, m, d in spec.machines},
            currency,
            clock,
        )
        self._unchecked: dict[str, str] = {}
        self._last: dict[str, str] = {}  # machine -> code of its last exception

    @classmethod
    def from_config(cls, line: SasLine, settings: AgentSettings) -> SasAdapter:
        spec = LineSpec(
            name=line.name,
            port=line.port,
            protocol=PROTOCOL,
            baud=line.baud,
            wakeup=line.wakeup == "parity",
            machines=[(m.address, m.id, m.denomination_cents) for m in line.machines],
        )
        return cls(spec, session_config(line), currency=settings.currency)

    def new_session(self) -> SasHostSession:
        return SasHostSession(list(self._ids), self.session_config)

    def resume(self, points: Mapping[str, str]) -> None:
        self._last = {m: points[m] for m in self._ids.values() if m in points}
        self._unchecked = dict(self._last)

    def translate(self, event: LineEvent) -> Translation:
        if not isinstance(event, SessionEvent):  # not one of this session's: a wiring bug
            raise TypeError(f"line {self.spec.name}: not a SAS session event: {event!r}")
        events = self.mapper.map(event)
        if isinstance(event, LinkUp) and self._ids[event.address] in self._last:
            machine = self._ids[event.address]
            self._unchecked[machine] = self._last[machine]
        if not isinstance(event, ExceptionReported) or not events:
            return Translation(events) if events else NOTHING
        machine, code = self._ids[event.address], str(event.code)
        if self._unchecked.pop(machine, None) == code:
            events = [dataclasses.replace(e, possible_duplicate=True) for e in events]
        self._last[machine] = code
        return Translation(events, {machine: code})

    def command(self, address: int, action: Action) -> LongPollRequest | ReadMeters:
        match action.name:
            case "enableMachine":
                return requests.enable_play(address)
            case "disableMachine":
                return requests.disable_play(address)
            case "resetHandpay":
                return requests.handpay_reset(address)
            case "setTime":
                moment = action.time or datetime.now(UTC)
                # SAS clocks hold local wall time: the floor PC's time zone
                return requests.set_date_time(address, moment.astimezone().replace(tzinfo=None))
            case "readMeters":
                return ReadMeters()
            case "setRealTimeEvents":
                return requests.real_time_events(address, enabled=bool(action.enabled))
            case _:
                assert_never(action.name)
