"""SAS (IGT Slot Accounting System) protocol core, sans-I/O.

Layers, one word each (ARCHITECTURE.md rule 4):

* ``crc``, ``bcd`` - the primitives;
* ``commands``, ``exception_codes``, ``meter_codes`` - the protocol's tables;
* ``requests`` - host polls to ``PollFrame`` bytes (wake-up flag as data);
* ``deframer`` - received bytes to ``Frame`` or ``Fault``, never raising;
* ``messages`` - a ``Frame`` to its typed ``Message``, and back;
* ``machine`` - the machine side of the codec, for the simulator;
* ``session`` - the host state machine of one line, with time passed in.
"""
