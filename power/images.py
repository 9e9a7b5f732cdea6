"""One image's inference transient in ngspice with the power of the array over its window."""
from __future__ import annotations

import numpy as np

from arrays.netlist import CrossbarParams
from power.integrator import integrate_power, power_vectors
from snn.inference import SpikeTiming, bitline_step_currents, classify


def infer_image_power(device, xbar: CrossbarParams, cells, spikes: np.ndarray, counted: np.ndarray | None = None,
                      timing: SpikeTiming = SpikeTiming(), backend: str = "auto", trace: bool = False) -> dict:
    """One image's inference transient with its power (`power.integrator`) over the inference window.

    Returns the class, the accumulated differential currents (nA), the power summary and, with
    ``trace``, the per-time-point DataFrame of the array power.
    """
    currents, res = bitline_step_currents(device, xbar, cells, spikes, "transient", timing, backend,
                                          save_extra=power_vectors(xbar), return_result=True)
    label, diff = classify(currents)
    report = integrate_power(res, xbar, counted=counted, window=(0.0, spikes.shape[0] * timing.step_s))
    out = {"predicted": label, "diff_current_nA": diff * 1e9, "power": report.summary,
           "wordline_power_nW": report.per_wordline.array_power_nW.to_numpy()}
    if trace:
        out["trace"] = report.per_time
    return out
