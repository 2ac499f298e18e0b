"""The simulator's SAS front-end: strict SAS machines around protocol-neutral models.

``SasEgm`` speaks SAS for one ``MachineModel`` (link rules, exception queue,
long-poll answers, ledger records); ``SasLine`` is the machines sharing one
port. Everything SAS-specific in the simulator lives in this folder and
imports the SAS core through ``protocols.sas``'s public surface only.
"""

from .egm import EgmConfig, SasEgm
from .line import SasLine

__all__ = ["EgmConfig", "SasEgm", "SasLine"]
