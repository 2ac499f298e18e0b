"""Remote actions on a machine: enable, disable, reset a handpay, set the time, read meters.

``ActionRunner.run`` finds the machine's poller, sends the long poll through
the poller's session (which queues it behind the line's regular polling and
reports the machine's answer) and waits for the outcome. ``readMeters``
schedules a meter read and waits until the new ``metersRead`` snapshot is
stored. Rules: the HTTP side never writes to a serial port itself; a
machine that does not answer in ``ACTION_TIMEOUT`` seconds is a timeout
(504), an answer that says no is ``ok: false`` with the reason; the caller
writes every attempt to the audit log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from agent.poller import CommandRefused, Poller
from protocols.sas import requests
from protocols.sas.requests import LongPollRequest

from .models import ActionRequest, ActionResult
from .view import LiveFeed

ACTION_TIMEOUT = 10.0


class _Outcome(Protocol):
    def __call__(self, ok: bool, detail: str, *, timed_out: bool = False) -> ActionOutcome: ...


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    result: ActionResult
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def detail(self) -> str:
        return self.result.detail


class ActionRunner:
    def __init__(
        self, pollers: list[Poller], feed: LiveFeed, *, timeout: float = ACTION_TIMEOUT
    ) -> None:
        self.feed = feed
        self.timeout = timeout
        self._where: dict[str, tuple[Poller, int]] = {
            machine_id: (poller, address)
            for poller in pollers
            for address, machine_id, _ in poller.spec.machines
        }

    async def run(self, machine_id: str, request: ActionRequest) -> ActionOutcome:
        poller, address = self._where[machine_id]
        action = request.action

        def outcome(ok: bool, detail: str, *, timed_out: bool = False) -> ActionOutcome:
            result = ActionResult(machine=machine_id, action=action, ok=ok, detail=detail)
            return ActionOutcome(result, timed_out)

        if action == "readMeters":
            return await self._read_meters(poller, address, machine_id, outcome)
        long_poll = self._long_poll(address, request)
        try:
            done = await poller.command(address, long_poll, timeout=self.timeout)
        except TimeoutError:
            return outcome(False, f"no answer within {self.timeout:g} s", timed_out=True)
        except CommandRefused as exc:
            return outcome(False, str(exc))
        if done.ok:
            return outcome(True, "acknowledged by the machine")
        return outcome(False, done.reason or "refused by the machine")

    async def _read_meters(
        self, poller: Poller, address: int, machine_id: str, outcome: _Outcome
    ) -> ActionOutcome:
        before = self._meters_at(machine_id)
        poller.request_meters(address)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while loop.time() < deadline:
            at = self._meters_at(machine_id)
            if at is not None and (before is None or at > before):
                return outcome(True, f"meters read at {at.isoformat()}")
            await asyncio.sleep(0.05)
        return outcome(False, f"no meters within {self.timeout:g} s", timed_out=True)

    def _meters_at(self, machine_id: str) -> datetime | None:
        memory = self.feed.machines.get(machine_id)
        return None if memory is None else memory.meters_at

    @staticmethod
    def _long_poll(address: int, request: ActionRequest) -> LongPollRequest:
        match request.action:
            case "enable":
                return requests.enable_play(address)
            case "disable":
                return requests.disable_play(address)
            case "resetHandpay":
                return requests.handpay_reset(address)
            case "setTime":
                moment = request.time or datetime.now(UTC)
                # SAS clocks hold local wall time: the floor PC's time zone
                return requests.set_date_time(address, moment.astimezone().replace(tzinfo=None))
        raise ValueError(f"not a long-poll action: {request.action}")
