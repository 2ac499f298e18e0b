"""Scenario files: what a simulated floor does, in TOML, checked when loaded.

Schema (every key is optional unless marked; an unknown key is an error)::

    seed = 42                        # default 1
    [defaults]                       # ActivityRates for every machine
    games_per_minute = 8.0
    [[groups]]                       # overrides, in file order (later wins)
    machines = ["1-8", "12", "sim-014"]     # required
    games_per_minute = 12.0
    [[incidents]]                    # scripted, see incidents.py for kinds
    at = 30.0                        # required: seconds after start, >= 0
    machines = ["all"]               # required
    kind = "door_open"               # required
    params = { door = "slot" }
    [faults]                         # per reply the machine sends, 0..1
    bit_flip = 0.0
    drop_byte = 0.0
    late_reply = 0.0
    late_reply_ms = 60.0             # > 20 (the reply limit)
    garbage = 0.0
    [[faults.timed]]
    at = 60.0                        # required
    machines = ["3"]                 # required
    kind = "silence"                 # required, see TimedFaultKind
    seconds = 10.0                   # required for silence; for the others an
                                     # optional burst (probability 1) duration

Machine selections: ``"all"``, a 1-based machine number (``"3"`` or
``3``), a range of numbers (``"1-8"``), or a machine id (``"sim-014"``);
digits are always numbers. The Python API counts machines from 0 (machine
"1" is index 0). Numbers beyond the floor and unknown ids are found by
``check_machines`` once the ids are known.

Errors: ``ScenarioError`` (a ``ValueError``) whose message has one line per
problem: ``file: key.path[index]: reason``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator.activity import ActivityRates, Rate
from simulator.incidents import Incident, IncidentKind, parse_incident

SCENARIOS = Path(__file__).with_name("scenarios")
_NUMBER = re.compile(r"[0-9]+")
_RANGE = re.compile(r"([0-9]+)-([0-9]+)")


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` holds (key path, reason) pairs."""

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [
            f"{source}: {where}: {why}" if where else f"{source}: {why}" for where, why in problems
        ]
        super().__init__("\n".join(lines))


def _token(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a machine number, a range like '1-8', 'all' or a machine id")
    text = value.strip()
    if _NUMBER.fullmatch(text) and int(text) < 1:
        raise ValueError(f"machine numbers start at 1, not {text!r}")
    match = _RANGE.fullmatch(text)
    if match and not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"bad range {text!r}: expected first-last with 1 <= first <= last")
    return text


MachineToken = Annotated[str, BeforeValidator(_token)]
Selection = Annotated[list[MachineToken], Field(min_length=1)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1)]
TimedFaultKind = Literal[
    "silence", "power_cycle", "fifo_overflow", "bit_flip", "drop_byte", "late_reply", "garbage"
]


def selects(selection: Sequence[str], index: int, machine_id: str) -> bool:
    """True when ``selection`` names the machine at 0-based ``index`` with ``machine_id``."""
    for token in selection:
        number = _NUMBER.fullmatch(token)
        span = _RANGE.fullmatch(token)
        if (
            token == "all"
            or (number and int(token) == index + 1)
            or (span and int(span[1]) <= index + 1 <= int(span[2]))
            or (not number and not span and token == machine_id)
        ):
            return True
    return False


def unknown(selection: Sequence[str], ids: Sequence[str]) -> list[str]:
    """Why tokens of ``selection`` name no machine among ``ids`` (empty when all do)."""
    problems = []
    for token in selection:
        span = _RANGE.fullmatch(token)
        last = int(token) if _NUMBER.fullmatch(token) else int(span[2]) if span else None
        if last is not None and last > len(ids):
            problems.append(f"{token!r} is beyond the {len(ids)} machines")
        elif last is None and token != "all" and token not in ids:
            problems.append(f"no machine has the id {token!r}")
    return problems


def select(selection: Sequence[str], ids: Sequence[str]) -> list[int]:
    """0-based indexes of the machines ``selection`` names; ValueError for unknown ones."""
    problems = unknown(selection, ids)
    if problems:
        raise ValueError("; ".join(problems))
    return [index for index, machine_id in enumerate(ids) if selects(selection, index, machine_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Group(_Strict):
    """Rates for some machines; unset rates keep the defaults (or an earlier group's)."""

    machines: Selection
    games_per_minute: Rate | None = None
    bills_per_hour: Rate | None = None
    door_openings_per_hour: Rate | None = None
    handpays_per_hour: Rate | None = None
    tickets_per_hour: Rate | None = None
    ticket_ins_per_hour: Rate | None = None
    player_cards_per_hour: Rate | None = None
    tilts_per_hour: Rate | None = None
    power_cycles_per_hour: Rate | None = None
    in_play_at_start: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)

    def overrides(self) -> dict[str, float]:
        return self.model_dump(exclude={"machines"}, exclude_none=True)


class ScenarioIncident(_Strict):
    at: Seconds
    machines: Selection
    kind: IncidentKind
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _params_fit_kind(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind = info.data.get("kind")
        if kind is not None:  # an invalid kind is reported on its own
            parse_incident(kind, params)
        return params

    @property
    def incident(self) -> Incident:
        return parse_incident(self.kind, self.params)


class TimedFault(_Strict):
    at: Seconds
    machines: Selection
    kind: TimedFaultKind
    seconds: Seconds | None = None

    @model_validator(mode="after")
    def _silence_has_seconds(self) -> TimedFault:
        if self.kind == "silence" and not self.seconds:
            raise ValueError("a silence needs 'seconds' > 0")
        return self


class Faults(_Strict):
    bit_flip: Probability = 0.0
    drop_byte: Probability = 0.0
    late_reply: Probability = 0.0
    late_reply_ms: Annotated[float, Field(gt=20, le=10_000)] = 60.0
    garbage: Probability = 0.0
    timed: list[TimedFault] = Field(default_factory=list)


class Scenario(_Strict):
    """A checked scenario; build it with ``load_scenario`` or ``parse_scenario``."""

    seed: int = 1
    defaults: ActivityRates = Field(default_factory=ActivityRates)
    groups: list[Group] = Field(default_factory=list)
    incidents: list[ScenarioIncident] = Field(default_factory=list)
    faults: Faults = Field(default_factory=Faults)
    _source: str = PrivateAttr(default="<scenario>")

    @property
    def source(self) -> str:
        """The file it came from (for messages)."""
        return self._source

    def rates_for(self, index: int, machine_id: str) -> ActivityRates:
        """The defaults, overridden by every group that selects the machine, in order."""
        values = self.defaults.model_dump()
        for group in self.groups:
            if selects(group.machines, index, machine_id):
                values |= group.overrides()
        return ActivityRates.model_validate(values)

    def incidents_for(self, index: int, machine_id: str) -> list[ScenarioIncident]:
        """The scripted incidents of one machine, by time (file order on ties)."""
        mine = [i for i in self.incidents if selects(i.machines, index, machine_id)]
        return sorted(mine, key=lambda incident: incident.at)

    def timed_faults_for(self, index: int, machine_id: str) -> list[TimedFault]:
        """The timed faults of one machine, by time (file order on ties)."""
        mine = [f for f in self.faults.timed if selects(f.machines, index, machine_id)]
        return sorted(mine, key=lambda fault: fault.at)

    @staticmethod
    def select(selection: Sequence[str], ids: Sequence[str]) -> list[int]:
        """0-based indexes of the machines ``selection`` names (see ``select``)."""
        return select(selection, ids)

    def check_machines(self, ids: Sequence[str]) -> None:
        """Raise ``ScenarioError`` if a selection names a machine not among ``ids``."""
        selections = [(f"groups[{n}].machines", g.machines) for n, g in enumerate(self.groups)]
        selections += [
            (f"incidents[{n}].machines", i.machines) for n, i in enumerate(self.incidents)
        ]
        selections += [
            (f"faults.timed[{n}].machines", f.machines) for n, f in enumerate(self.faults.timed)
        ]
        problems = [
            (where, why) for where, selection in selections for why in unknown(selection, ids)
        ]
        if problems:
            raise ScenarioError(self._source, problems)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Check a scenario given as TOML text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"TOML syntax error: {exc}")]) from exc
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            (_key_path(error["loc"]), error["msg"].removeprefix("Value error, "))
            for error in exc.errors()
        ]
        raise ScenarioError(source, problems) from exc
    scenario._source = source
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; ``ScenarioError`` names the file and the key."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [("", f"cannot read the file: {exc}")]) from exc
    return parse_scenario(text, source=str(path))


def list_builtin() -> list[str]:
    """Names of the scenarios shipped with the simulator."""
    return sorted(path.stem for path in SCENARIOS.glob("*.toml"))


def builtin_scenario(name: str) -> Path:
    """The file of a shipped scenario (``"busy_friday"`` or ``"busy_friday.toml"``)."""
    stem = name.removesuffix(".toml")
    if stem not in list_builtin():
        raise ValueError(f"no built-in scenario {name!r}; there are: {', '.join(list_builtin())}")
    return SCENARIOS / f"{stem}.toml"
