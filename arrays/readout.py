"""Read the conductance map out of a simulated array the way the hardware does.

One wordline at a time at the read voltage, the others and all bitlines at 0 V, and the conductance
from the bitline currents: G_ij = I_bl_j / V_read while wordline i is selected. All the reads run in
one ngspice transient, so line resistance acts as it would.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from arrays.netlist import CrossbarParams, device_array_netlist
from compact_models import simulator
from compact_models.waveforms import Waveform, sample_windows

READ_WIDTH_S = 100e-6


def read_waveforms(xbar: CrossbarParams, read_V: float, width_s: float = READ_WIDTH_S):
    """PWL specs selecting each wordline in turn, and the read windows."""
    waves = []
    windows = []
    for i in range(xbar.rows):
        w = Waveform()
        w.wait(width_s * 0.1 + i * (width_s + 3 * w.edge_s + width_s * 0.1))
        w.rect(read_V, width_s, "read", gap_s=width_s * 0.1)
        windows.append(w.windows("read")[0])
        waves.append(w)
    end = max(w.end_s for w in waves)
    specs = []
    for w in waves:
        w.wait(end - w.end_s + 1e-9)
        specs.append(w.pwl())
    return specs, windows, end


def read_conductance_map(device, xbar: CrossbarParams, cells, backend: str = "auto") -> pd.DataFrame:
    """Conductance of every cell at the device's read voltage, measured in ngspice.

    Returns a long DataFrame: ``wordline``, ``bitline``, ``conductance_nS``.
    """
    specs, windows, end = read_waveforms(xbar, device.read_V)
    net = device_array_netlist(device, xbar, cells, specs, ["0"] * xbar.cols, title="read-out")
    save = [f"i(vbl{j})" for j in range(xbar.cols)]
    res = simulator.run(net, f".tran {READ_WIDTH_S / 2:.6g} {end:.9g} 0 {READ_WIDTH_S / 2:.6g}", save=save, backend=backend)
    g = np.empty(xbar.shape)
    for j in range(xbar.cols):
        g[:, j] = sample_windows(res.time, res[f"i(vbl{j})"], windows) / device.read_V
    return conductance_frame(g)


def conductance_frame(g_S: np.ndarray, column: str = "conductance_nS") -> pd.DataFrame:
    """A rows x cols map in S as a long DataFrame in nS."""
    rows, cols = np.indices(g_S.shape)
    return pd.DataFrame({"wordline": rows.ravel(), "bitline": cols.ravel(), column: g_S.ravel() * 1e9})


def frame_to_map(frame: pd.DataFrame, column: str = "conductance_nS") -> np.ndarray:
    """Back from the long DataFrame to a rows x cols array (in the column's unit)."""
    return frame.pivot(index="wordline", columns="bitline", values=column).to_numpy()
