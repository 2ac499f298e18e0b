"""Build and run a floor of simulated machines: models, SAS front-ends, lines, links.

``Simulator`` wires one ``MachineModel`` and one ``SasEgm`` per machine,
groups them into lines (``per_line`` addresses share one port: multi-drop),
gives each line a pty or a TCP port, writes ``DIR/simulator.json`` (the
manifest any host can read to find the machines) and ticks every line so
activity, scripted incidents, timed faults and chirps happen on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from .activity import seeded
from .faults import REPLY_FAULTS, FaultInjector, FaultRates, TimedFault
from .ledger import LedgerWriter
from .links import Link, PtyLink, TcpLink
from .model import MachineModel
from .sas import EgmConfig, SasEgm, SasLine
from .scenario import Scenario, ScenarioIncident

MANIFEST = "simulator.json"
DEFAULT_BURST_SECONDS = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatorOptions:
    machines: int
    directory: Path
    protocol: Literal["sas"] = "sas"
    link: Literal["pty", "tcp"] = "pty"
    scenario: Scenario | None = None
    ledger: Path | None = None
    per_line: int = 1
    host: str = "127.0.0.1"
    port_base: int = 0  # 0: let the system pick each TCP port
    egm: EgmConfig = field(default_factory=EgmConfig)
    tick: float = 0.05
    id_prefix: str = "sim-"


@dataclass(slots=True)
class Summary:
    machines: int = 0
    events: int = 0
    acks: int = 0
    polls: int = 0
    replies: int = 0
    nacks: int = 0
    chirps: int = 0
    faults: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        faults = sum(self.faults.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return (
            f"machines {self.machines}  events {self.events} (acked {self.acks})  "
            f"polls {self.polls}  replies {self.replies}  nacks {self.nacks}  "
            f"faults {faults}" + (f" ({detail})" if detail else "")
        )


@dataclass(slots=True)
class _Scripted:
    egm: SasEgm
    incidents: list[ScenarioIncident]


class Simulator:
    """A running floor; ``start`` then ``run`` until the stop event, then ``close``."""

    def __init__(self, options: SimulatorOptions) -> None:
        if options.machines < 1 or options.per_line < 1 or options.per_line > 127:
            raise ValueError("need at least one machine and 1-127 machines per line")
        self.options = options
        self.scenario = options.scenario or Scenario()
        self.ledger = LedgerWriter(None)  # replaced by the file ledger in build()
        self.egms: list[SasEgm] = []
        self.lines: list[SasLine] = []
        self.links: list[Link] = []
        self._scripted: list[_Scripted] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._origin = 0.0

    @property
    def ids(self) -> list[str]:
        return [f"{self.options.id_prefix}{i + 1:03d}" for i in range(self.options.machines)]

    def build(self) -> None:
        """Create the machines and their lines (no I/O)."""
        options, scenario = self.options, self.scenario
        ids = self.ids
        scenario.check_machines(ids)
        if options.ledger is not None:
            options.ledger.parent.mkdir(parents=True, exist_ok=True)
            self.ledger = LedgerWriter(options.ledger)
        egm_config = options.egm
        if egm_config.clock_origin == EgmConfig().clock_origin:
            egm_config = _replace_origin(egm_config, datetime.now().replace(microsecond=0))
        for index, machine_id in enumerate(ids):
            rng = seeded(scenario.seed, index)
            model = MachineModel(
                machine_id, rng, rates=scenario.rates_for(index, machine_id), asset_number=index + 1
            )
            egm = SasEgm(
                address=index % options.per_line + 1,
                model=model,
                ledger=self.ledger,
                config=egm_config,
                faults=self._faults(index, machine_id),
            )
            self.egms.append(egm)
            incidents = scenario.incidents_for(index, machine_id)
            if incidents:
                self._scripted.append(_Scripted(egm, list(incidents)))
        for start in range(0, len(self.egms), options.per_line):
            self.lines.append(SasLine(self.egms[start : start + options.per_line]))

    def _faults(self, index: int, machine_id: str) -> FaultInjector | None:
        spec = self.scenario.faults
        rates = FaultRates(
            bit_flip=spec.bit_flip,
            drop_byte=spec.drop_byte,
            late_reply=spec.late_reply,
            garbage=spec.garbage,
            late_reply_ms=spec.late_reply_ms,
        )
        timed = [
            TimedFault(
                kind=f.kind,
                start=f.at,
                seconds=f.seconds or (DEFAULT_BURST_SECONDS if f.kind in REPLY_FAULTS else 0.0),
            )
            for f in self.scenario.timed_faults_for(index, machine_id)
        ]
        if not rates.any() and not timed:
            return None
        return FaultInjector(rates, seeded(self.scenario.seed + 7, index), timed)

    async def start(self) -> None:
        """Open the ports and write the manifest."""
        if not self.egms:
            self.build()
        raise_file_limit(len(self.lines) * 2 + 64)
        loop = self._loop = asyncio.get_running_loop()
        self._origin = loop.time()
        directory = self.options.directory
        directory.mkdir(parents=True, exist_ok=True)
        for number, line in enumerate(self.lines, start=1):
            link: Link
            if self.options.link == "pty":
                link = PtyLink(line, loop, self._origin, directory / f"line-{number:03d}")
            else:
                tcp = TcpLink(line, loop, self._origin)
                port = self.options.port_base + number - 1 if self.options.port_base else 0
                await tcp.listen(self.options.host, port)
                link = tcp
            self.links.append(link)
        self._write_manifest()

    def manifest(self) -> dict[str, object]:
        machines = []
        for link in self.links:
            for egm in link.line.machines:
                machines.append(
                    {
                        "id": egm.machine_id,
                        "protocol": self.options.protocol,
                        "address": egm.address,
                        "port": link.port,
                    }
                )
        return {
            "protocol": self.options.protocol,
            "link": self.options.link,
            "pid": os.getpid(),
            "ledger": str(self.options.ledger) if self.options.ledger else None,
            "machines": machines,
        }

    def _write_manifest(self) -> None:
        path = self.options.directory / MANIFEST
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.manifest(), indent=2) + "\n")
        temporary.replace(path)

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time() - self._origin

    def tick(self) -> None:
        """One pass: scripted incidents due, then every line's clock."""
        now = self.now()
        for scripted in self._scripted:
            while scripted.incidents and scripted.incidents[0].at <= now:
                incident = scripted.incidents.pop(0)
                events = scripted.egm.model.incident(incident.kind, now, **incident.params)
                scripted.egm.report(events, now)
        for link in self.links:
            link.tick()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.tick)
        self.ledger.flush()

    def summary(self) -> Summary:
        summary = Summary(machines=len(self.egms))
        for egm in self.egms:
            stats = egm.stats
            summary.events += stats.events
            summary.acks += stats.acks
            summary.polls += stats.polls
            summary.replies += stats.replies
            summary.nacks += stats.nacks
            summary.chirps += stats.chirps
            if egm.faults is not None:
                summary.faults.update(egm.faults.counts)
        return summary

    def close(self) -> None:
        for link in self.links:
            link.close()
        self.links.clear()
        self.ledger.close()
        (self.options.directory / MANIFEST).unlink(missing_ok=True)


def _replace_origin(config: EgmConfig, origin: datetime) -> EgmConfig:
    return replace(config, clock_origin=origin)


def raise_file_limit(needed: int) -> None:
    """Raise the soft open-files limit towards the hard one when ``needed`` exceeds it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
