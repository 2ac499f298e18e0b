"""``floor-agent token new``: the token once, and a table that makes the agent accept it."""

from __future__ import annotations

import pytest

from agent.cli import main
from agent.config import ConfigError, parse_config
from agent.http.security import Authenticator, Principal, Role

from .security_harness import HEAD


def new_token(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str, str]:
    assert main(["token", "new", *args]) == 0
    out = capsys.readouterr().out
    (token,) = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    table = out[out.index("[[http.tokens]]") :]
    return out, token, table


def test_the_printed_table_accepts_the_printed_token(capsys: pytest.CaptureFixture[str]) -> None:
    out, token, table = new_token(capsys, "--name", "floor-tech-1", "--role", "technician")
    assert len(token) >= 43  # 32 random bytes
    assert token not in table
    config = parse_config(HEAD + table)
    (entry,) = config.http.tokens
    assert (entry.name, entry.role) == ("floor-tech-1", "technician")
    authenticator = Authenticator.from_config(config.http)
    assert authenticator.authenticate(f"Bearer {token}") == Principal(
        name="floor-tech-1", role=Role.TECHNICIAN, method="token"
    )
    with pytest.raises(ConfigError):  # pasting everything, token included, does not load
        parse_config(HEAD + out)


def test_every_token_is_new(capsys: pytest.CaptureFixture[str]) -> None:
    first = new_token(capsys, "--name", "a", "--role", "admin")[1]
    second = new_token(capsys, "--name", "a", "--role", "admin")[1]
    assert first != second


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "a b", "--role", "admin"], "use 1-64 letters"),
        (["--name", "a", "--role", "root"], "invalid choice: 'root'"),
        (["--role", "admin"], "the following arguments are required: --name"),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["token", "new", *args])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
