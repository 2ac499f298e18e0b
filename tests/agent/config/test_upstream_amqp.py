"""``[upstream.amqp]``: the typed section, every rule at its key, secrets, redact_url, dump_toml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.config import (
    DEMO_QUEUE,
    DEMO_QUEUE_LENGTH,
    AmqpQueue,
    AmqpUpstream,
    ConfigError,
    Secret,
    config_for_demo,
    dump_toml,
    load_config,
    parse_config,
    redact_url,
)
from agent.config.upstream import amqp_problems

SRC = "floor.toml"
HEAD = (
    '[agent]\nid = "floor-1"\n\n[[lines]]\nname = "bank-a"\nport = "/dev/ttyS0"\n'
    'protocol = "sas"\n\n[[lines.machines]]\naddress = 1\nid = "m1"\n\n'
)
PASSWORD = "hunter2-VERY-SECRET"
URL = f"amqp://floor:{PASSWORD}@rabbit-1:5672/casino"
MINIMAL = f'[upstream.amqp]\nurl = "{URL}"\n'
QUEUE = '[[upstream.amqp.queues]]\nname = "q"\nbindings = ["#"]\n'
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "amqp.toml"


def amqp(tail: str) -> AmqpUpstream:
    config = parse_config(HEAD + tail, SRC)
    assert config.upstream.amqp is not None
    return config.upstream.amqp


def problems(tail: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(HEAD + tail, SRC)
    return str(info.value).splitlines()


def the_problem(tail: str) -> str:
    found = problems(tail)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def pem(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for path in files.values():
        path.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    return files


# --- valid sections -----------------------------------------------------------------------


def test_minimal_section_takes_every_default() -> None:
    settings = amqp(MINIMAL)
    assert settings.model_dump(exclude={"url"}) == {
        "urls": (),
        "exchange": "floor.events",
        "encoding": "protobuf",
        "window": 256,
        "publish_timeout_s": 15.0,
        "connect_timeout_s": 10.0,
        "heartbeat_s": 30,
        "reconnect_min_s": 0.5,
        "reconnect_max_s": 30.0,
        "ca_file": None,
        "cert_file": None,
        "key_file": None,
        "app_id": "floor-agent",
        "declare": True,
        "queues": (),
    }
    assert settings.broker_urls() == (URL,)
    assert parse_config(HEAD).upstream.amqp is None


def test_full_section(pem: dict[str, Path]) -> None:
    tail = f"""
[upstream.amqp]
urls = ["amqps://floor:pw@rabbit-1:5671/casino", "amqps://[fd00::2]/casino", "amqps://10.0.0.3"]
exchange = "casino:floor.events_v1"
encoding = "json"
window = 10000
publish_timeout_s = 600
connect_timeout_s = 0.5
heartbeat_s = 0
reconnect_min_s = 2
reconnect_max_s = 2.0
ca_file = "{pem["ca"]}"
cert_file = "{pem["cert"]}"
key_file = "{pem["key"]}"
app_id = "floor-agent/bank-a"
declare = false

[[upstream.amqp.queues]]
name = "cms.ledger"
bindings = ["#"]
type = "quorum"

[[upstream.amqp.queues]]
name = "dashboard.floor"
bindings = ["entries.#", "system.*.Slot-A01", "cash.bill_Accepted-2.*"]
type = "classic"
arguments = {{ "x-max-length" = 100000, "x-overflow" = "reject-publish", "x-lazy" = true }}
"""
    settings = amqp(tail)
    assert settings.url is None
    assert settings.broker_urls() == (
        "amqps://floor:pw@rabbit-1:5671/casino",
        "amqps://[fd00::2]/casino",
        "amqps://10.0.0.3",
    )
    assert (settings.exchange, settings.encoding, settings.window) == (
        "casino:floor.events_v1",
        "json",
        10000,
    )
    assert (settings.publish_timeout_s, settings.connect_timeout_s, settings.heartbeat_s) == (
        600.0,
        0.5,
        0,
    )
    assert isinstance(settings.publish_timeout_s, float)
    assert (settings.reconnect_min_s, settings.reconnect_max_s) == (2.0, 2.0)
    assert (settings.ca_file, settings.cert_file, settings.key_file) == (
        pem["ca"],
        pem["cert"],
        pem["key"],
    )
    assert (settings.app_id, settings.declare) == ("floor-agent/bank-a", False)
    assert settings.queues == (
        AmqpQueue(name="cms.ledger", bindings=("#",), type="quorum"),
        AmqpQueue(
            name="dashboard.floor",
            bindings=("entries.#", "system.*.Slot-A01", "cash.bill_Accepted-2.*"),
            arguments={"x-max-length": 100000, "x-overflow": "reject-publish", "x-lazy": True},
        ),
    )
    assert settings.queues[0].arguments == {}


def test_example_file_loads() -> None:
    settings = load_config(EXAMPLE).upstream.amqp
    assert settings is not None
    assert settings.broker_urls() == ("amqp://guest:guest@127.0.0.1:5672/",)
    assert [(q.name, q.type) for q in settings.queues] == [
        ("floor.ledger", "quorum"),
        ("floor.dashboard", "classic"),
    ]
    assert settings.queues[1].arguments == {"x-max-length": 100000, "x-overflow": "reject-publish"}


def test_direct_construction_for_sinks_and_tests() -> None:
    settings = AmqpUpstream(urls=("amqp://a", Secret("amqp://b")))  # type: ignore[arg-type]
    assert settings.broker_urls() == ("amqp://a", "amqp://b")
    assert amqp_problems(settings, "upstream.amqp") == []
    assert AmqpUpstream(url="amqp://h", urls=()).broker_urls() == ("amqp://h",)  # type: ignore[arg-type]
    assert [p.key for p in amqp_problems(AmqpUpstream(), "x")] == ["x.url"]


# --- the URL is a secret ------------------------------------------------------------------


def test_a_literal_url_is_a_secret_written_back_literally() -> None:
    config = parse_config(HEAD + MINIMAL)
    assert config.upstream.amqp is not None
    url = config.upstream.amqp.url
    assert isinstance(url, Secret)
    assert url.reference is None
    for shown in (repr(config), str(config), str(config.model_dump()), config.model_dump_json()):
        assert PASSWORD not in shown
    dumped = dump_toml(config)
    assert f'url = "{URL}"' in dumped  # the user's own file: a literal stays a literal
    assert parse_config(dumped) == config


def test_urls_from_environment_and_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FA_AMQP_1", URL)
    second = tmp_path / "url-2"
    second.write_text("amqps://floor:pw2@rabbit-2/casino\n", encoding="utf-8")
    tail = (
        f'[upstream.amqp]\nurls = [{{ env = "FA_AMQP_1" }}, {{ file = "{second}" }}, '
        '"amqp://rabbit-3"]\n'
    )
    config = parse_config(HEAD + tail, SRC)
    settings = config.upstream.amqp
    assert settings is not None
    assert settings.broker_urls() == (URL, "amqps://floor:pw2@rabbit-2/casino", "amqp://rabbit-3")
    assert [url.reference for url in settings.urls] == [
        ("env", "FA_AMQP_1"),
        ("file", str(second)),
        None,
    ]
    dumped = dump_toml(config)
    assert PASSWORD not in dumped
    assert "pw2" not in dumped
    assert f'urls = [{{ env = "FA_AMQP_1" }}, {{ file = "{second}" }}, "amqp://rabbit-3"]' in dumped
    assert parse_config(dumped) == config


def test_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_AMQP_URL", URL)
    config = parse_config(HEAD + '[upstream.amqp]\nurl = { env = "FA_AMQP_URL" }\n')
    assert config.upstream.amqp is not None
    assert config.upstream.amqp.broker_urls() == (URL,)
    assert config.upstream.amqp.url is not None
    assert config.upstream.amqp.url.reference == ("env", "FA_AMQP_URL")
    dumped = dump_toml(config)
    assert 'url = { env = "FA_AMQP_URL" }' in dumped
    assert PASSWORD not in dumped
    assert parse_config(dumped) == config


def test_other_strings_may_be_references_and_get_the_plain_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pem: dict[str, Path]
) -> None:
    monkeypatch.setenv("FA_EXCHANGE", "site-7.events")
    monkeypatch.setenv("FA_ENCODING", "json")
    monkeypatch.setenv("FA_CA", str(pem["ca"]))
    monkeypatch.setenv("FA_OVERFLOW", "drop-head")
    tail = (
        '[upstream.amqp]\nurl = "amqps://h"\nexchange = { env = "FA_EXCHANGE" }\n'
        'encoding = { env = "FA_ENCODING" }\nca_file = { env = "FA_CA" }\n'
        '[[upstream.amqp.queues]]\nname = { env = "FA_EXCHANGE" }\n'
        'bindings = [{ env = "FA_EXCHANGE" }]\n'
        'arguments = { "x-overflow" = { env = "FA_OVERFLOW" } }\n'
    )
    config = parse_config(HEAD + tail)
    settings = config.upstream.amqp
    assert settings is not None
    assert (settings.exchange, settings.encoding, settings.ca_file) == (
        "site-7.events",
        "json",
        pem["ca"],
    )
    assert settings.queues[0].bindings == ("site-7.events",)
    assert settings.queues[0].arguments == {"x-overflow": "drop-head"}
    assert parse_config(dump_toml(config)) == config


def test_no_message_shows_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_AMQP_URL", f"amqp://u:{PASSWORD}@bad_host/")
    bad = [
        f"http://u:{PASSWORD}@h/",
        f"amqp://u:{PASSWORD}@h:99999/",
        f"amqp://u:{PASSWORD}@h:port/",
        f"amqp://u:{PASSWORD}/x@h/",
        f"amqp://u:{PASSWORD}@[zz::1]/",
        f"amqp://u:{PASSWORD}@/vh",
        f"{PASSWORD}",
    ]
    urls = ", ".join(f'"{url}"' for url in bad)
    found = problems(
        f'[upstream.amqp]\nurl = {{ env = "FA_AMQP_URL" }}\nurls = [{urls}]\nwindow = "{PASSWORD}"'
    )
    assert len(found) == len(bad) + 2
    assert f"{SRC}: upstream.amqp.url: not a host name or IPv4 address: 'bad_host'" in found[0]
    assert all(PASSWORD not in problem for problem in found), found


# --- every rule at its key ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        pytest.param(
            "[upstream.amqp]\n",
            "upstream.amqp.url: required key is missing: set url (one broker) or urls (a cluster)",
            id="neither",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://a"\nurls = ["amqp://b"]\n',
            "upstream.amqp.urls: url is set too: set url (one broker) or urls (a cluster), "
            "not both",
            id="both",
        ),
        pytest.param(
            "[upstream.amqp]\nurls = []\n",
            "upstream.amqp.urls: at least one broker URL is required",
            id="empty-urls",
        ),
        pytest.param(
            "[upstream]\namqp = 5\n",
            "upstream.amqp: Input should be a table (got an integer)",
            id="not-a-table",
        ),
        pytest.param(
            MINIMAL + "exchang = 'x'\n",
            "upstream.amqp.exchang: unknown key (did you mean 'exchange'?)",
            id="misspelt",
        ),
        pytest.param(
            '[upstream.amqp]\nurls = "amqp://h"\n',
            "upstream.amqp.urls: Input should be a valid tuple (got a string)",
            id="urls-not-array",
        ),
        pytest.param(
            "[upstream.amqp]\nurl = 5\n",
            "upstream.amqp.url: Input should be a valid string (got an integer)",
            id="url-not-string",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "http://rabbit-1/"\n',
            "upstream.amqp.url: the URL must start with amqp:// or amqps://, got 'http://'",
            id="scheme",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "rabbit-1"\n',
            "upstream.amqp.url: the URL must start with amqp:// or amqps://",
            id="no-scheme",
        ),
        pytest.param(
            '[upstream.amqp]\nurls = ["amqp://a", "amqp:///casino"]\n',
            "upstream.amqp.urls[1]: the URL has no host: expected "
            "amqp[s]://[USER[:PASSWORD]@]HOST[:PORT][/VHOST]",
            id="no-host",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://u:p@:5672"\n',
            "upstream.amqp.url: the URL has no host",
            id="empty-host",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://rabbit_1:5672"\n',
            "upstream.amqp.url: not a host name or IPv4 address: 'rabbit_1' in "
            "'amqp://rabbit_1:5672'",
            id="bad-host",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://u:pw@10.0.0.256"\n',
            "upstream.amqp.url: not a host name or IPv4 address: '10.0.0.256' in "
            "'amqp://u@10.0.0.256'",
            id="bad-ipv4-redacted",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://[::1"\n',
            "upstream.amqp.url: not a valid URL",
            id="bad-ipv6",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://h:0"\n',
            "upstream.amqp.url: the port must be 1-65535",
            id="port-0",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://h:65536"\n',
            "upstream.amqp.url: the port must be 1-65535",
            id="port-big",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://h:amqp"\n',
            "upstream.amqp.url: the port must be 1-65535",
            id="port-name",
        ),
        pytest.param(
            '[upstream.amqp]\nurl = "amqp://u:p#w@h/"\n',
            "upstream.amqp.url: an '@' after the host: percent-encode '/', '?', '#' and '@'",
            id="unencoded-password",
        ),
        pytest.param(
            MINIMAL + 'exchange = "amq.topic"\n',
            "upstream.amqp.exchange: names starting with 'amq.' are reserved by the broker, "
            "got 'amq.topic'",
            id="exchange-amq",
        ),
        pytest.param(
            MINIMAL + 'exchange = ""\n',
            "upstream.amqp.exchange: use 1-255 letters, digits, '.', '_', ':' and '-', got ''",
            id="exchange-empty",
        ),
        pytest.param(
            MINIMAL + f'exchange = "{"e" * 256}"\n',
            "upstream.amqp.exchange: use 1-255 letters",
            id="exchange-long",
        ),
        pytest.param(
            MINIMAL + 'exchange = "floor events"\n',
            "upstream.amqp.exchange: use 1-255 letters",
            id="exchange-space",
        ),
        pytest.param(
            MINIMAL + 'encoding = "xml"\n',
            "upstream.amqp.encoding: Input should be 'protobuf' or 'json', got 'xml'",
            id="encoding",
        ),
        pytest.param(
            MINIMAL + "window = 0\n",
            "upstream.amqp.window: Input should be greater than or equal to 1, got 0",
            id="window-0",
        ),
        pytest.param(
            MINIMAL + "window = 10001\n",
            "upstream.amqp.window: Input should be less than or equal to 10000, got 10001",
            id="window-big",
        ),
        pytest.param(
            MINIMAL + "window = 2.0\n",
            "upstream.amqp.window: Input should be a valid integer (got a float)",
            id="window-float",
        ),
        pytest.param(
            MINIMAL + "publish_timeout_s = 0\n",
            "upstream.amqp.publish_timeout_s: Input should be greater than 0, got 0",
            id="publish-timeout-0",
        ),
        pytest.param(
            MINIMAL + "publish_timeout_s = 601\n",
            "upstream.amqp.publish_timeout_s: Input should be less than or equal to 600, got 601",
            id="publish-timeout-big",
        ),
        pytest.param(
            MINIMAL + "connect_timeout_s = -1.0\n",
            "upstream.amqp.connect_timeout_s: Input should be greater than 0, got -1.0",
            id="connect-timeout",
        ),
        pytest.param(
            MINIMAL + "connect_timeout_s = nan\n",
            "upstream.amqp.connect_timeout_s: Input should be a finite number",
            id="connect-timeout-nan",
        ),
        pytest.param(
            MINIMAL + "heartbeat_s = -1\n",
            "upstream.amqp.heartbeat_s: Input should be greater than or equal to 0, got -1",
            id="heartbeat-negative",
        ),
        pytest.param(
            MINIMAL + "heartbeat_s = 3601\n",
            "upstream.amqp.heartbeat_s: Input should be less than or equal to 3600, got 3601",
            id="heartbeat-big",
        ),
        pytest.param(
            MINIMAL + "reconnect_min_s = 0\n",
            "upstream.amqp.reconnect_min_s: Input should be greater than 0, got 0",
            id="reconnect-min-0",
        ),
        pytest.param(
            MINIMAL + "reconnect_max_s = inf\n",
            "upstream.amqp.reconnect_max_s: Input should be a finite number",
            id="reconnect-max-inf",
        ),
        pytest.param(
            MINIMAL + "reconnect_min_s = 5\nreconnect_max_s = 1.5\n",
            "upstream.amqp.reconnect_max_s: must be at least reconnect_min_s (5), got 1.5",
            id="reconnect-order",
        ),
        pytest.param(
            MINIMAL + "reconnect_min_s = 31\n",
            "upstream.amqp.reconnect_max_s: must be at least reconnect_min_s (31), got 30",
            id="reconnect-min-over-default-max",
        ),
        pytest.param(
            MINIMAL + 'app_id = ""\n',
            "upstream.amqp.app_id: use 1-255 bytes (UTF-8), got 0",
            id="app-id-empty",
        ),
        pytest.param(
            MINIMAL + f'app_id = "{"é" * 128}"\n',
            "upstream.amqp.app_id: use 1-255 bytes (UTF-8), got 256",
            id="app-id-long",
        ),
        pytest.param(
            MINIMAL + 'declare = "yes"\n',
            "upstream.amqp.declare: Input should be a valid boolean (got a string)",
            id="declare",
        ),
        pytest.param(
            MINIMAL + "queues = 1\n",
            "upstream.amqp.queues: Input should be a valid tuple (got an integer)",
            id="queues-not-array",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nbindings = ["#"]\n',
            "upstream.amqp.queues[0].name: required key is missing",
            id="queue-name-missing",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "amq.q"\nbindings = ["#"]\n',
            "upstream.amqp.queues[0].name: names starting with 'amq.' are reserved",
            id="queue-name-amq",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q/1"\nbindings = ["#"]\n',
            "upstream.amqp.queues[0].name: use 1-255 letters, digits, '.', '_', ':' and '-', "
            "got 'q/1'",
            id="queue-name-chars",
        ),
        pytest.param(
            MINIMAL + QUEUE + QUEUE.replace('"#"', '"cash.#"'),
            "upstream.amqp.queues[1].name: duplicate queue name 'q' "
            "(also at upstream.amqp.queues[0].name)",
            id="queue-name-duplicate",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\n',
            "upstream.amqp.queues[0].bindings: required key is missing",
            id="bindings-missing",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\nbindings = []\n',
            "upstream.amqp.queues[0].bindings: at least one binding is required",
            id="bindings-empty",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\nbindings = ["cash.#", "a..b"]\n',
            "upstream.amqp.queues[0].bindings[1]: expected a topic pattern: words of letters, "
            "digits, '_' and '-', or '*' (one word) or '#' (any number of words), joined by "
            "'.', got 'a..b'",
            id="binding-empty-word",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\nbindings = ["cash.bill*"]\n',
            "upstream.amqp.queues[0].bindings[0]: expected a topic pattern",
            id="binding-partial-wildcard",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\nbindings = [""]\n',
            "upstream.amqp.queues[0].bindings[0]: expected a topic pattern",
            id="binding-empty",
        ),
        pytest.param(
            MINIMAL + f'[[upstream.amqp.queues]]\nname = "q"\nbindings = ["{"a." * 128}a"]\n',
            "upstream.amqp.queues[0].bindings[0]: expected a topic pattern",
            id="binding-long",
        ),
        pytest.param(
            MINIMAL + '[[upstream.amqp.queues]]\nname = "q"\nbindings = [1]\n',
            "upstream.amqp.queues[0].bindings[0]: Input should be a valid string (got an integer)",
            id="binding-not-string",
        ),
        pytest.param(
            MINIMAL + QUEUE + 'type = "stream"\n',
            "upstream.amqp.queues[0].type: Input should be 'classic' or 'quorum', got 'stream'",
            id="queue-type",
        ),
        pytest.param(
            MINIMAL + QUEUE + 'arguments = { "max-length" = 5 }\n',
            "upstream.amqp.queues[0].arguments: queue arguments start with 'x-' "
            "(as 'x-max-length'), got 'max-length'",
            id="argument-prefix",
        ),
        pytest.param(
            MINIMAL + QUEUE + 'arguments = { "x-queue-type" = "quorum" }\n',
            'upstream.amqp.queues[0].arguments: set the queue type with type = "quorum", '
            "not with 'x-queue-type'",
            id="argument-queue-type",
        ),
        pytest.param(
            MINIMAL + QUEUE + 'arguments = { "x-message-ttl" = 1.5 }\n',
            "upstream.amqp.queues[0].arguments.x-message-ttl: a queue argument is a string, "
            "an integer or a boolean (got a float)",
            id="argument-float",
        ),
        pytest.param(
            MINIMAL + QUEUE + 'arguments = { "x-dead-letter" = { exchange = "dlx" } }\n',
            "upstream.amqp.queues[0].arguments.x-dead-letter: a queue argument is a string, "
            "an integer or a boolean (got a table)",
            id="argument-table",
        ),
        pytest.param(
            MINIMAL + QUEUE + "binding = []\n",
            "upstream.amqp.queues[0].binding: unknown key (did you mean 'bindings'?)",
            id="queue-misspelt",
        ),
    ],
)
def test_each_rule_names_its_key(tail: str, expected: str) -> None:
    assert the_problem(tail).startswith(f"{SRC}: {expected}")


def test_rules_across_keys_are_all_reported(pem: dict[str, Path]) -> None:
    found = problems(
        f'[upstream.amqp]\nurl = "amqps://a"\nurls = ["amqps://b", "amqp://c"]\n'
        f'reconnect_max_s = 0.1\nca_file = "{pem["ca"]}"\nkey_file = "{pem["key"]}"\n'
        + QUEUE
        + QUEUE
    )
    assert found == [
        f"{SRC}: upstream.amqp.urls: url is set too: set url (one broker) or urls (a cluster), "
        "not both",
        f"{SRC}: upstream.amqp.reconnect_max_s: must be at least reconnect_min_s (0.5), got 0.1",
        f"{SRC}: upstream.amqp.ca_file: only used with amqps:// brokers, but urls[1] is amqp://",
        f"{SRC}: upstream.amqp.key_file: only used with amqps:// brokers, but urls[1] is amqp://",
        f"{SRC}: upstream.amqp.key_file: key_file is set without cert_file "
        "(the key may also be in cert_file)",
        f"{SRC}: upstream.amqp.queues[1].name: duplicate queue name 'q' "
        "(also at upstream.amqp.queues[0].name)",
    ]


# --- TLS files ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ca_file", "cert_file"])
def test_tls_files_need_amqps(key: str, pem: dict[str, Path]) -> None:
    tail = f'[upstream.amqp]\nurl = "amqp://h"\n{key} = "{pem["ca"]}"\n'
    assert the_problem(tail) == (
        f"{SRC}: upstream.amqp.{key}: only used with amqps:// brokers, but url is amqp://"
    )
    assert amqp(tail.replace("amqp://", "amqps://")).broker_urls() == ("amqps://h",)


def test_key_file_needs_cert_file(pem: dict[str, Path]) -> None:
    tail = f'[upstream.amqp]\nurl = "amqps://h"\nkey_file = "{pem["key"]}"\n'
    assert the_problem(tail) == (
        f"{SRC}: upstream.amqp.key_file: key_file is set without cert_file "
        "(the key may also be in cert_file)"
    )
    settings = amqp(tail + f'cert_file = "{pem["cert"]}"\n')
    assert (settings.cert_file, settings.key_file) == (pem["cert"], pem["key"])
    assert (
        amqp(f'[upstream.amqp]\nurl = "amqps://h"\ncert_file = "{pem["cert"]}"\n').key_file is None
    )


@pytest.mark.parametrize("key", ["ca_file", "cert_file", "key_file"])
def test_tls_files_must_be_readable_files(key: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    base = '[upstream.amqp]\nurl = "amqps://h"\n'
    assert the_problem(f'{base}{key} = "{missing}"\n') == (
        f"{SRC}: upstream.amqp.{key}: cannot read {missing}: No such file or directory"
    )
    assert the_problem(f'{base}{key} = "{tmp_path}"\n') == (
        f"{SRC}: upstream.amqp.{key}: cannot read {tmp_path}: not a regular file"
    )
    assert (
        the_problem(f'{base}{key} = ""\n') == f"{SRC}: upstream.amqp.{key}: a path cannot be empty"
    )


def test_tls_file_that_cannot_be_opened(
    pem: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    tail = f'[upstream.amqp]\nurl = "amqps://h"\nca_file = "{pem["ca"]}"\n'
    assert the_problem(tail) == (
        f"{SRC}: upstream.amqp.ca_file: cannot read {pem['ca']}: Permission denied"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_tls_file_without_read_permission(pem: dict[str, Path]) -> None:
    pem["ca"].chmod(0)
    tail = f'[upstream.amqp]\nurl = "amqps://h"\nca_file = "{pem["ca"]}"\n'
    assert the_problem(tail) == (
        f"{SRC}: upstream.amqp.ca_file: cannot read {pem['ca']}: Permission denied"
    )


def test_tls_paths_round_trip(pem: dict[str, Path]) -> None:
    tail = (
        f'[upstream.amqp]\nurls = ["amqps://a", "amqps://b"]\nca_file = "{pem["ca"]}"\n'
        f'cert_file = "{pem["cert"]}"\nkey_file = "{pem["key"]}"\n' + QUEUE
    )
    config = parse_config(HEAD + tail)
    dumped = dump_toml(config)
    assert f'ca_file = "{pem["ca"]}"' in dumped
    assert "[[upstream.amqp.queues]]" in dumped
    assert parse_config(dumped) == config
    assert dump_toml(parse_config(dumped)) == dumped


# --- redact_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("amqp://user:pw@host:5672/vh", "amqp://user@host:5672/vh"),
        (
            "amqps://user:p%40ss@rabbit-1/casino?heartbeat=10",
            "amqps://user@rabbit-1/casino?heartbeat=10",
        ),
        ("amqp://user@host/vh", "amqp://user@host/vh"),
        ("amqp://host", "amqp://host"),
        ("amqp://:pw@host/", "amqp://host/"),
        ("amqp://u:pw@[::1]:5672", "amqp://u@[::1]:5672"),
        ("amqp://u:p@ss@host/", "amqp://u@host/"),
        # not accepted by the config check: everything up to the last '@' goes
        ("amqp://u:p/ss@host/vh", "amqp://***@host/vh"),
        ("amqp://u:p?ss@host", "amqp://***@host"),
        ("u:pw@host", "***@host"),
        ("rabbit-1", "rabbit-1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_demo_config_publishes_to_a_bounded_demo_queue(tmp_path: Path) -> None:
    config = config_for_demo(
        [("/dev/null", [(1, "m1")])], tmp_path, amqp_url="amqp://guest:guest@127.0.0.1:5672/"
    )
    amqp = config.upstream.amqp
    assert amqp is not None
    assert amqp.broker_urls() == ("amqp://guest:guest@127.0.0.1:5672/",)
    assert [(q.name, q.bindings, q.arguments) for q in amqp.queues] == [
        (DEMO_QUEUE, ("#",), {"x-max-length": DEMO_QUEUE_LENGTH})
    ]
    assert config_for_demo([("/dev/null", [(1, "m1")])], tmp_path).upstream.amqp is None


def test_demo_config_names_a_bad_broker_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"upstream\.amqp\.url: the URL must start with amqp://"):
        config_for_demo([("/dev/null", [(1, "m1")])], tmp_path, amqp_url="http://x/")
