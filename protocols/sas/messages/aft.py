"""AFT replies, parsed for status only: LP 74 lock/status and LP 72 transfer status.

::

    74  | addr | 74 | len(23) | asset(4 LE) lock(1) available(1) hostCashout(1)
          aftStatus(1) maxIndex(1) cashable(5) restricted(5) nonRestricted(5)
          transferLimit(5) restrictedExpiry(4) restrictedPool(2 LE) | CRC |
    72  | addr | 72 | len | index(1) status(1) receipt(1) type(1) cashable(5)
          restricted(5) nonRestricted(5) flags(1) asset(4 LE) tidLen(1) tid ... | CRC |

All amounts are BCD cents. Fields of 72 after the transaction ID (dates,
cumulative meters) are kept raw in ``trailing``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import bcd
from .fields import Malformed, Reader

LOCKED = 0x00
LOCK_PENDING = 0x40
NOT_LOCKED = 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class AftLockStatus:
    """LP 74 reply."""

    asset_number: int
    lock_status: int
    available_transfers: int
    host_cashout_status: int
    aft_status: int
    max_buffer_index: int
    cashable_cents: int
    restricted_cents: int
    nonrestricted_cents: int
    transfer_limit_cents: int
    restricted_expiration: int
    restricted_pool_id: int

    def encode(self) -> bytes:
        return (
            self.asset_number.to_bytes(4, "little")
            + bytes(
                [
                    self.lock_status,
                    self.available_transfers,
                    self.host_cashout_status,
                    self.aft_status,
                    self.max_buffer_index,
                ]
            )
            + bcd.encode(self.cashable_cents, 5)
            + bcd.encode(self.restricted_cents, 5)
            + bcd.encode(self.nonrestricted_cents, 5)
            + bcd.encode(self.transfer_limit_cents, 5)
            + bcd.encode(self.restricted_expiration, 4)
            + self.restricted_pool_id.to_bytes(2, "little")
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> AftLockStatus:
        reader = Reader(data)
        message = cls(
            asset_number=reader.binary(4),
            lock_status=reader.byte(),
            available_transfers=reader.byte(),
            host_cashout_status=reader.byte(),
            aft_status=reader.byte(),
            max_buffer_index=reader.byte(),
            cashable_cents=reader.bcd(5),
            restricted_cents=reader.bcd(5),
            nonrestricted_cents=reader.bcd(5),
            transfer_limit_cents=reader.bcd(5),
            restricted_expiration=reader.bcd(4),
            restricted_pool_id=reader.binary(2),
        )
        reader.done()
        return message


TRANSFER_PENDING = 0x40
TRANSFER_NO_INFO = 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class AftTransferStatus:
    """LP 72 reply (status of a transfer or an interrogation)."""

    buffer_position: int
    transfer_status: int
    receipt_status: int
    transfer_type: int
    cashable_cents: int
    restricted_cents: int
    nonrestricted_cents: int
    transfer_flags: int
    asset_number: int
    transaction_id: str
    trailing: bytes = b""

    @property
    def pending(self) -> bool:
        return self.transfer_status & 0xE0 == TRANSFER_PENDING

    @property
    def succeeded(self) -> bool:
        return self.transfer_status & 0xE0 == 0x00

    def encode(self) -> bytes:
        tid = self.transaction_id.encode("ascii")
        return (
            bytes([self.buffer_position, self.transfer_status, self.receipt_status])
            + bytes([self.transfer_type])
            + bcd.encode(self.cashable_cents, 5)
            + bcd.encode(self.restricted_cents, 5)
            + bcd.encode(self.nonrestricted_cents, 5)
            + bytes([self.transfer_flags])
            + self.asset_number.to_bytes(4, "little")
            + bytes([len(tid)])
            + tid
            + self.trailing
        )

    @classmethod
    def decode(cls, command: int, data: bytes) -> AftTransferStatus:
        reader = Reader(data)
        position, status, receipt, kind = reader.byte(), reader.byte(), reader.byte(), reader.byte()
        cashable, restricted, nonrestricted = reader.bcd(5), reader.bcd(5), reader.bcd(5)
        flags, asset = reader.byte(), reader.binary(4)
        tid_length = reader.byte()
        if tid_length > 20:
            raise Malformed(f"transaction ID of {tid_length} characters (max 20)")
        return cls(
            buffer_position=position,
            transfer_status=status,
            receipt_status=receipt,
            transfer_type=kind,
            cashable_cents=cashable,
            restricted_cents=restricted,
            nonrestricted_cents=nonrestricted,
            transfer_flags=flags,
            asset_number=asset,
            transaction_id=reader.ascii(tid_length),
            trailing=reader.rest(),
        )
