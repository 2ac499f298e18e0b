"""``floor-agent sas-decode``: explain a captured SAS reply.

Given the poll that was sent and the bytes that came back (hex, spaces
allowed), print the checked frame or the fault, and the decoded message.
Exit status 0 for a valid reply, 1 for a fault, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
from typing import Any

from protocols.sas.deframer import Expectation, ExpectGeneralPoll, ExpectLongPoll, ReplyDeframer
from protocols.sas.errors import SasError
from protocols.sas.exception_codes import lookup
from protocols.sas.frames import DataFrame, EventFrame, ExceptionFrame, Fault
from protocols.sas.messages import decode_event, decode_reply


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(":", " "))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not hex bytes: {text!r}") from exc


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sas-decode",
        help="explain a captured SAS reply",
        description="Decode the reply a machine gave to a poll, e.g. "
        "floor-agent sas-decode --poll '01 1A' '01 1A 00 01 66 60 9C F4'",
    )
    parser.add_argument("--poll", type=_hex, required=True, help="the poll sent, in hex")
    parser.add_argument("--rte", action="store_true", help="real-time event reporting is on")
    parser.add_argument("reply", type=_hex, help="the bytes received, in hex")
    parser.set_defaults(run=run)


def expectation_for(poll: bytes, *, rte: bool) -> Expectation:
    if len(poll) == 1:
        return ExpectGeneralPoll(address=poll[0] & 0x7F, rte=rte, signature=True)
    return ExpectLongPoll(address=poll[0], command=poll[1], rte=rte)


def run(args: argparse.Namespace) -> int:
    poll: bytes = args.poll
    if not poll:
        print("error: --poll is empty")
        return 2
    deframer = ReplyDeframer()
    try:
        results = deframer.expect(expectation_for(poll, rte=args.rte))
    except SasError as exc:
        print(f"error: {exc}")
        return 2
    results += deframer.receive_data(args.reply) + deframer.end_of_reply()
    status = 0
    for result in results:
        print(describe(result))
        if isinstance(result, Fault):
            status = 1
    return status


def describe(result: object) -> str:
    if isinstance(result, Fault):
        return f"fault {result.kind.value}: {result.reason} [{result.raw.hex(' ')}]"
    if isinstance(result, ExceptionFrame):
        info = lookup(result.code)
        name = info.name if info else "unknown exception"
        return f"exception 0x{result.code:02X}: {name}"
    if isinstance(result, DataFrame):
        return f"LP {result.command:02X} reply: {decode_reply(result)!r}"
    if isinstance(result, EventFrame):
        return f"RTE event 0x{result.code:02X}: {decode_event(result)!r}"
    return repr(result)
