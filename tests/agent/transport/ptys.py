"""Pseudo-terminal pairs for transport tests: the test drives the master side."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass
class Pty:
    master: int
    slave: int
    path: str

    def close_master(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.master)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def pty_pair() -> Iterator[Pty]:
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no line discipline
    os.set_blocking(master, False)
    pair = Pty(master, slave, os.ttyname(slave))
    try:
        yield pair
    finally:
        pair.close()


async def read_master(master: int, size: int, timeout: float = 2.0) -> bytes:
    """What the transport wrote, once ``size`` bytes are there (or the timeout passes)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    data = b""
    while len(data) < size and loop.time() < until:
        try:
            data += os.read(master, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.002)
    return data


async def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    while not predicate():
        assert loop.time() < until, "condition not reached in time"
        await asyncio.sleep(0.002)
