"""Remote actions on a machine: enable, disable, reset a handpay, set the time, read meters ...

``ActionRunner.run`` finds the machine's poller and hands it the canonical
action (agent/lines/actions.py); the line's protocol adapter encodes it, the
session queues it behind the line's regular polling and reports the
machine's answer, and the poller gives the outcome back once what the
machine answered is stored (a ``readMeters`` outcome means the new
``metersRead`` snapshot is in the store). Rules: the HTTP side never writes
to a serial port itself; a machine that does not answer in ``ACTION_TIMEOUT``
seconds is a timeout (504), an answer that says no is ``ok: false`` with the
reason; the caller writes every attempt to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.lines.actions import Action, action_name
from agent.lines.adapter import ActionNotSupported
from agent.poller import CommandRefused, Poller

from .models import ActionRequest, ActionResult

ACTION_TIMEOUT = 10.0
DONE = {"readMeters": "meters read and stored"}


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


def canonical(request: ActionRequest) -> Action:
    """The canonical action an API request names (short names resolved)."""
    return Action(name=action_name(request.action), time=request.time, enabled=request.enabled)


class ActionRunner:
    def __init__(self, pollers: list[Poller], *, timeout: float = ACTION_TIMEOUT) -> None:
        self.timeout = timeout
        self._where: dict[str, tuple[Poller, int]] = {
            machine_id: (poller, address)
            for poller in pollers
            for address, machine_id, _ in poller.spec.machines
        }

    async def run(self, machine_id: str, request: ActionRequest) -> ActionOutcome:
        poller, address = self._where[machine_id]
        action = canonical(request)

        def outcome(ok: bool, detail: str, *, timed_out: bool = False) -> ActionOutcome:
            result = ActionResult(machine=machine_id, action=request.action, ok=ok, detail=detail)
            return ActionOutcome(result, timed_out)

        try:
            done = await poller.command(address, action, timeout=self.timeout)
        except TimeoutError:
            return outcome(False, f"no answer within {self.timeout:g} s", timed_out=True)
        except (CommandRefused, ActionNotSupported) as exc:
            return outcome(False, str(exc))
        if done.ok:
            return outcome(True, DONE.get(action.name, "acknowledged by the machine"))
        return outcome(False, done.reason or "refused by the machine")
