"""Errors raised by the SAS core, and only for misuse by our own code.

Received bytes never raise: faults in what a machine sends come out as
values (see ``frames.Fault``). What remains are *local* errors, bugs in the
caller, in the spirit of h11's LocalProtocolError::

    SasError
     ├── LocalProtocolError   the caller asked for something the protocol forbids
     └── BcdError             a value cannot be BCD-encoded / a byte is not BCD
                              (also a ValueError; decoders turn it into a fault)
"""

from __future__ import annotations


class SasError(Exception):
    """Base of every error the SAS core raises."""


class LocalProtocolError(SasError):
    """Our own code misused the API (a bug, never caused by a machine)."""


class BcdError(SasError, ValueError):
    """A number does not fit the BCD field, or a byte holds a nibble above 9."""
