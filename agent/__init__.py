"""floor-agent: the daemon that polls slot machines and publishes their events.

The service itself (config, transport, pollers, store, sinks, HTTP) arrives
with the agent issue; today the package holds the command-line entry point.
"""

__version__ = "0.1.0"
