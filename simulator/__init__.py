"""Simulated slot machines on virtual serial ports (built by the simulator issue)."""
