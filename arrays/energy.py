"""Power and energy of an array transient from the simulator's own vectors: devices, lines, sources.

Every device's instantaneous power is the voltage across it times the current through it, the
current from Kirchhoff's current law at its wordline node (the wordline current arriving minus the
current passed on to the next cell, each from the node voltages and the segment's resistance). The
lines' and contacts' losses come from the drops across them, the sources' power from their own
currents. `power.integrator` averages these over an inference window; `write_energy` integrates
them over a write transient and splits the devices' energy into the cells a pulse selects and the
half-selected rest.
"""
from __future__ import annotations

import numpy as np

from arrays.netlist import CrossbarParams

SELECTED_FRACTION = 0.75
"""A cell counts as selected while its nominal voltage (its wordline minus its bitline source) is at
least this share of the largest one in the array: V against the V/2 of the half-selected cells."""


def power_vectors(xbar: CrossbarParams) -> list:
    """The vectors the integrator needs: every node of the array and every source current."""
    m, n = xbar.shape
    names = [f"v(w{i}_{j})" for i in range(m) for j in range(n)] + [f"v(b{i}_{j})" for i in range(m) for j in range(n)]
    names += [f"v(wl{i})" for i in range(m)] + [f"v(bl{j})" for j in range(n)]
    return names + [f"i(vwl{i})" for i in range(m)] + [f"i(vbl{j})" for j in range(n)]




def _r(value: float) -> float:
    return max(value, 1e-6)


def device_currents_A(res, xbar: CrossbarParams) -> tuple:
    """Voltage across (V) and current through (A) every device, each time x rows x cols."""
    m, n = xbar.shape
    vw = np.stack([np.stack([res[f"v(w{i}_{j})"] for j in range(n)], -1) for i in range(m)], 1)
    vb = np.stack([np.stack([res[f"v(b{i}_{j})"] for j in range(n)], -1) for i in range(m)], 1)
    vwl = np.stack([res[f"v(wl{i})"] for i in range(m)], -1)
    # Current along each wordline into cell j: from the driver for j = 0, from cell j-1 otherwise.
    inflow = np.empty_like(vw)
    inflow[:, :, 0] = (vwl - vw[:, :, 0]) / _r(xbar.r_contact_ohm)
    inflow[:, :, 1:] = (vw[:, :, :-1] - vw[:, :, 1:]) / _r(xbar.r_wire_wl_ohm)
    outflow = np.zeros_like(vw)
    outflow[:, :, :-1] = inflow[:, :, 1:]
    return vw - vb, inflow - outflow, (vw, vb, vwl)


def line_loss_W(res, xbar: CrossbarParams, nodes=None) -> np.ndarray:
    """Instantaneous power dissipated in every line segment and contact, summed, W (per time point)."""
    m, n = xbar.shape
    vw, vb, vwl = nodes if nodes is not None else device_currents_A(res, xbar)[2]
    vbl = np.stack([res[f"v(bl{j})"] for j in range(n)], -1)
    loss = ((vwl - vw[:, :, 0]) ** 2).sum(-1) / _r(xbar.r_contact_ohm)
    loss += (np.diff(vw, axis=2) ** 2).sum((1, 2)) / _r(xbar.r_wire_wl_ohm)
    loss += (np.diff(vb, axis=1) ** 2).sum((1, 2)) / _r(xbar.r_wire_bl_ohm)
    loss += ((vb[:, m - 1, :] - vbl) ** 2).sum(-1) / _r(xbar.r_contact_ohm)
    return loss


def source_power_W(res, xbar: CrossbarParams) -> tuple:
    """Power delivered by each wordline source and by all bitline sources, W (per time point)."""
    m, n = xbar.shape
    # ngspice's source current flows from + through the source to -: delivered power is -V * I.
    wl = np.stack([-res[f"v(wl{i})"] * res[f"i(vwl{i})"] for i in range(m)], -1)
    bl = sum(-res[f"v(bl{j})"] * res[f"i(vbl{j})"] for j in range(n))
    return wl, bl


def log_mean_integral(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The integral of a power ``p`` (time first) over ``t``, each interval by its logarithmic mean.

    Between two time points a cell's voltage follows the sources' straight ramps and its current
    grows exponentially with it (the areas' laws), so its power is close to exponential in time; the
    logarithmic mean (p1 - p0) / ln(p1 / p0) integrates that exactly where the trapezoid rule, on the
    few points per pulse a write transient needs for its switch states, overestimates the energy by
    about a quarter. Intervals where the power changes sign or is zero fall back to the trapezoid.
    """
    return (_log_means(p) * _intervals(t, p)).sum(axis=0)


def _intervals(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.diff(t).reshape((-1,) + (1,) * (p.ndim - 1))


def _log_means(p: np.ndarray) -> np.ndarray:
    """Each interval's mean power of `log_mean_integral`: the logarithmic mean, or the trapezoid's."""
    p0, p1 = p[:-1], p[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = p1 / p0
        ok = np.abs(ratio - 1) > 1e-6
        ok &= p0 * p1 > 0
        lm = p1 - p0
        lm /= np.log(ratio, out=ratio)
    mean = p0 + p1
    mean *= 0.5
    np.copyto(mean, lm, where=ok)
    return mean


def split_log_mean_integral(p: np.ndarray, selected: np.ndarray, t: np.ndarray) -> tuple:
    """`log_mean_integral` of ``p`` where ``selected`` and of ``p`` elsewhere (each 0 at the other points), from
    one pass: an interval inside one part has the whole interval's mean, one that enters or leaves a part
    the trapezoid of that part's end (the other end is 0). Only the intervals that touch a selected
    point (a write's few selected cells) differ from the whole interval's mean in the unselected part."""
    dt = _intervals(t, p)
    m0, m1 = selected[:-1], selected[1:]
    rest = _log_means(p)
    rest *= dt
    touched = m0 | m1
    inside, enters, leaves = (m0 & m1)[touched], m1[touched] & ~m0[touched], m0[touched] & ~m1[touched]
    mean_dt = rest[touched]
    dt_t = np.broadcast_to(dt, p[:-1].shape)[touched]
    half0, half1 = 0.5 * p[:-1][touched], 0.5 * p[1:][touched]
    part = np.zeros_like(rest)
    part[touched] = np.where(inside, mean_dt, np.where(leaves, half0 * dt_t, np.where(enters, half1 * dt_t, 0.0)))
    rest[touched] = np.where(inside, 0.0, np.where(leaves, half1 * dt_t, half0 * dt_t))
    return part.sum(axis=0), rest.sum(axis=0)


def write_energy(res, phase, xbar: CrossbarParams) -> dict:
    """Energy of one write transient ``res`` (saved with `power_vectors`) of ``phase``, J.

    Returns per cell (rows x cols) ``selected_J`` and ``half_selected_J`` (the device's energy while its
    nominal voltage is, or is not, the selected level: `SELECTED_FRACTION`), and for the array
    ``lines_J`` (segments and contacts) and ``sources_J`` (delivered by every source: devices + lines
    + the capacitors' stored energy, which is returned by the end of each pulse).
    """
    t = np.asarray(res.time, dtype=float)
    v, i, nodes = device_currents_A(res, xbar)
    p = v * i
    wl = np.array([np.interp(t, w.times, w.values) for w in phase.wl])  # rows x time
    bl = np.array([np.interp(t, w.times, w.values) for w in phase.bl])  # cols x time
    nominal = np.abs(wl.T[:, :, None] - bl.T[:, None, :])  # time x rows x cols
    peak = nominal.max(axis=(1, 2), keepdims=True)
    selected = (nominal >= SELECTED_FRACTION * peak) & (peak > 0)
    p_wl, p_bl = source_power_W(res, xbar)
    selected_J, half_selected_J = split_log_mean_integral(p, selected, t)
    return {
        "selected_J": selected_J,
        "half_selected_J": half_selected_J,
        "lines_J": float(log_mean_integral(line_loss_W(res, xbar, nodes), t)),
        "sources_J": float(log_mean_integral(p_wl.sum(axis=1) + p_bl, t)),
    }


def add_energy(a: dict | None, b: dict) -> dict:
    """The energies of two transients, summed (None is none)."""
    return dict(b) if a is None else {k: a[k] + b[k] for k in b}
