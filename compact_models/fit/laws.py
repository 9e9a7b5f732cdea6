"""The area laws from a DC I-V: each cell's currents along the sweep, its switches following their hysteresis."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from compact_models.errors import ParameterError
from compact_models.hfoxsy import read_table_changes

LAW_KEYS = {"ht-rram": ("rs_prefactor_ohm", "rs_slope_V", "ri_prefactor_ohm", "ri_slope_V"), "hfoxsy": ("g_programming_uS",)}
"""Per model, the area-law parameters a DC I-V fits (the prefactors stand for prefactor and offset together)."""
IV_POINTS = 300
"""At most this many points of the I-V enter the law fit (evenly taken along the sweep)."""


def iv_currents_A(device, v: np.ndarray) -> np.ndarray:
    """DC currents of one cell along a sweep ``v`` (in order), its switches following their hysteresis from reset."""
    from compact_models.base import SwitchCell

    v_on, v_off = SwitchCell().thresholds_V(device)
    closed = np.zeros(device.n_switches, dtype=bool)
    g_on, g_off = 1.0 / device.switch_ron_ohm, 1.0 / device.roff_ohm
    out = np.empty(len(v))
    for k, vk in enumerate(v):
        closed = np.where(vk > v_on, True, np.where(vk < v_off, False, closed))
        out[k] = device.current_A(float(np.where(closed, g_on, g_off).sum()), float(vk))
    return out


def law_changes(device, laws: dict) -> dict:
    """The changes that give ``device`` the area laws ``laws``: with them, a pulse-train device's read table
    (`switch_reads_uS`) gets its summary again (`curve_steps` from the new reset read)."""
    reads = getattr(device, "switch_reads_uS", ())
    return read_table_changes(device, reads, **laws) if reads else dict(laws)


def fit_laws(device, iv: pd.DataFrame, keys) -> tuple:
    """The area-law parameters ``keys`` that bring ``device``'s DC currents (`iv_currents_A`) to the
    measured ``iv``, by least squares on the currents relative to their size; and the I-V agreement."""
    from scipy.optimize import least_squares

    take = np.unique(np.linspace(0, len(iv) - 1, min(len(iv), IV_POINTS)).astype(int))
    v, i = iv.V.to_numpy()[take], iv.I_A.to_numpy()[take]
    scale = np.abs(i) + 1e-3 * np.abs(i).max()
    start = np.log([getattr(device, k) for k in keys])

    def model(x):
        try:
            return iv_currents_A(dataclasses.replace(device, **law_changes(device, dict(zip(keys, np.exp(x))))), v)
        except (ParameterError, ValueError):
            return np.full_like(v, np.inf)

    def residual(x):
        r = (model(x) - i) / scale
        return np.where(np.isfinite(r), r, 1e3)

    sol = least_squares(residual, start, x_scale=1.0, diff_step=1e-4, max_nfev=200)
    values = law_changes(device, {k: float(x) for k, x in zip(keys, np.exp(sol.x))})
    span = float(np.ptp(i))
    before, after = model(start), model(sol.x)
    report = {"n_points": int(len(v)), "rmse_of_range_before": float(np.sqrt(np.mean((before - i) ** 2)) / span),
              "rmse_of_range": float(np.sqrt(np.mean((after - i) ** 2)) / span), "fitted": values}
    return values, report
