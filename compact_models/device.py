"""The `Device` protocol: everything the arrays, protocols, network and power code need of a device.

A device is a frozen parameter dataclass (units in its field names, the paper's defaults) that mixes
in `compact_models.base.SwitchDeviceMixin` for its netlist text and implements what is listed here.
Code outside `compact_models/` asks a device only for these members; it never tests a device's type
or what attributes it has. Adding a device: one module with its parameter class, one line in the
registry (`compact_models.devices.DEVICES`).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Device(Protocol):
    """What a parallel-switch device provides (see `compact_models.ht_rram` and `compact_models.hfoxsy`)."""

    name: str
    """Registry name, e.g. ``ht-rram``."""
    write_scheme: str
    """How a state is written: ``ladder`` (one set amplitude per state, `set_amplitude_V`) or
    ``trains`` (pulse trains of growing amplitude, `train_pulse`)."""
    protocols: tuple
    """Characterisation protocols that apply (`compact_models.protocols`); the first is the default."""
    dc_sweep_V: tuple
    """(highest, lowest) voltage of the DC sweep, V."""
    read_V: float
    """Read voltage, V."""
    rc_ohm: float
    """Contact resistance at each end of the cell, ohm."""
    n_switches: int
    """Parallel switches of a cell."""
    g_levels_nS: tuple
    """Read conductance of the programmable states 1..N, nS."""
    level_switch_counts: tuple
    """Closed switches of each programmable state, written from reset."""

    @property
    def reset_V(self) -> float:
        """Amplitude of the pulse that opens every switch, V."""

    @property
    def hrs_conductance_S(self) -> float:
        """Read conductance of the reset state, S."""

    @property
    def max_read_conductance_S(self) -> float:
        """Read ceiling: the conductance with the switching area shorted, S."""

    @property
    def transfer_max_passes(self) -> int:
        """Write passes of a verified weight transfer at most."""

    @property
    def default_passes(self) -> int:
        """Write passes of a transfer when none are asked for (`arrays.transfer.TransferSpec`)."""

    @property
    def transfer_tolerance_nS(self) -> float:
        """Verify tolerance of a weight transfer, nS."""

    def write_error(self, sigma_nS: float | None = None):
        """The error drawn for every written cell (``draw_nS(rng, size, states)``, states 1..N of the cells),
        with its sigma, the same in every state, overridden."""

    def ladder_write_error(self):
        """The error drawn for a cell on weight-ladder positions 1..L (``draw_nS(rng, size, states)``)."""

    def area_laws(self) -> tuple:
        """(switching area, insulator area) laws, each with ``current_A(v)`` and ``conductance_S(v)``."""

    def zero_bias_deviation(self, v_V) -> np.ndarray:
        """Largest relative gap between the cell's current and its zero-bias current within +-v_V."""

    def reset_error(self, sigma_nS: float | None = None):
        """The spread of a reset cell's read around the reset state (``draw_nS(rng, size)``), sigma overridden."""

    def read_conductance_S(self, g_switch_S: float, area_scale: float = 1.0) -> float:
        """Read conductance for a switch-bank conductance (switching-area law scaled by ``area_scale``), S."""

    def switch_conductance_for_read_S(self, g_read_S: float, area_scale: float = 1.0) -> float:
        """Inverse of `read_conductance_S`."""

    def read_conductance_of(self, cell) -> float:
        """Read conductance of a `SwitchCell`, S."""

    def closed_for_level(self, level: int) -> tuple:
        """Switches closed in state ``level`` when written from reset."""

    def cell_lines(self, cell, name: str, te: str, be: str, live=None, linear: bool = False,
                   compiled: bool = False) -> tuple:
        """Netlist lines of one cell and the ``.model`` lines it alone needs."""

    def shared_model_lines(self) -> list:
        """``.model`` lines shared by cells without per-device deviations."""
