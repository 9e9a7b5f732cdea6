"""The programmable state of a simulated array, and the write error realised in it.

`ArrayState` holds every cell's `SwitchCell` (closed switches, write scale, device deviations);
`apply_programming_error` draws the write error of each written cell (paper 001: Gaussian, sigma
1.06 nS, truncated at 4 nS) and realises it as the cell's switch-conductance scale;
`apply_reset_spread` gives each cell left in the reset state its own spread around it (paper 001,
Fig. 8: the HRS cells sit near 0 nS with a small spread of their own), as a scale of its
switching-area law.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from arrays.netlist import CrossbarParams, reset_cells
from compact_models.base import DeviceVariation, SwitchCell, area_scale_for_read, scale_for_read


@dataclass
class ArrayState:
    """The programmable state of every cell of a simulated array."""

    device: object
    xbar: CrossbarParams
    cells: list

    @classmethod
    def fresh(cls, device, xbar: CrossbarParams, variation: DeviceVariation | None = None, seed: int = 0) -> "ArrayState":
        """All cells reset, with device-to-device variation drawn per cell when given."""
        cells = reset_cells(xbar)
        if variation is not None and variation.active:
            rng = np.random.default_rng([seed, 1])
            cells = [[variation.draw(device, rng) for _ in range(xbar.cols)] for _ in range(xbar.rows)]
        return cls(device, xbar, cells)

    def nominal_conductance_S(self) -> np.ndarray:
        """Read conductance of every cell from the device equations (no wires), S."""
        read = _read_conductances(self.device)
        return np.array([[read(c) for c in row] for row in self.cells])


CEILING_MARGIN_S = 0.02e-9


def apply_programming_error(state: ArrayState, cells, error, rng: np.random.Generator, states=None) -> int:
    """Draw the write error of each written cell (written to ``states``, 1..N, where the error depends on
    the state) and realise it as the cell's switch scale.

    A cell cannot read above the device's ceiling (HT-RRAM: 81.0 nS, Ri at 1 V), 1 nS over G8, nor
    below its reset state (HfOxSy: a cell short of switches with a large negative draw); a draw
    beyond is capped just inside. Returns how many draws were capped.
    """
    dev = state.device
    ceiling = dev.max_read_conductance_S - CEILING_MARGIN_S
    capped = 0
    cells = list(cells)
    read = _read_conductances(dev)
    draws = np.atleast_1d(error.draw_nS(rng, size=len(cells), states=states)) * 1e-9  # the same stream as one draw per cell
    for (i, j), draw in zip(cells, draws):
        cell = replace(state.cells[i][j], g_scale=1.0)
        if not cell.closed:
            state.cells[i][j] = cell
            continue
        nominal = read(cell)
        drawn = nominal + draw
        # Closed switches cannot read below the reset state: a draw beyond keeps 5 % of their share.
        floor = dev.hrs_conductance_S + 0.05 * (nominal - dev.hrs_conductance_S)
        if drawn > ceiling or drawn < floor:
            drawn = min(max(drawn, floor), ceiling)
            capped += 1
        state.cells[i][j] = replace(cell, g_scale=scale_for_read(dev, cell, drawn))
    return capped


def apply_reset_spread(state: ArrayState, cells, error, rng: np.random.Generator) -> None:
    """Draw the read deviation of each reset cell in ``cells`` from ``error`` and realise it in the cell."""
    dev = state.device
    cells = list(cells)
    read = _read_conductances(dev)
    draws = np.atleast_1d(error.draw_nS(rng, size=len(cells))) * 1e-9
    for (i, j), draw in zip(cells, draws):
        cell = replace(state.cells[i][j], area_scale=1.0)
        if draw != 0.0:
            cell = replace(cell, area_scale=area_scale_for_read(dev, cell, read(cell) + draw))
        state.cells[i][j] = cell


def _read_conductances(device):
    """``device.read_conductance_of``, solved once per distinct cell state (the written cells of one
    level, or the reset cells, share theirs)."""
    return functools.lru_cache(maxsize=None)(device.read_conductance_of)


def ideal_cells(device, targets: np.ndarray) -> list:
    """Cells in their target states (code 0: reset), without write error."""
    return [[SwitchCell(closed=device.closed_for_level(int(k))) if k > 0 else SwitchCell() for k in row] for row in targets]


def target_conductance_S(device, targets: np.ndarray) -> np.ndarray:
    """Target read conductance of each state code (0 = the reset HRS), S."""
    g = np.array([device.hrs_conductance_S] + [v * 1e-9 for v in device.g_levels_nS])
    return g[targets]

