"""The agent's configuration: one TOML file, checked completely at start.

Job: turn a file into a frozen, fully defaulted ``AgentConfig`` or fail with
a ``ConfigError`` that lists every problem as ``FILE: key.path: reason``;
the process then exits with ``EX_CONFIG`` (78). docs/configuration.md
documents every key.

Modules, in the order a file goes through them::

    load.py       load_config / parse_config: read, TOML, secrets, schema
    secret.py     { env = "NAME" } / { file = "/path" } -> Secret
    base.py       Section (frozen, strict, unknown keys forbidden) and the
                  field types every section shares
    schema.py     the pydantic models, one per section
    line_base.py  the keys every [[lines]] has; each protocol's model lives
                  with its adapter (agent/lines/<protocol>/config.py)
    upstream.py   [upstream.amqp]: AmqpUpstream, AmqpQueue, redact_url
    endpoints.py  serial ports and listen addresses, pure syntax checks
    checks.py     checks across keys (duplicates, each line's own rules, TLS pair,
                  the AMQP rules that span keys)
    errors.py     ConfigError, Problem, EX_CONFIG
    toml_out.py   dump_toml: back to TOML (secrets stay references)
    demo.py       config_for_demo: a valid config for ``floor-agent demo``
"""

from .demo import DEMO_QUEUE, DEMO_QUEUE_LENGTH, config_for_demo
from .errors import EX_CONFIG, ConfigError, Problem
from .line_base import Machine
from .load import load_config, parse_config
from .schema import (
    AgentConfig,
    AgentSettings,
    Http,
    Line,
    Logging,
    Store,
    Upstream,
)
from .secret import Secret
from .toml_out import dump_toml
from .upstream import AmqpQueue, AmqpUpstream, redact_url

__all__ = [
    "DEMO_QUEUE",
    "DEMO_QUEUE_LENGTH",
    "EX_CONFIG",
    "AgentConfig",
    "AgentSettings",
    "AmqpQueue",
    "AmqpUpstream",
    "ConfigError",
    "Http",
    "Line",
    "Logging",
    "Machine",
    "Problem",
    "Secret",
    "Store",
    "Upstream",
    "config_for_demo",
    "dump_toml",
    "load_config",
    "parse_config",
    "redact_url",
]
