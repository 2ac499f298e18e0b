"""``Notifier``: tell systemd how the agent is doing (sd_notify), or nothing when not under it.

Job: the few state changes a ``Type=notify`` unit reports, as one-line calls::

    notifier = Notifier()                 # reads NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID
    notifier.ready("12 machines on 3 lines")   # READY=1 (+ STATUS=)
    notifier.status("12/12 machines online, buffer 0 events, amqp connected")
    notifier.watchdog()                   # WATCHDOG=1: "still making progress"
    notifier.stopping("committing events")     # STOPPING=1 (+ STATUS=)
    notifier.watchdog_interval()          # WatchdogSec in seconds, or None

Rules:

* No ``NOTIFY_SOCKET`` (run by hand, in tests, in a container): every call is
  a no-op that returns False; nothing else changes.
* ``systemd.daemon.notify`` (systemd-python, the ``systemd`` extra) sends
  when it is importable; otherwise a dependency-free fallback speaks the
  protocol itself: one AF_UNIX SOCK_DGRAM datagram of ``KEY=value`` lines
  to the socket path, or to the abstract name when the variable starts
  with ``@`` (sd_notify(3)).
* Sending never raises: systemd going away must not take the agent down. A
  failure is logged once at warning level and the call returns False.
* ``watchdog_interval`` honours ``WATCHDOG_PID``: the watchdog applies only
  to the process whose pid it names (sd_watchdog_enabled(3)).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import Literal

log = logging.getLogger("agent.notify")

Backend = Literal["auto", "systemd", "socket"]
Sender = Callable[[str], bool]


def socket_address(value: str) -> str | None:
    """The AF_UNIX address for a ``NOTIFY_SOCKET`` value (None if unsupported).

    ``/run/systemd/notify`` is a path; ``@name`` is the abstract name ``\\0name``.
    """
    if value.startswith("/"):
        return value
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]
    return None


def datagram_sender(address: str) -> Sender:
    """The fallback: one datagram per message, on a socket opened per call (rare calls)."""

    def send(message: str) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
        return True

    return send


def systemd_sender() -> Sender | None:
    """``systemd.daemon.notify`` when systemd-python is installed, else None."""
    try:
        # by name: untyped, optional, and the checkout's systemd/ (the unit) must not shadow it
        daemon = importlib.import_module("systemd.daemon")
    except ImportError:
        return None

    def send(message: str) -> bool:
        return bool(daemon.notify(message))

    return send


def watchdog_seconds(environ: Mapping[str, str], pid: int) -> float | None:
    """``WATCHDOG_USEC`` in seconds if it is set, positive and meant for ``pid``."""
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    owner = environ.get("WATCHDOG_PID")
    if usec <= 0 or (owner is not None and owner.strip() != str(pid)):
        return None
    return usec / 1_000_000


def one_line(text: str) -> str:
    """A STATUS= value: the protocol is line-based, so a newline would end the field."""
    return " ".join(text.split())


class Notifier:
    """Sends sd_notify messages; a no-op without ``NOTIFY_SOCKET``.

    ``environ`` defaults to ``os.environ`` (read once, here). ``backend``:
    ``auto`` prefers systemd-python; ``systemd`` requires it (ImportError
    otherwise); ``socket`` always uses the fallback. The systemd backend
    reads ``NOTIFY_SOCKET`` from the process environment itself, at each
    call, so a custom ``environ`` implies the fallback.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        backend: Backend = "auto",
        pid: int | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self._pid = os.getpid() if pid is None else pid
        self._env = dict(env)
        self._warned = False
        self.socket = env.get("NOTIFY_SOCKET") or None
        """The ``NOTIFY_SOCKET`` value (None: not run by systemd with Type=notify)."""
        self._send: Sender | None = None
        self.backend: str = "none"
        if self.socket is None:
            return
        if backend != "socket" and environ is None:
            self._send = systemd_sender()
            if self._send is not None:
                self.backend = "systemd"
            elif backend == "systemd":
                raise ImportError("systemd-python is not installed (the systemd extra)")
        elif backend == "systemd":
            raise ValueError("the systemd backend reads os.environ; pass no environ")
        if self._send is None:
            address = socket_address(self.socket)
            if address is None:
                log.warning("NOTIFY_SOCKET=%r is not a path or @name; not notifying", self.socket)
                return
            self._send = datagram_sender(address)
            self.backend = "socket"

    @property
    def enabled(self) -> bool:
        return self._send is not None

    def ready(self, status: str | None = None) -> bool:
        """READY=1: startup is complete (systemd starts dependent units now)."""
        return self.notify("READY=1", status)

    def status(self, text: str) -> bool:
        """STATUS=: the line ``systemctl status`` shows under the unit."""
        return self.notify(None, text)

    def watchdog(self) -> bool:
        """WATCHDOG=1: the agent made progress since the last one."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """STOPPING=1: a clean shutdown has begun."""
        return self.notify("STOPPING=1", status)

    def watchdog_interval(self) -> float | None:
        """WatchdogSec in seconds when systemd watches this process, else None."""
        if not self.enabled:
            return None
        return watchdog_seconds(self._env, self._pid)

    def notify(self, state: str | None, status: str | None = None) -> bool:
        """Send ``state`` (``KEY=value``) and/or ``STATUS=status`` in one datagram."""
        if self._send is None:
            return False
        lines = [state] if state else []
        if status is not None:
            lines.append(f"STATUS={one_line(status)}")
        if not lines:
            return False
        try:
            return self._send("\n".join(lines))
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot notify systemd at %s: %s", self.socket, exc)
            return False
