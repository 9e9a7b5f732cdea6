"""Read the conductance map out of a simulated array the way the hardware does.

One wordline at a time at the read voltage, the others and all bitlines at 0 V, and the conductance
from the bitline currents: G_ij = I_bl_j / V_read while wordline i is selected. The reads are one
ngspice DC sweep over a wordline-select index (reads are steady states: the capacitors carry no
current), so line resistance and every cell's non-linear I-V act as they would, at a fraction of
the cost of a transient. Switches a read cannot reach (every one at the nominal read voltages,
unless device variation moved a threshold there) are frozen into one resistor per cell, which they
are while they do not move, so ngspice loads no per-cell switch models (`benchmarks/README.md`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from arrays.netlist import (
    CrossbarParams,
    device_array_netlist,
    live_switch_map,
    selector_drivers,
)
from compact_models import osdi, simulator

READ_OPTIONS = ".options reltol=1e-6"
"""ngspice's default reltol (1e-3) ends a DC point's Newton iterations while a strongly coupled array
of non-linear cells (HfOxSy's field-activated areas behind 10 ohm lines) is still 6e-4 off; 1e-6 puts
every read within 1e-9 of the nodal engine at no measurable cost (the reads' Newton steps converge
quadratically)."""


def read_conductance_map(device, xbar: CrossbarParams, cells, backend: str = "auto") -> pd.DataFrame:
    """Conductance of every cell at the device's read voltage, measured in ngspice.

    Returns a long DataFrame: ``wordline``, ``bitline``, ``conductance_nS``.
    """
    return conductance_frame(read_conductance_S(device, xbar, cells, backend))


def read_conductance_S(device, xbar: CrossbarParams, cells, backend: str = "auto") -> np.ndarray:
    """The read-out as a rows x cols array in S."""
    v = device.read_V
    lo = np.full(xbar.shape, min(0.0, v))
    hi = np.full(xbar.shape, max(0.0, v))
    net = device_array_netlist(device, xbar, cells, None, ["0"] * xbar.cols, title="read-out",
                               drivers=selector_drivers(xbar, v), live=live_switch_map(device, cells, lo, hi),
                               compiled=osdi.usable())
    save = [f"i(vbl{j})" for j in range(xbar.cols)]
    res = simulator.run(net, f".dc vsel 0 {xbar.rows - 1} 1", save=save, backend=backend, options=READ_OPTIONS)
    return np.array([res[f"i(vbl{j})"] for j in range(xbar.cols)]).T / device.read_V


def conductance_frame(g_S: np.ndarray, column: str = "conductance_nS") -> pd.DataFrame:
    """A rows x cols map in S as a long DataFrame in nS."""
    rows, cols = np.indices(g_S.shape)
    return pd.DataFrame({"wordline": rows.ravel(), "bitline": cols.ravel(), column: g_S.ravel() * 1e9})


def frame_to_map(frame: pd.DataFrame, column: str = "conductance_nS") -> np.ndarray:
    """Back from the long DataFrame to a rows x cols array (in the column's unit)."""
    return frame.pivot(index="wordline", columns="bitline", values=column).to_numpy()
