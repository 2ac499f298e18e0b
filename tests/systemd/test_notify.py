"""``agent.notify``: the sd_notify fallback protocol, the environment rules, the real module."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.notify import Notifier, one_line, socket_address, watchdog_seconds

from .fake_notify import FakeNotifySocket


@pytest.fixture
def abstract() -> Iterator[FakeNotifySocket]:
    fake = FakeNotifySocket.bind_abstract()
    yield fake
    fake.close()


def test_no_socket_makes_every_call_a_no_op() -> None:
    notifier = Notifier({"WATCHDOG_USEC": "1000000"})
    assert not notifier.enabled
    assert notifier.backend == "none"
    assert not notifier.ready("up")
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert notifier.watchdog_interval() is None


def test_path_socket_receives_each_state(tmp_path: Path) -> None:
    fake = FakeNotifySocket.bind_path(tmp_path)
    try:
        notifier = Notifier({"NOTIFY_SOCKET": fake.value})
        assert notifier.backend == "socket"
        assert notifier.ready("2 machines")
        assert notifier.status("line one\nline two")
        assert notifier.watchdog()
        assert notifier.stopping()
        got = [d.fields for d in fake.drain()]
    finally:
        fake.close()
    assert got == [
        {"READY": "1", "STATUS": "2 machines"},
        {"STATUS": "line one line two"},
        {"WATCHDOG": "1"},
        {"STOPPING": "1"},
    ]


def test_abstract_socket_name(abstract: FakeNotifySocket) -> None:
    assert abstract.value.startswith("@")
    notifier = Notifier({"NOTIFY_SOCKET": abstract.value}, backend="socket")
    assert notifier.watchdog()
    assert [d.fields for d in abstract.drain()] == [{"WATCHDOG": "1"}]


def test_socket_addresses() -> None:
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert socket_address("@name") == "\0name"
    assert socket_address("@") is None
    assert socket_address("vsock:2:1234") is None
    assert socket_address("relative") is None
    assert not Notifier({"NOTIFY_SOCKET": "vsock:2:1234"}).enabled


def test_a_vanished_socket_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert notifier.enabled
    assert not notifier.watchdog()
    assert not notifier.watchdog()
    assert len([r for r in caplog.records if "cannot notify" in r.message]) == 1


@pytest.mark.parametrize(
    ("env", "pid", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 10, 30.0),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "10"}, 10, 1.0),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "11"}, 10, None),
        ({"WATCHDOG_USEC": "0"}, 10, None),
        ({"WATCHDOG_USEC": "soon"}, 10, None),
        ({}, 10, None),
    ],
)
def test_watchdog_interval(env: dict[str, str], pid: int, expected: float | None) -> None:
    assert watchdog_seconds(env, pid) == expected
    notifier = Notifier({"NOTIFY_SOCKET": "@x", **env}, pid=pid)
    assert notifier.watchdog_interval() == expected


def test_watchdog_pid_defaults_to_this_process() -> None:
    env = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "2000000"}
    assert Notifier({**env, "WATCHDOG_PID": str(os.getpid())}).watchdog_interval() == 2.0
    assert Notifier({**env, "WATCHDOG_PID": str(os.getpid() + 1)}).watchdog_interval() is None


def test_status_is_one_line() -> None:
    assert one_line(" a\n b\t c ") == "a b c"


def test_systemd_backend_needs_os_environ() -> None:
    with pytest.raises(ValueError, match=r"os\.environ"):
        Notifier({"NOTIFY_SOCKET": "@x"}, backend="systemd")


def systemd_python_expected() -> bool:
    """CI installs libsystemd-dev so the real module is built and tested there."""
    if shutil.which("pkg-config") is None:
        return False
    found = subprocess.run(["pkg-config", "--exists", "libsystemd"], check=False)
    return found.returncode == 0


def test_real_systemd_module(abstract: FakeNotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("systemd.daemon") is None:
        if os.environ.get("CI") == "true" and systemd_python_expected():
            pytest.fail("libsystemd is present but systemd-python is not installed (bootstrap)")
        pytest.skip("systemd-python is not installed (the systemd extra)")
    monkeypatch.setenv("NOTIFY_SOCKET", abstract.value)
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    notifier = Notifier(backend="systemd")
    assert notifier.backend == "systemd"
    assert Notifier().backend == "systemd"  # auto prefers it
    assert notifier.watchdog_interval() == 4.0
    assert notifier.ready("real module")
    assert notifier.watchdog()
    assert [d.fields for d in abstract.drain()] == [
        {"READY": "1", "STATUS": "real module"},
        {"WATCHDOG": "1"},
    ]


def test_missing_systemd_module_falls_back(
    abstract: FakeNotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "systemd", None)
    monkeypatch.setitem(sys.modules, "systemd.daemon", None)
    monkeypatch.setenv("NOTIFY_SOCKET", abstract.value)
    assert Notifier().backend == "socket"
    with pytest.raises(ImportError):
        Notifier(backend="systemd")
    assert Notifier().ready()
    assert [d.fields for d in abstract.drain()] == [{"READY": "1"}]
