"""scripts/install, scripts/uninstall and scripts/bundle, run for real into temporary roots.

The installer runs with ``DESTDIR`` (no user is created and no owner changed there, so
these tests do not touch the host), builds a real venv and installs the package in it.
The offline bundle is built once per session and installed with the network made
unusable: no index, no pip configuration, and a proxy that refuses every connection.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
UNIT = REPO / "systemd" / "floor-agent.service"
PLACEHOLDER_UNIT = """\
[Unit]
Description=floor-agent (test placeholder)

[Service]
ExecStart=/opt/floor-agent/venv/bin/floor-agent run --config /etc/floor-agent/agent.toml
"""
DEV_ONLY = ("pytest", "hypothesis", "mypy", "ruff", "coverage", "playwright", "schemathesis")


def unit_args(tmp: Path) -> list[str]:
    """The real unit when it exists, otherwise a placeholder (it is written by another part)."""
    if UNIT.exists():
        return []
    placeholder = tmp / "placeholder.service"
    placeholder.write_text(PLACEHOLDER_UNIT)
    return ["--unit", str(placeholder)]


def run(
    args: list[str | Path], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def destdir_env(root: Path) -> dict[str, str]:
    return {**os.environ, "DESTDIR": str(root), "PYTHON": sys.executable}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def offline_env(root: Path | None = None) -> dict[str, str]:
    """An environment in which pip can reach nothing but the wheelhouse it is given."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PIP_", "NO_PROXY"))}
    proxy = "http://127.0.0.1:9"  # the discard port: every connection is refused
    env.update(
        PIP_NO_INDEX="1",
        PIP_CONFIG_FILE=os.devnull,
        https_proxy=proxy,
        http_proxy=proxy,
        HTTPS_PROXY=proxy,
        HTTP_PROXY=proxy,
    )
    if root is not None:
        env["DESTDIR"] = str(root)
    return env


# --- the installer from the source checkout ------------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("install")
    root = tmp / "root"
    run([SCRIPTS / "install", *unit_args(tmp)], env=destdir_env(root))
    return root


def test_install_creates_the_venv_config_data_and_unit(installed: Path) -> None:
    venv = installed / "opt/floor-agent/venv"
    version = run([venv / "bin/floor-agent", "--version"])
    assert version.stdout.startswith("floor-agent ")
    config = installed / "etc/floor-agent/agent.toml"
    assert config.read_text() == (REPO / "examples/floor-agent.toml").read_text()
    assert mode(config) == 0o640
    assert mode(config.parent) == 0o750
    run([venv / "bin/floor-agent", "config", "check", config])
    data = installed / "var/lib/floor-agent"
    assert data.is_dir()
    assert mode(data) == 0o750
    unit = installed / "etc/systemd/system/floor-agent.service"
    assert "ExecStart=/opt/floor-agent/venv/bin/floor-agent run" in unit.read_text()
    assert mode(unit) == 0o644
    if (REPO / "docs/service.md").exists():  # the unit's Documentation=
        assert (installed / "opt/floor-agent/docs/service.md").is_file()
    # the venv is readable and runnable by the service user, whatever umask root has
    assert mode(venv / "bin/python") & 0o005 == 0o005


def test_upgrade_keeps_config_and_data(installed: Path, tmp_path: Path) -> None:
    config = installed / "etc/floor-agent/agent.toml"
    edited = config.read_text().replace('id = "floor-1"', 'id = "floor-7"')
    config.write_text(edited)
    store = installed / "var/lib/floor-agent/events.sqlite"
    store.write_bytes(b"not delivered yet")
    result = run([SCRIPTS / "install", *unit_args(tmp_path)], env=destdir_env(installed))
    assert "kept the existing configuration /etc/floor-agent/agent.toml" in result.stdout
    assert "upgrading the venv" in result.stdout
    assert config.read_text() == edited
    assert store.read_bytes() == b"not delivered yet"
    run([installed / "opt/floor-agent/venv/bin/floor-agent", "config", "check", config])


def test_uninstall_keeps_config_and_data_and_purge_removes_them(installed: Path) -> None:
    env = destdir_env(installed)
    run([SCRIPTS / "uninstall"], env=env)
    assert not (installed / "opt/floor-agent").exists()
    assert not (installed / "etc/systemd/system/floor-agent.service").exists()
    assert (installed / "etc/floor-agent/agent.toml").exists()
    assert (installed / "var/lib/floor-agent/events.sqlite").exists()
    run([SCRIPTS / "uninstall"], env=env)  # again: nothing left to do, still fine
    run([SCRIPTS / "uninstall", "--purge"], env=env)
    assert not (installed / "etc/floor-agent").exists()
    assert not (installed / "var/lib/floor-agent").exists()


# --- the offline bundle --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/bundle, built once per session (reusing the pip cache), and unpacked."""
    tmp = tmp_path_factory.mktemp("bundle")
    result = run(
        [SCRIPTS / "bundle", "--out", tmp / "dist", "--python", sys.executable, *unit_args(tmp)]
    )
    (tarball,) = (tmp / "dist").glob("floor-agent-*-offline.tar.gz")
    assert str(tarball) in result.stdout
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp / "unpacked", filter="data")
    (unpacked,) = (tmp / "unpacked").iterdir()
    assert unpacked.name == tarball.name.removesuffix(".tar.gz")
    return unpacked


def test_bundle_holds_the_installer_unit_examples_and_runtime_wheels(bundle: Path) -> None:
    for name in ("install", "uninstall", "INSTALL.txt", "README.md"):
        assert (bundle / name).is_file(), name
    assert os.access(bundle / "install", os.X_OK)
    assert (bundle / "systemd/floor-agent.service").is_file()
    assert (bundle / "examples/floor-agent.toml").is_file()
    built_for = (bundle / "wheelhouse/BUILT-FOR").read_text()
    assert f"python={sys.version_info[0]}.{sys.version_info[1]}\n" in built_for
    wheels = {w.name.split("-")[0].lower() for w in (bundle / "wheelhouse").glob("*.whl")}
    assert {"floor_agent", "pyserial", "fastapi", "aio_pika", "pydantic_core"} <= wheels
    assert not wheels & set(DEV_ONLY)


def test_bundle_installs_in_a_fresh_venv_with_no_network(bundle: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    env = offline_env()
    pip: list[str | Path] = [venv / "bin/python", "-m", "pip", "--disable-pip-version-check"]
    run(
        [*pip, "install", "--no-index", "--find-links", bundle / "wheelhouse", "floor-agent"],
        env=env,
    )
    example = bundle / "examples/floor-agent.toml"
    result = run([venv / "bin/floor-agent", "config", "check", example], env=env)
    assert "OK" in result.stdout


def test_bundle_installer_runs_offline(bundle: Path, tmp_path: Path) -> None:
    """What a technician types on an air-gapped PC: ./install --wheelhouse wheelhouse."""
    root = tmp_path / "root"
    env = {**offline_env(root), "PYTHON": sys.executable}
    result = run(["./install", "--wheelhouse", "wheelhouse"], env=env, cwd=bundle)
    assert "no network" in result.stdout
    config = root / "etc/floor-agent/agent.toml"
    run([root / "opt/floor-agent/venv/bin/floor-agent", "config", "check", config], env=env)
    assert (root / "etc/systemd/system/floor-agent.service").is_file()


def test_bundle_for_another_python_is_refused_with_a_reason(bundle: Path, tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    (wheelhouse / "floor_agent-0.0.0-py3-none-any.whl").write_bytes(b"")
    (wheelhouse / "BUILT-FOR").write_text("python=3.99\n")
    result = subprocess.run(
        [bundle / "install", "--wheelhouse", wheelhouse],
        env={**offline_env(tmp_path / "root"), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "built for Python 3.99" in result.stderr
    assert not (tmp_path / "root/opt/floor-agent/venv").exists()


def test_install_without_root_or_destdir_refuses() -> None:
    command: list[str | Path] = [SCRIPTS / "install"]
    if os.geteuid() == 0:  # as the nobody user, or the installer would really install
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "run as root" in result.stderr
