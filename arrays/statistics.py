"""Statistics of a transfer as the papers report them: within 2 and 4 nS, RMSE, MAE, per cell."""
from __future__ import annotations

import numpy as np
import pandas as pd

from arrays.netlist import CrossbarParams
from arrays.schemes import Phase


def pulses_per_cell(phase: Phase, xbar: CrossbarParams) -> np.ndarray:
    out = np.zeros(xbar.shape, dtype=int)
    for (i, cols), _t, n in phase.writes:
        for j in cols:
            out[i, j] += n
    return out


def error_statistics(err_nS: np.ndarray) -> dict:
    """Within 2 and 4 nS, RMSE and MAE of transfer errors, nS (NaN for none)."""
    e = np.asarray(err_nS, dtype=float)
    if not e.size:
        return {"n_cells": 0, "within_2nS_fraction": float("nan"), "within_4nS_fraction": float("nan"),
                "rmse_nS": float("nan"), "mae_nS": float("nan")}
    return {"n_cells": int(e.size), "within_2nS_fraction": float(np.mean(np.abs(e) <= 2.0)),
            "within_4nS_fraction": float(np.mean(np.abs(e) <= 4.0)), "rmse_nS": float(np.sqrt(np.mean(e**2))),
            "mae_nS": float(np.mean(np.abs(e)))}


def transfer_statistics(targets, g_target, g_read, written, pulses, g_before, tolerance_nS):
    rows, cols = np.indices(targets.shape)
    err = (g_read - g_target) * 1e9
    frame = pd.DataFrame({
        "wordline": rows.ravel(),
        "bitline": cols.ravel(),
        "state": targets.ravel(),
        "target_nS": g_target.ravel() * 1e9,
        "final_nS": g_read.ravel() * 1e9,
        "error_nS": err.ravel(),
        "pulses": pulses.ravel(),
        "written": written.ravel(),
    })
    e = err[written]
    untouched = ((g_read - g_before) * 1e9)[~written]
    summary = {
        **error_statistics(e),
        "within_tolerance_fraction": float(np.mean(np.abs(e) <= tolerance_nS)) if e.size else float("nan"),
        "max_abs_error_nS": float(np.abs(e).max()) if e.size else float("nan"),
        "unwritten_max_drift_nS": float(np.abs(untouched).max()) if untouched.size else 0.0,
        "n_unwritten": int(untouched.size),
    }
    return frame, summary
