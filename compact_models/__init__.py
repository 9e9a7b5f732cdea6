"""Compact models of resistive memories built from parallel voltage-controlled switches.

`HTRRAM` is the HfO2/TiOx non-filamentary device of Kim et al. (paper 001); `HfOxSy` the HfOxSy/HfS2
device of Xhameni and Lombardo (paper 000). Both share one interface: a frozen parameter dataclass,
deterministic netlist text for a cell, a PySpice subcircuit, and the read-regime I-V used to
calibrate and read states. `simulator` owns running netlists in ngspice.
"""
from compact_models.errors import (
    ConvergenceError,
    InputFileError,
    NetlistError,
    ParameterError,
    RRAMError,
    SimulationError,
    SimulatorNotFoundError,
)

__all__ = [
    "ConvergenceError",
    "InputFileError",
    "NetlistError",
    "ParameterError",
    "RRAMError",
    "SimulationError",
    "SimulatorNotFoundError",
]
