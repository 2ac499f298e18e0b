"""``floor-agent token new --name NAME --role ROLE``: make an API token for ``[[http.tokens]]``.

Prints a fresh random token (``secrets.token_urlsafe(32)``: 256 bits) once,
and the ``[[http.tokens]]`` table to paste into the configuration, which
holds only the token's SHA-256. The agent never stores or shows the token
again: give it to its holder now, and make a new one if it is lost. Both
go to stdout and nowhere else; the token is on a line of its own that is
not TOML, so pasting the whole output into the configuration fails to
load instead of keeping the token there.
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any, get_args

from .config.http_auth import RoleName, check_token_name
from .http.security.credentials import token_hash

TOKEN_BYTES = 32


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "token",
        help="make API tokens for the local HTTP API",
        description="Make bearer tokens for the local HTTP API (see docs/http.md).",
    )
    actions = parser.add_subparsers(dest="token_command", metavar="COMMAND", required=True)
    new = actions.add_parser(
        "new",
        help="print a new token and the [[http.tokens]] table that accepts it",
        description=(
            "Print a new random token once, and the [[http.tokens]] table with its SHA-256 "
            "to add to the configuration. The agent keeps only the hash."
        ),
    )
    new.add_argument("--name", required=True, type=_name, help="who holds it (unique)")
    new.add_argument("--role", required=True, choices=get_args(RoleName), help="its role")
    new.set_defaults(run=run_new)


def _name(value: str) -> str:
    try:
        return check_token_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_table(name: str, role: str, token: str) -> str:
    """The ``[[http.tokens]]`` table that accepts ``token`` (its hash, not the token)."""
    return f'[[http.tokens]]\nname = "{name}"\nrole = "{role}"\nsha256 = "{token_hash(token)}"\n'


def run_new(args: argparse.Namespace) -> int:
    token = new_token()
    print(f"The token for {args.name} ({args.role}), shown only this once: give it to its holder")
    print("now. They send it as 'Authorization: Bearer <token>'.")
    print()
    print(f"    {token}")
    print()
    print("Add this table to the configuration file (anywhere) and restart the agent;")
    print("it holds only the token's SHA-256, never the token:")
    print()
    print(token_table(args.name, args.role, token), end="")
    return 0
