"""``[[lines]]`` with ``protocol = "gapi"``: the GAPI line (docs/configuration.md).

GAPI v1 runs 8N1 with no wake-up bit at 115200 baud by default
(docs/protocols/gapi.md). This build validates the shared keys of a GAPI
line but has no GAPI adapter yet: ``floor-agent run`` refuses such a line as
a configuration error (exit 78) until the GAPI issue adds it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config.errors import Problem
from agent.config.line_base import LineBase

GAPI_BAUD = 115200


class GapiLine(LineBase):
    protocol: Literal["gapi"]
    baud: int = Field(default=GAPI_BAUD, gt=0, le=4_000_000)

    def problems(self, here: str) -> list[Problem]:
        return []
