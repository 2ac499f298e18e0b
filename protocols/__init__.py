"""Sans-I/O cores of the serial protocols floor-agent speaks.

Nothing in this package performs I/O, reads a clock, logs, or imports
asyncio, serial, sqlite3, logging or agent: bytes and time go in as
arguments, frames, messages and deadlines come out. A test walks the AST to
keep it that way.
"""
