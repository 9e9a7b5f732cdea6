"""Power of a crossbar from the vectors of its own transient (paper 001, eqns 1-3).

Every device's instantaneous power is the voltage across it times the current through it,
P_ij(t) = (V(w_ij) - V(b_ij)) * I_ij(t), with I_ij taken from Kirchhoff's current law at its
wordline node (the wordline current arriving minus the current passed on to the next cell, each
from the node voltages and the segment's resistance). A wordline's power is the sum over its
counted devices, its average the trapezoidal integral over the simulator's own time points divided
by the window; the array's average power is the sum over the wordlines. The power the sources
deliver is reported separately: it also covers the losses in the line and contact resistances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arrays.energy import device_currents_A, line_loss_W, power_vectors, source_power_W
from arrays.netlist import CrossbarParams
from compact_models.errors import ParameterError

__all__ = ["PowerReport", "integrate_power", "power_vectors", "quasi_static_power_nW"]


@dataclass
class PowerReport:
    """Power of one transient: per device, per wordline and per time point, and the averages."""

    per_device: pd.DataFrame
    """``wordline``, ``bitline``, ``counted``, ``energy_fJ``, ``average_power_nW``."""
    per_wordline: pd.DataFrame
    """``wordline``, ``array_power_nW`` (its counted devices), ``source_power_nW`` (its driver)."""
    per_time: pd.DataFrame
    """``time_s``, ``array_power_nW``, ``line_loss_nW``, ``source_power_nW`` and ``wl<i>_power_nW``."""
    summary: dict
    """``array_power_nW``, ``source_power_nW`` (incl. line losses), ``line_loss_nW``,
    ``uncounted_devices_power_nW``, ``window_s``, ``n_time_points``."""


MIN_LINE_OHM = 1e-3


def integrate_power(res, xbar: CrossbarParams, counted: np.ndarray | None = None, window: tuple | None = None) -> PowerReport:
    """Average powers of an array transient ``res`` (saved with `power_vectors`).

    ``counted`` (rows x cols, bool) marks the devices that make up the array power (paper 001: the
    20 devices a wordline connects to the layer); all by default. ``window`` (start, end) in s is the
    inference window, by default the whole transient; it must lie on simulator time points.
    """
    t = np.asarray(res.time, dtype=float)
    if t.size < 2:
        raise ParameterError("the transient has fewer than two time points; nothing to integrate")
    start, end = window if window is not None else (t[0], t[-1])
    keep = (t >= start - 1e-15) & (t <= end + 1e-15)
    if not end > start or abs(t[keep][0] - start) > 1e-12 or abs(t[keep][-1] - end) > 1e-12:
        raise ParameterError(f"window {start:g}..{end:g} s must span simulator time points within {t[0]:g}..{t[-1]:g} s")
    if min(xbar.r_wire_wl_ohm, xbar.r_wire_bl_ohm, xbar.r_contact_ohm) < MIN_LINE_OHM:
        raise ParameterError("power integration needs line and contact resistances of at least 1 mOhm: the currents "
                             "come from the voltage drops across them; set r_wire/r_contact to 1e-3 ohm or more")
    counted = np.ones(xbar.shape, dtype=bool) if counted is None else np.asarray(counted, dtype=bool)
    if counted.shape != xbar.shape:
        raise ParameterError(f"counted mask is {counted.shape}, the array is {xbar.shape}")
    v, i, nodes = device_currents_A(res, xbar)
    p_dev = (v * i)[keep]
    tk = t[keep]
    span = end - start
    energy = np.trapezoid(p_dev, tk, axis=0)
    p_wl = (p_dev * counted).sum(axis=2)
    p_array = p_wl.sum(axis=1)
    p_uncounted = (p_dev * ~counted).sum(axis=(1, 2))
    p_loss = line_loss_W(res, xbar, nodes)[keep]
    p_src_wl, p_src_bl = source_power_W(res, xbar)
    p_src_wl = p_src_wl[keep]
    p_src = p_src_wl.sum(axis=1) + np.broadcast_to(p_src_bl, t.shape)[keep]

    def avg_nW(p):
        return float(np.trapezoid(p, tk) / span * 1e9)

    rows, cols = np.indices(xbar.shape)
    per_device = pd.DataFrame({
        "wordline": rows.ravel(), "bitline": cols.ravel(), "counted": counted.ravel(),
        "energy_fJ": energy.ravel() * 1e15, "average_power_nW": energy.ravel() / span * 1e9,
    })
    per_wordline = pd.DataFrame({
        "wordline": np.arange(xbar.rows),
        "array_power_nW": np.trapezoid(p_wl, tk, axis=0) / span * 1e9,
        "source_power_nW": np.trapezoid(p_src_wl, tk, axis=0) / span * 1e9,
    })
    per_time = pd.DataFrame({"time_s": tk, "array_power_nW": p_array * 1e9, "line_loss_nW": p_loss * 1e9,
                             "source_power_nW": p_src * 1e9})
    per_time = pd.concat([per_time, pd.DataFrame(p_wl * 1e9, columns=[f"wl{k}_power_nW" for k in range(xbar.rows)])], axis=1)
    summary = {
        "array_power_nW": float(per_wordline.array_power_nW.sum()),
        "source_power_nW": avg_nW(p_src),
        "line_loss_nW": avg_nW(p_loss),
        "uncounted_devices_power_nW": avg_nW(p_uncounted),
        "window_s": float(span),
        "n_time_points": int(tk.size),
    }
    return PowerReport(per_device, per_wordline, per_time, summary)


def quasi_static_power_nW(step_power_W: np.ndarray, timing=None) -> np.ndarray:
    """Average array power (nW) over the inference window from each step's plateau power (... x steps).

    What `integrate_power` computes from a transient, for the nodal engine's DC steps: each spike is
    a plateau of ``pulse_s`` at the plateau power plus a rise and a fall of ``edge_s`` each, over which
    the power of a near-linear cell grows as V^2 and so averages a third of the plateau's.
    """
    from snn.inference import SpikeTiming

    timing = timing or SpikeTiming()
    p = np.asarray(step_power_W, dtype=float)
    return p.sum(axis=-1) * timing.duty / p.shape[-1] * 1e9
