"""The configuration layer: schema defaults, every error class, secrets, dump_toml, the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from agent.config import (
    EX_CONFIG,
    AgentConfig,
    ConfigError,
    Line,
    Secret,
    config_for_demo,
    dump_toml,
    load_config,
    parse_config,
)
from agent.config.base import Section
from agent.config.errors import key_path
from agent.config.load import _syntax_problem
from agent.config_cli import add_parser
from agent.lines.sas.config import SasLine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
SRC = "floor.toml"
AGENT = '[agent]\nid = "floor-1"\n'
MACHINE = '[[lines.machines]]\naddress = 1\nid = "m1"\n'
SECRET_VALUE = "hunter2-VERY-SECRET"
AMQP_URL = f"amqp://floor:{SECRET_VALUE}@rabbit-1:5672/casino"


def sas(line: Line) -> SasLine:
    assert isinstance(line, SasLine)
    return line


def line(extra: str = "", machines: str = MACHINE, *, port: str = "/dev/ttyS0") -> str:
    return f'[[lines]]\nname = "bank-a"\nport = "{port}"\nprotocol = "sas"\n{extra}\n{machines}'


def text(*, agent: str = AGENT, lines: str | None = None, tail: str = "") -> str:
    return f"{agent}\n{line() if lines is None else lines}\n{tail}"


def problems(config_text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(config_text, SRC)
    assert info.value.source == SRC
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.problems)
    return lines


def the_problem(config_text: str) -> str:
    found = problems(config_text)
    assert len(found) == 1, found
    return found[0]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="floor-agent")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


# --- defaults -------------------------------------------------------------------------


def test_every_default() -> None:
    config = parse_config(text())
    assert config.agent.model_dump() == {
        "id": "floor-1",
        "data_dir": Path("/var/lib/floor-agent"),
        "currency": "USD",
    }
    (only,) = config.lines
    assert only.model_dump(exclude={"machines"}) == {
        "name": "bank-a",
        "port": "/dev/ttyS0",
        "protocol": "sas",
        "baud": 19200,
        "poll_interval_ms": 200,
        "reply_timeout_ms": 100,
        "inter_byte_gap_ms": 20,
        "retries": 2,
        "offline_after_failures": 30,
        "offline_after_s": 5.0,
        "meter_interval_s": 60.0,
        "real_time_events": False,
        "wakeup": "parity",
    }
    assert only.machines[0].model_dump() == {
        "address": 1,
        "id": "m1",
        "denomination_cents": None,
        "model": None,
    }
    assert config.store.model_dump() == {
        "path": None,
        "retention_days": 7,
        "max_size_mb": 1024,
        "when_full": "drop_delivered_first",
        "group_commit_ms": 2,
        "sync": "full",
    }
    assert config.upstream.model_dump() == {"amqp": None, "wss": None, "webhooks": None}
    assert config.http.model_dump() == {
        "listen": "127.0.0.1:8080",
        "tls_cert": None,
        "tls_key": None,
        "allow": ("127.0.0.0/8", "::1/128"),
        "trusted_proxies": (),
        "rate_limit_per_s": 20.0,
        "rate_burst": 100,
        "anonymous_role": "viewer",
        "audit_retention_days": 90,
        "tokens": (),
        "jwt": None,
    }
    assert config.logging.model_dump() == {
        "level": "info",
        "format": "text",
        "journal": False,
        "modules": {},
    }
    assert config.store_path == Path("/var/lib/floor-agent/events.sqlite")
    assert [(ln.name, m.id) for ln, m in config.machines()] == [("bank-a", "m1")]


@pytest.mark.parametrize(
    ("protocol", "port", "baud", "wakeup"),
    [
        ("sas", "/dev/ttyUSB0", 19200, "parity"),
        ("gapi", "/dev/ttyUSB0", 115200, None),  # GAPI runs 8N1: no wake-up bit at all
        ("sas", "/dev/pts/7", 19200, "parity"),
        ("sas", "socket://10.0.0.5:4001", 19200, "none"),
        ("sas", "rfc2217://moxa-1.floor:4001", 19200, "none"),
    ],
)
def test_baud_and_wakeup_follow_protocol_and_port(
    protocol: str, port: str, baud: int, wakeup: str | None
) -> None:
    lines = f'[[lines]]\nname = "a"\nport = "{port}"\nprotocol = "{protocol}"\n{MACHINE}'
    (only,) = parse_config(text(lines=lines)).lines
    assert (only.baud, getattr(only, "wakeup", None)) == (baud, wakeup)


def test_explicit_values_win_over_derived_defaults() -> None:
    extra = 'baud = 9600\nwakeup = "none"\noffline_after_s = 8\nreal_time_events = true'
    only = sas(parse_config(text(lines=line(extra))).lines[0])
    assert (only.baud, only.wakeup, only.offline_after_s, only.real_time_events) == (
        9600,
        "none",
        8.0,
        True,
    )


@pytest.mark.parametrize(
    ("store", "expected"),
    [('path = "buffer.db"', "/srv/fa/buffer.db"), ('path = "/data/ev.db"', "/data/ev.db")],
)
def test_store_path_is_taken_inside_data_dir_unless_absolute(store: str, expected: str) -> None:
    agent = AGENT + 'data_dir = "/srv/fa"\n'
    config = parse_config(text(agent=agent, tail=f"[store]\n{store}\n"))
    assert config.store_path == Path(expected)


def test_validated_parts_can_be_reused() -> None:
    config = parse_config(text())
    again = AgentConfig.model_validate({"agent": config.agent, "lines": list(config.lines)})
    assert again == config


def test_config_is_frozen() -> None:
    config = parse_config(text())
    with pytest.raises(ValidationError):
        config.agent.id = "other"


# --- errors: file, key path and reason ---------------------------------------------------


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        pytest.param(
            text(agent=AGENT + "flavour = 1\n"), "agent.flavour: unknown key", id="unknown-key"
        ),
        pytest.param(
            text(lines=line("poll_intervall_ms = 100")),
            "lines[0].poll_intervall_ms: unknown key (did you mean 'poll_interval_ms'?)",
            id="misspelt-key",
        ),
        pytest.param(text(tail="[bogus]\nx = 1\n"), "bogus: unknown key", id="unknown-section"),
        pytest.param(
            text(agent=AGENT + '"a.b" = 1\n'), 'agent."a.b": unknown key', id="quoted-key"
        ),
        pytest.param(
            text(lines=line('poll_interval_ms = "200"')),
            "lines[0].poll_interval_ms: Input should be a valid integer (got a string)",
            id="string-for-int",
        ),
        pytest.param(
            text(lines=line("retries = true")),
            "lines[0].retries: Input should be a valid integer (got a boolean)",
            id="bool-for-int",
        ),
        pytest.param(
            text(lines=line("retries = 1979-05-27")),
            "lines[0].retries: Input should be a valid integer (got a date or time)",
            id="date-for-int",
        ),
        pytest.param(
            text(lines=line("poll_interval_ms = 20")),
            "lines[0].poll_interval_ms: Input should be greater than or equal to 40, got 20",
            id="poll-too-fast",
        ),
        pytest.param(
            text(lines=line("retries = 6")),
            "lines[0].retries: Input should be less than or equal to 5, got 6",
            id="retries",
        ),
        pytest.param(
            text(lines=line("meter_interval_s = inf")),
            "lines[0].meter_interval_s: Input should be a finite number",
            id="infinite",
        ),
        pytest.param(
            text(lines=line('wakeup = "mark"')),
            "lines[0].wakeup: Input should be 'parity' or 'none', got 'mark'",
            id="bad-wakeup",
        ),
        pytest.param(
            text(lines=line(machines='[[lines.machines]]\naddress = 128\nid = "m1"\n')),
            "lines[0].machines[0].address: a SAS address is 1-127, got 128",
            id="sas-address",
        ),
        pytest.param(
            text(lines=line(machines='[[lines.machines]]\naddress = 0\nid = "m1"\n')),
            "lines[0].machines[0].address: Input should be greater than or equal to 1, got 0",
            id="address-zero",
        ),
        pytest.param(
            text(agent='[agent]\nid = "floor 1"\n'),
            "agent.id: use only letters, digits, '.', '_' and '-', got 'floor 1'",
            id="agent-id",
        ),
        pytest.param(text(agent="[agent]\n"), "agent.id: required key is missing", id="missing-id"),
        pytest.param(
            text(agent="agent = 5\n"),
            "agent: Input should be a table (got an integer)",
            id="section-not-table",
        ),
        pytest.param(
            text(agent=AGENT + "data_dir = 5\n"),
            "agent.data_dir: Input should be a path (a string) (got an integer)",
            id="path-type",
        ),
        pytest.param(
            text(agent=AGENT + 'data_dir = ""\n'),
            "agent.data_dir: a path cannot be empty",
            id="empty-path",
        ),
        pytest.param(
            text(agent=AGENT + 'currency = "usd"\n'),
            "agent.currency: expected an ISO 4217 code such as 'USD', got 'usd'",
            id="currency",
        ),
        pytest.param(
            text(lines=line(machines='[[lines.machines]]\naddress = 1\nid = "A.12"\n')),
            "lines[0].machines[0].id: use 1-64 letters, digits, '_' and '-'",
            id="machine-id-dot",
        ),
        pytest.param(text(lines=""), "lines: required key is missing", id="no-lines"),
        pytest.param(
            text(agent="lines = []\n" + AGENT, lines=""),
            "lines: at least one [[lines]] is required",
            id="empty-lines",
        ),
        pytest.param(
            text(agent='lines = ["bank-a"]\n' + AGENT, lines=""),
            "lines[0]: Input should be a table (got a string)",
            id="line-not-table",
        ),
        pytest.param(
            text(lines=line(machines="")),
            "lines[0].machines: required key is missing",
            id="no-machines",
        ),
        pytest.param(
            text(lines=line("machines = []", machines="")),
            "lines[0].machines: at least one [[lines.machines]] is required",
            id="empty-machines",
        ),
        pytest.param(
            text(tail='[store]\nwhen_full = "drop_oldest"\n'),
            "store.when_full: Input should be 'stop_acknowledging' or 'drop_delivered_first', "
            "got 'drop_oldest'",
            id="when-full",
        ),
        pytest.param(
            text(tail='[store]\nsync = "normal"\n'),
            "store.sync: only 'full' is allowed: an event must be on disk (synchronous=FULL) "
            "before its machine is acknowledged",
            id="sync",
        ),
        pytest.param(
            text(tail='[logging]\nlevel = "verbose"\n'),
            "logging.level: Input should be 'debug', 'info', 'warning' or 'error', got 'verbose'",
            id="log-level",
        ),
        pytest.param(
            text(tail="[upstream]\namqp = 5\n"),
            "upstream.amqp: Input should be a table (got an integer)",
            id="upstream-not-table",
        ),
        pytest.param(
            text(tail='[http]\ntls_cert = "/etc/fa/cert.pem"\n'),
            "http.tls_key: tls_cert is set without tls_key: set both or neither",
            id="cert-without-key",
        ),
        pytest.param(
            text(tail='[http]\ntls_key = "/etc/fa/key.pem"\n'),
            "http.tls_cert: tls_key is set without tls_cert: set both or neither",
            id="key-without-cert",
        ),
    ],
)
def test_each_error_names_file_key_and_reason(config_text: str, expected: str) -> None:
    found = problems(config_text)
    assert any(problem.startswith(f"{SRC}: {expected}") for problem in found), found


def test_every_problem_is_reported_at_once() -> None:
    bad = text(
        agent='[agent]\nid = "a b"\n',
        lines=line('retries = 9\nbaud = "fast"', port="COM3"),
        tail="[http]\nlisten = 8080\n",
    )
    keys = [p.split(": ")[1] for p in problems(bad)]
    assert keys == ["agent.id", "lines[0].port", "lines[0].baud", "lines[0].retries", "http.listen"]


def test_duplicates_point_back_at_the_first() -> None:
    bank_b = line(port="/dev//ttyS0").replace("bank-a", "bank-b")
    second = MACHINE.replace("m1", "m2")
    found = problems(text(lines=line(machines=MACHINE + second) + bank_b))
    assert found == [
        f"{SRC}: lines[0].machines[1].address: duplicate address 1 on this line "
        "(also at lines[0].machines[0].address)",
        f"{SRC}: lines[1].port: duplicate port '/dev//ttyS0' (also at lines[0].port)",
        f"{SRC}: lines[1].machines[0].id: duplicate machine id 'm1' "
        "(also at lines[0].machines[0].id)",
    ]


def test_duplicate_line_names_and_url_ports_compare_normalised() -> None:
    first = line(port="socket://Moxa-1:4001")
    second = line(port="socket://moxa-1:4001", machines=MACHINE.replace("m1", "m2"))
    found = problems(text(lines=first + second))
    assert found == [
        f"{SRC}: lines[1].name: duplicate line name 'bank-a' (also at lines[0].name)",
        f"{SRC}: lines[1].port: duplicate port 'socket://moxa-1:4001' (also at lines[0].port)",
    ]


def test_gapi_addresses_go_to_247() -> None:
    gapi = line(machines='[[lines.machines]]\naddress = 247\nid = "g"\n').replace('"sas"', '"gapi"')
    assert parse_config(text(lines=gapi)).lines[0].machines[0].address == 247
    assert "less than or equal to 247" in the_problem(text(lines=gapi.replace("247", "248")))


@pytest.mark.parametrize(
    "port",
    [
        "/dev/ttyS0",
        "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0",
        "socket://10.20.0.41:4001",
        "socket://moxa.floor.local.:4001",
        "socket://[fe80::1]:4001",
        "socket://h:4001/",
        "socket://h:4001?logging=debug",
        "rfc2217://moxa-1:4001?timeout=3&poll_modem",
    ],
)
def test_good_ports(port: str) -> None:
    assert parse_config(text(lines=line(port=port))).lines[0].port == port


@pytest.mark.parametrize(
    ("port", "reason"),
    [
        ("COM3", "not a device path such as /dev/ttyS0, or socket://HOST:PORT"),
        ("ttyS0", "not a device path"),
        ("tcp://h:4001", "unknown URL scheme 'tcp'"),
        ("socket://h", "expected socket://HOST:PORT, got 'socket://h'"),
        ("socket://:4001", "expected socket://HOST:PORT"),
        ("socket://h:4001/x", "expected socket://HOST:PORT"),
        ("socket://u@h:4001", "expected socket://HOST:PORT"),
        ("socket://h:4001#f", "expected socket://HOST:PORT"),
        ("socket://h:0", "the TCP port must be 1-65535, got '0'"),
        ("socket://h:70000", "the TCP port must be 1-65535"),
        ("rfc2217://h:telnet", "the TCP port must be 1-65535"),
        ("socket://bad_host:4001", "not a host name or IPv4 address: 'bad_host'"),
        ("socket://10.0.0.256:4001", "not a host name or IPv4 address"),
        ("socket://[zz::1]:4001", "not a valid URL: 'socket://[zz::1]:4001'"),
        ("socket://h:4001?timeout=3", "unknown option 'timeout'"),
        ("rfc2217://h:4001?a=1&&b", "unknown option 'a'"),
    ],
)
def test_bad_ports(port: str, reason: str) -> None:
    problem = the_problem(text(lines=line(port=port)))
    assert problem.startswith(f"{SRC}: lines[0].port: ")
    assert reason in problem


@pytest.mark.parametrize("listen", ["0.0.0.0:8080", "[::1]:8443", "agent.floor:80"])
def test_good_listen(listen: str) -> None:
    assert parse_config(text(tail=f'[http]\nlisten = "{listen}"\n')).http.listen == listen


@pytest.mark.parametrize(
    ("listen", "reason"),
    [
        ("8080", "expected HOST:PORT such as 127.0.0.1:8080"),
        (":8080", "expected HOST:PORT"),
        ("localhost", "expected HOST:PORT"),
        ("::1:8080", "write an IPv6 address in brackets"),
        ("[::g]:8080", "not an IPv6 address"),
        ("localhost:65536", "the TCP port must be 1-65535"),
        ("localhost:http", "the TCP port must be 1-65535"),
        ("a..b:80", "not a host name or IPv4 address"),
    ],
)
def test_bad_listen(listen: str, reason: str) -> None:
    problem = the_problem(text(tail=f'[http]\nlisten = "{listen}"\n'))
    assert problem.startswith(f"{SRC}: http.listen: ")
    assert reason in problem


def test_toml_syntax_error_gives_line_and_column() -> None:
    bad = AGENT + "[[lines]]\nname = bank-a\n"
    assert the_problem(bad) == f"{SRC}: line 4, column 8: invalid TOML: Invalid value"


def test_toml_syntax_error_at_end_of_file() -> None:
    assert the_problem(AGENT + "x = [1,") == f"{SRC}: end of file: invalid TOML: Invalid value"


def test_toml_error_without_a_position_is_kept_whole() -> None:
    assert _syntax_problem("odd").line(SRC) == f"{SRC}: invalid TOML: odd"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == f"{missing}: cannot read the file: No such file or directory"


def test_directory_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file: Is a directory"):
        load_config(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(text().encode() + b"# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin.toml: not UTF-8 text \(bad byte at offset"):
        load_config(latin)


def test_cross_checks_run_on_direct_construction() -> None:
    data = tomllib.loads(text(tail='[http]\ntls_key = "/k"\n'))
    with pytest.raises(ConfigError, match=r"^<config>: http\.tls_cert: "):
        AgentConfig.model_validate(data)


def test_key_path_spelling() -> None:
    assert key_path(("lines", 0, "machines", 2, "id")) == "lines[0].machines[2].id"
    assert key_path(("http", "auth", "a b", 1)) == 'http.auth."a b"[1]'
    assert key_path(()) == ""


# --- secrets ------------------------------------------------------------------------------


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_AMQP_URL", AMQP_URL)
    config = parse_config(text(tail='[upstream.amqp]\nurl = { env = "FA_AMQP_URL" }\n'))
    assert config.upstream.amqp is not None
    url = config.upstream.amqp.url
    assert isinstance(url, Secret)
    assert url.get_secret_value() == AMQP_URL
    assert url.reference == ("env", "FA_AMQP_URL")
    for shown in (repr(config), str(config), str(config.model_dump()), config.model_dump_json()):
        assert SECRET_VALUE not in shown
        assert "**********" in shown


def test_secret_from_file_loses_trailing_newlines(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(SECRET_VALUE + "\r\n\n", encoding="utf-8")
    tail = f'[upstream.wss]\nhub = {{ token = {{ file = "{token}" }} }}\n'
    config = parse_config(text(tail=tail))
    assert config.upstream.wss is not None
    secret = config.upstream.wss["hub"]["token"]
    assert secret == Secret(SECRET_VALUE)
    assert secret.reference == ("file", str(token))


def test_secret_like_keys_and_nested_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_T2", "t2")
    tail = (
        '[upstream.webhooks]\nadmin_token = "literal"\nnote = "plain"\nsecret = 5\n'
        '[[upstream.webhooks.users]]\nname = "tech"\ntokens = ["a", { env = "FA_T2" }]\n'
    )
    auth = parse_config(text(tail=tail)).upstream.webhooks
    assert auth is not None
    assert auth["admin_token"] == Secret("literal")
    assert auth["admin_token"].reference is None
    assert (auth["note"], auth["secret"]) == ("plain", 5)
    assert auth["users"][0]["tokens"] == ["a", Secret("t2")]


def test_references_outside_secret_sections_are_not_resolved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FA_PORT", "/dev/ttyS1")
    bad = text(lines=line().replace('"/dev/ttyS0"', '{ env = "FA_PORT" }'))
    assert the_problem(bad) == (
        f"{SRC}: lines[0].port: Input should be a valid string (got a table)"
    )


def test_secret_key_outside_secret_sections_is_resolved_then_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FA_PW", SECRET_VALUE)
    bad = text(agent=AGENT + 'password = { env = "FA_PW" }\n')
    assert the_problem(bad) == f"{SRC}: agent.password: unknown key"


def test_a_plain_setting_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_LISTEN", "0.0.0.0:9000")
    config = parse_config(text(tail='[http]\nlisten = { env = "FA_LISTEN" }\n'))
    assert config.http.listen == "0.0.0.0:9000"
    assert 'listen = "0.0.0.0:9000"' in dump_toml(config)


def test_a_secret_where_a_table_belongs_is_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_AMQP", SECRET_VALUE)
    bad = text(tail='[upstream]\namqp = { env = "FA_AMQP" }\nwss = { env = "FA_AMQP" }\n')
    assert problems(bad) == [
        f"{SRC}: upstream.amqp: Input should be a table (got a secret string)",
        f"{SRC}: upstream.wss: Input should be a valid dictionary (got a secret string)",
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('{ env = "FA_UNSET_VARIABLE" }', "environment variable FA_UNSET_VARIABLE is not set"),
        ('{ file = "/nonexistent/fa-secret" }', "cannot read secret file /nonexistent/fa-secret:"),
        ("{ env = 5 }", "must be the name of an environment variable"),
        ('{ file = "" }', "must be the name of a file"),
    ],
)
def test_unresolvable_secrets_name_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    monkeypatch.delenv("FA_UNSET_VARIABLE", raising=False)
    problem = the_problem(text(tail=f"[upstream.wss]\npassword = {value}\n"))
    assert problem.startswith(f"{SRC}: upstream.wss.password")
    assert reason in problem


def test_secret_file_that_is_not_text(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"\xff\xfe\x00")
    problem = the_problem(text(tail=f'[upstream.wss]\ntoken = {{ file = "{blob}" }}\n'))
    assert problem == f"{SRC}: upstream.wss.token: secret file {blob} is not UTF-8 text"


def test_secret_problems_come_with_the_other_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FA_UNSET_VARIABLE", raising=False)
    bad = text(
        lines=line("retries = 9"),
        tail='[http]\nlisten = { env = "FA_UNSET_VARIABLE" }\n',
    )
    assert problems(bad) == [
        f"{SRC}: http.listen: environment variable FA_UNSET_VARIABLE is not set",
        f"{SRC}: lines[0].retries: Input should be less than or equal to 5, got 9",
    ]
    bad_cross = text(
        lines=line(machines=MACHINE + MACHINE),
        tail='[upstream.wss]\ntoken = { env = "FA_UNSET_VARIABLE" }\n',
    )
    assert [p.split(": ")[1] for p in problems(bad_cross)] == [
        "upstream.wss.token",
        "lines[0].machines[1].id",
        "lines[0].machines[1].address",
    ]


def test_secrets_never_appear_in_error_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_PW", SECRET_VALUE)
    bad = text(
        lines=line(f'baud = "{SECRET_VALUE[:3]}"\nretries = 9'),
        tail=(
            f'[upstream.amqp]\nurl = "amqp://u:{SECRET_VALUE}@bad_host:0/"\n'
            '[upstream.webhooks]\npassword = { env = "FA_PW" }\n'
            f'[upstream.wss]\ntoken = "{SECRET_VALUE}"\n'
            '[http]\ntls_cert = { env = "FA_PW" }\nauth = { env = "FA_PW" }\n'
            f'[logging]\nlevel = {{ env = "FA_PW" }}\n[bogus]\npassword = "{SECRET_VALUE}"\n'
        ),
    )
    with pytest.raises(ConfigError) as info:
        parse_config(bad, SRC)
    assert len(info.value.problems) >= 4
    assert SECRET_VALUE not in str(info.value)
    assert SECRET_VALUE not in repr(info.value.__cause__)
    assert SECRET_VALUE not in str(info.value.__cause__)


def test_secret_is_a_pydantic_type() -> None:
    class Sink(BaseModel):
        password: Secret

    assert isinstance(Sink(password="x").password, Secret)  # type: ignore[arg-type]
    kept = Secret("y", ("env", "Y"))
    assert Sink(password=kept).password.reference == ("env", "Y")
    assert str(kept) == "**********"
    assert repr(kept) == "Secret('**********')"


# --- dump_toml ----------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_load_and_round_trip(example: Path) -> None:
    config = load_config(example)
    assert parse_config(dump_toml(config)) == config


def test_examples_are_the_documented_ones() -> None:
    assert [p.name for p in EXAMPLES] == ["amqp.toml", "floor-agent.toml", "minimal.toml"]
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert all(f"(../examples/{p.name})" in docs for p in EXAMPLES)
    floor = load_config(ROOT / "examples" / "floor-agent.toml")
    assert [ln.port for ln in floor.lines] == ["/dev/ttyS0", "socket://10.20.0.41:4001"]
    assert [sas(ln).wakeup for ln in floor.lines] == ["parity", "none"]


def test_dump_writes_secret_references_not_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FA_AMQP_URL", AMQP_URL)
    token = tmp_path / "token"
    token.write_text("tok\n", encoding="utf-8")
    tail = (
        '[upstream.amqp]\nurl = { env = "FA_AMQP_URL" }\n'
        f'[upstream.wss]\ntoken = {{ file = "{token}" }}\npassword = "literal"\n'
    )
    config = parse_config(text(tail=tail))
    dumped = dump_toml(config)
    assert SECRET_VALUE not in dumped
    assert 'url = { env = "FA_AMQP_URL" }' in dumped
    assert f'token = {{ file = "{token}" }}' in dumped
    assert 'password = "literal"' in dumped
    assert parse_config(dumped) == config


def test_dump_handles_awkward_free_form_values() -> None:
    tail = r"""
[upstream.webhooks]
"needs quotes" = "tab\there \"q\" back\\slash é"
control = "\u0000\u007f\u001b"
big = 1e16
small = 1.5e-7
whole = 3.0
neg_inf = -inf
pos_inf = inf
when = 2026-11-22T10:15:03.120000Z
local = 2026-11-22T10:15:03
day = 2026-11-22
at = 10:15:03.5
mixed = [1, "a", [true], { k = [] }, { env2 = 1 }]
empty = {}
empty_list = []
[[upstream.webhooks.targets]]
url = "https://example.test/hook"
headers = { "X-Key" = "v" }
[upstream.webhooks.targets.retry]
max = 5
[[upstream.webhooks.targets]]
url = "https://example.test/other"
"""
    config = parse_config(text(tail=tail))
    dumped = dump_toml(config)
    assert parse_config(dumped) == config
    assert dump_toml(parse_config(dumped)) == dumped
    assert "[[upstream.webhooks.targets]]" in dumped


def test_dump_refuses_values_toml_cannot_hold() -> None:
    config = parse_config(text())
    upstream = config.upstream.model_copy(update={"wss": {"x": {1}}})
    odd = config.model_copy(update={"upstream": upstream})
    with pytest.raises(TypeError, match="cannot write set as TOML"):
        dump_toml(odd)


def test_dump_writes_nan() -> None:
    config = parse_config(text(tail="[upstream.wss]\nx = nan\n"))
    assert "x = nan" in dump_toml(config)


_BARE = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
_NAME = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_FREE_KEY = (_BARE | _TEXT).filter(
    lambda k: k not in ("env", "file") and not re.fullmatch(r"(.*_)?(password|token|secret)", k)
)
_SCALAR = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | _TEXT
    | st.dates()
    | st.times()
    | st.datetimes()
    | st.datetimes(timezones=st.just(dt.UTC))
)
_FREE = st.dictionaries(
    _FREE_KEY,
    st.recursive(
        _SCALAR,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_FREE_KEY, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=4,
)


_AMQP_NAME = st.from_regex(r"[A-Za-z0-9._:-]{1,16}", fullmatch=True).filter(
    lambda n: not n.startswith("amq.")
)
_BINDING = st.lists(_BARE | st.sampled_from(["*", "#"]), min_size=1, max_size=4).map(".".join)
_ARGUMENT = st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT


@st.composite
def broker_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["amqp", "amqps"]))
    user = quote(draw(_TEXT), safe="")
    password = draw(st.none() | _TEXT.map(lambda p: ":" + quote(p, safe="")))
    userinfo = f"{user}{password or ''}@" if user or password else ""
    host = draw(st.sampled_from(["rabbit-1", "10.0.0.7", "[::1]", "Rabbit.floor.local"]))
    port = draw(st.none() | st.integers(1, 65535))
    vhost = draw(st.sampled_from(["", "/", "/casino", "/%2F"]))
    return f"{scheme}://{userinfo}{host}{'' if port is None else f':{port}'}{vhost}"


@st.composite
def amqp(draw: st.DrawFn) -> dict[str, Any]:
    table: dict[str, Any] = (
        {"url": draw(broker_urls())}
        if draw(st.booleans())
        else {"urls": draw(st.lists(broker_urls(), min_size=1, max_size=3))}
    )
    table |= draw(
        st.fixed_dictionaries(
            {},
            optional={
                "exchange": _AMQP_NAME,
                "encoding": st.sampled_from(["protobuf", "json"]),
                "window": st.integers(1, 10_000),
                "publish_timeout_s": st.floats(0.001, 600),
                "connect_timeout_s": st.integers(1, 600),
                "heartbeat_s": st.integers(0, 3600),
                "app_id": _TEXT.filter(bool),
                "declare": st.booleans(),
            },
        )
    )
    if draw(st.booleans()):
        low = draw(st.floats(0.001, 1e5))
        table |= {"reconnect_min_s": low, "reconnect_max_s": draw(st.floats(low, 1e6))}
    names = draw(st.lists(_AMQP_NAME, max_size=3, unique=True))
    table["queues"] = [
        {"name": name, "bindings": draw(st.lists(_BINDING, min_size=1, max_size=3))}
        | draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": st.sampled_from(["classic", "quorum"]),
                    "arguments": st.dictionaries(_BARE.map("x-".__add__), _ARGUMENT, max_size=3),
                },
            )
        )
        for name in names
    ]
    return table


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    names = draw(st.lists(_NAME, min_size=count, max_size=count, unique=True))
    ids = iter(draw(st.lists(_BARE, min_size=9, max_size=9, unique=True)))
    lines = []
    for n, name in enumerate(names):
        protocol = draw(st.sampled_from(["sas", "gapi"]))
        port = draw(st.sampled_from([f"/dev/ttyS{n}", f"socket://10.0.0.{n + 1}:4001"]))
        addresses = draw(st.lists(st.integers(1, 127), min_size=1, max_size=3, unique=True))
        line: dict[str, Any] = {"name": name, "port": port, "protocol": protocol}
        line["machines"] = [
            {"address": a, "id": next(ids)}
            | draw(
                st.fixed_dictionaries(
                    {}, optional={"model": _TEXT, "denomination_cents": st.integers(1, 10_000)}
                )
            )
            for a in addresses
        ]
        line |= draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "baud": st.integers(1, 4_000_000),
                    "poll_interval_ms": st.integers(40, 5000),
                    "retries": st.integers(0, 5),
                    "offline_after_s": st.floats(0.001, 1e6),
                },
            )
        )
        if protocol == "sas":  # the SAS line's own keys
            line |= draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "real_time_events": st.booleans(),
                        "wakeup": st.sampled_from(["parity", "none"]),
                    },
                )
            )
        lines.append(line)
    config: dict[str, Any] = {
        "agent": {"id": draw(_NAME), "data_dir": "/srv/" + draw(_BARE)},
        "lines": lines,
    }
    config["store"] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "path": _BARE,
                "when_full": st.sampled_from(["stop_acknowledging", "drop_delivered_first"]),
            },
        )
    )
    config["upstream"] = draw(
        st.fixed_dictionaries({}, optional={"amqp": amqp(), "wss": _FREE, "webhooks": _FREE})
    )
    config["http"] = {}
    if draw(st.booleans()):
        config["http"] |= {"tls_cert": "/etc/c.pem", "tls_key": "/etc/k.pem"}
    return config


@settings(max_examples=150, deadline=None)
@given(configs())
def test_dump_toml_round_trips_generated_configs(data: dict[str, Any]) -> None:
    config = AgentConfig.model_validate(data)
    dumped = dump_toml(config)
    assert parse_config(dumped) == config
    assert dump_toml(parse_config(dumped)) == dumped


# --- demo config, docs, CLI ---------------------------------------------------------------


def test_config_for_demo(tmp_path: Path) -> None:
    config = config_for_demo(
        [("/dev/pts/3", [(1, "sim-001"), (2, "sim-002")]), ("/dev/pts/4", [(1, "sim-003")])],
        tmp_path,
    )
    assert [ln.name for ln in config.lines] == ["line-1", "line-2"]
    assert {sas(ln).wakeup for ln in config.lines} == {"none"}
    assert [m.id for _, m in config.machines()] == ["sim-001", "sim-002", "sim-003"]
    assert config.store_path == tmp_path / "events.sqlite"
    assert parse_config(dump_toml(config)) == config


def test_config_for_demo_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^<demo config>: lines\[0\]\.machines\[1\]\.id: "):
        config_for_demo([("/dev/pts/3", [(1, "x"), (2, "x")])], tmp_path)


def test_docs_name_every_key() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [Section]
    for model in models:  # every section model, protocol line models included
        models += [sub for sub in model.__subclasses__() if sub not in models]
    keys = {name for model in models for name in model.model_fields}
    assert {"wakeup", "real_time_events", "inter_byte_gap_ms"} <= keys
    missing = sorted(key for key in keys if not re.search(rf"[`\[.]{key}[`\]]", docs))
    assert not missing
    assert "78" in docs
    assert "Secret" in docs


def test_cli_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    example = ROOT / "examples" / "floor-agent.toml"
    assert run_cli("config", "check", str(example)) == 0
    assert capsys.readouterr().out == f"{example}: OK (2 lines, 5 machines)\n"
    minimal = ROOT / "examples" / "minimal.toml"
    assert run_cli("config", "check", str(minimal)) == 0
    assert capsys.readouterr().out == f"{minimal}: OK (1 line, 1 machine)\n"
    amqp = ROOT / "examples" / "amqp.toml"
    assert run_cli("config", "check", str(amqp)) == 0
    assert capsys.readouterr().out == f"{amqp}: OK (1 line, 1 machine)\n"


def test_cli_check_fails_with_78(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text(lines=line("retries = 9")), encoding="utf-8")
    assert run_cli("config", "check", str(bad)) == EX_CONFIG == 78
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err == f"{bad}: lines[0].retries: Input should be less than or equal to 5, got 9\n"
    )
    assert run_cli("config", "check", str(tmp_path / "missing.toml")) == 78


def test_cli_config_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli("config")
    assert info.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err
