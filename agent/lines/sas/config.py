"""``[[lines]]`` with ``protocol = "sas"``: the SAS line's own keys (docs/configuration.md).

On top of the shared keys (``agent.config.line_base``): ``baud`` (19200),
``inter_byte_gap_ms``, ``real_time_events`` and ``wakeup``, whose default
follows the port: ``"parity"`` on a device path or pty, ``"none"`` on a
``socket://`` or ``rfc2217://`` URL (a device server carries no parity bit).
A SAS address is 1-127 (``[[lines.machines]]`` allows up to 247, GAPI's limit).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from agent.config.endpoints import is_url
from agent.config.errors import Problem
from agent.config.line_base import LineBase

SAS_BAUD = 19200
SAS_MAX_ADDRESS = 127


class SasLine(LineBase):
    protocol: Literal["sas"]
    baud: int = Field(default=SAS_BAUD, gt=0, le=4_000_000)
    inter_byte_gap_ms: int = Field(default=20, ge=1, le=1000)
    real_time_events: bool = False
    wakeup: Literal["parity", "none"]

    @model_validator(mode="before")
    @classmethod
    def _wakeup_follows_the_port(cls, data: Any) -> Any:
        if isinstance(data, dict) and "wakeup" not in data:
            url = isinstance(data.get("port"), str) and is_url(data["port"])
            data = {**data, "wakeup": "none" if url else "parity"}
        return data

    def problems(self, here: str) -> list[Problem]:
        """What the shared schema cannot see: the SAS address range."""
        return [
            Problem(
                key=f"{here}.machines[{m}].address",
                reason=f"a SAS address is 1-{SAS_MAX_ADDRESS}, got {machine.address}",
            )
            for m, machine in enumerate(self.machines)
            if machine.address > SAS_MAX_ADDRESS
        ]
