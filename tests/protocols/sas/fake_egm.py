"""A small strict EGM for host-session tests (the full one is the simulator).

It follows reference §1.8-1.9 to the letter: ignores its own address until
it has seen a poll to another address; a repeated identical poll is an
implied NACK (same reply again; the third identical poll is met with
silence and the data is kept); any other poll is an implied ACK that pops
the reported exception or marks popped data read. Faults can be scripted on
its replies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from protocols.sas import bcd
from protocols.sas.crc import with_crc
from protocols.sas.messages import (
    EnabledGames,
    ExtendedMeters,
    Features,
    GameConfiguration,
    GameCount,
    HandpayInfo,
    LastBill,
    MultiMeters,
    SelectedMeters,
    SingleMeter,
    ValidationRecord,
    VersionSerial,
    encode_event,
    encode_reply,
)
from protocols.sas.messages.meters import ExtendedMeter
from protocols.sas.meter_codes import lp2f_size

ACK_COMMANDS = {0x01, 0x02, 0x0E, 0x7F, 0x21}


RTE_DATA = {
    0x7F: bcd.encode(5, 4),
    0x4F: LastBill(country=37, bill_code=0x04, count=3).encode(),
}


class _Encodable(Protocol):
    def encode(self) -> bytes: ...


@dataclass
class FakeEgm:
    address: int
    version: str = "602"
    extended_meters: bool = True
    supports: set[int] | None = None  # None = every command below
    meters: dict[int, int] = field(
        default_factory=lambda: {0x00: 1000, 0x01: 800, 0x02: 0, 0x05: 50, 0x0C: 200, 0x24: 900}
    )
    exceptions: deque[int] = field(default_factory=deque)
    rte: bool = False
    signature_seed: int | None = None
    synced: bool = False
    alive: bool = True
    busy_next: int = 0
    nack_next: int = 0
    bad_rte_data: bool = False
    drop_next: int = 0
    corrupt_next: int = 0
    reported: list[int] = field(default_factory=list)  # exceptions the host acknowledged
    polls: list[bytes] = field(default_factory=list)
    _last_key: bytes | None = None
    _last_reply: bytes | None = None
    _repeats: int = 0
    _pop_on_ack: bool = False
    _rte_event_pending_reply: bool = False

    # --- the line ------------------------------------------------------------------

    def hear(self, frame: bytes) -> bytes:
        """Everything on the line; returns this machine's reply (b"" for silence)."""
        if not self.alive:
            return b""
        address = frame[0] & 0x7F if len(frame) == 1 else frame[0]
        if address != self.address:
            self.synced = True
            self._ack()
            return b""
        if not self.synced:
            return b""
        self.polls.append(frame)
        key = frame if len(frame) == 1 else frame[:2]
        if key == self._last_key and self._last_reply is not None:
            self._repeats += 1
            if self._repeats >= 2:  # the third identical poll: final NACK, keep the data
                self._repeats = 0
                self._last_key = None
                self._last_reply = None
                self._pop_on_ack = False
                return b""
            return self._deliver(self._last_reply)
        self._ack()
        self._last_key = key
        reply = self._answer(frame)
        self._last_reply = reply if reply and self._last_key is not None else None
        return self._deliver(reply)

    def _deliver(self, reply: bytes) -> bytes:
        if self.drop_next:
            self.drop_next -= 1
            return b""
        if self.corrupt_next and len(reply) > 1:
            self.corrupt_next -= 1
            return reply[:-1] + bytes([reply[-1] ^ 0x40])  # breaks the CRC (or the code)
        return reply

    def _ack(self) -> None:
        if self._pop_on_ack and self.exceptions:
            self.reported.append(self.exceptions.popleft())
        self._pop_on_ack = False
        self._last_key = None
        self._last_reply = None
        self._repeats = 0

    # --- replies --------------------------------------------------------------------

    def _answer(self, frame: bytes) -> bytes:
        if len(frame) == 1:
            return self._general_poll()
        command = frame[1]
        if self.supports is not None and command not in self.supports:
            return b""
        if self.nack_next:
            self.nack_next -= 1
            self._last_key = None
            return bytes([self.address | 0x80])
        if self.busy_next:
            self.busy_next -= 1
            self._last_key = None  # busy is not cached: a retry is a fresh request
            return bytes([self.address, 0x00])
        if self.rte and self.exceptions:
            return self._general_poll()  # an event in place of the reply
        return self._long_poll(command, frame)

    def _general_poll(self) -> bytes:
        if self.signature_seed is not None:
            seed, self.signature_seed = self.signature_seed, None
            return with_crc(bytes([self.address, 0x21]) + (seed ^ 0xBEEF).to_bytes(2, "little"))
        if not self.exceptions:
            return encode_event(self.address, 0x00) if self.rte else b"\x00"
        self._pop_on_ack = True
        code = self.exceptions[0]
        if self.rte:
            data = RTE_DATA.get(code, b"")
            if self.bad_rte_data and data:
                data = b"\xff" * len(data)
            return encode_event(self.address, code, data)
        return bytes([code])

    def _long_poll(self, command: int, frame: bytes) -> bytes:
        a = self.address
        if command in ACK_COMMANDS:
            if command == 0x0E:
                self.rte = frame[2] == 1
            if command == 0x21:
                self.signature_seed = int.from_bytes(frame[2:4], "little")
            return bytes([a])
        message: _Encodable
        if command == 0x54:
            message = VersionSerial(version=self.version, serial="000123")
        elif command == 0x1F:
            message = GameConfiguration(
                game=None, game_id="AT", additional_id="000", denomination=0x01, max_bet=5,
                progressive_group=0, game_options=0, paytable_id="ABC123", base_percent="9068",
            )  # fmt: skip
        elif command == 0xA0:
            features = bytes([0, 0x08 if self.extended_meters else 0, 0, 0])
            message = Features(game=0, features=features)
        elif command == 0x51:
            message = GameCount(count=1)
        elif command == 0x56:
            message = EnabledGames(games=(1,))
        elif command in (0x6F, 0xAF):
            codes = [
                int.from_bytes(frame[5 + 2 * i : 7 + 2 * i], "little")
                for i in range(frame[2] // 2 - 1)
            ]
            entries = tuple(
                ExtendedMeter(
                    code=c,
                    size=4 if c in self.meters else 0,
                    value=self.meters.get(c) if c in self.meters else None,
                )
                for c in codes
            )
            message = ExtendedMeters(command=command, game=0, meters=entries)
        elif command == 0x2F:
            codes = list(frame[5 : 5 + frame[2] - 2])
            message = SelectedMeters(
                game=0, values=tuple((c, self.meters.get(c, 0)) for c in codes)
            )
            return encode_reply(a, command, message.encode(lp2f_size))
        elif command == 0x1C:
            message = MultiMeters.from_meters(0x1C, self.meters)
        elif command in (0x1A, 0x10):
            message = SingleMeter(
                command=command, value=self.meters.get(0x0C if command == 0x1A else 0x04, 0)
            )
        elif command == 0x1B:
            message = HandpayInfo(
                progressive_group=0, level=0x40, amount=1200, partial_pay=0, reset_id=0
            )
        elif command == 0x48:
            message = LastBill(country=37, bill_code=0x04, count=3)
        elif command == 0x4D:
            message = ValidationRecord(
                validation_type=0, index=1, moment=datetime(2026, 11, 22, 10, 0, 0),
                validation_number=1234567890123456, amount_cents=2500, ticket_number=7,
                system_id=0, expiration=0, pool_id=0,
            )  # fmt: skip
        else:
            return b""
        return encode_reply(a, command, message.encode())
