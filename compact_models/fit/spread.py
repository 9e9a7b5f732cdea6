"""Device-to-device spreads from a pulse table of several devices (a ``device`` column)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from compact_models.errors import InputFileError
from compact_models.fit.tables import RESET_PHASES, SET_PHASES, _phase, _rise_floor, _rises, _step_middles
from compact_models.write_error import truncated_std

MIN_DEVICES = 3
"""Devices a table needs before their device-to-device spread is fitted."""


def device_spread(pulses: pd.DataFrame, device) -> tuple:
    """(HT-RRAM's d2d_vt_sigma_V and d2d_ron_sigma_rel, the report) from the devices of a pulse table.

    `base.DeviceVariation` shifts each of a device's thresholds by N(0, sigma_vt) and scales each
    switch's RON by exp(N(0, sigma_ron)). Each staircase that places all n thresholds
    (`_placed_thresholds`, each to the middle of its pulse's amplitude step q) gives the k-th lowest's
    deviation from the median over the staircases, whose variance is sigma_vt^2 + q^2 / 12 where the
    thresholds' spacing is well above sigma_vt (they keep their order); deviations beyond 4 robust
    sigma (a miscounted rise) are left out. The full-on read, all switches closed,
    gives the switch bank's conductance B = sum g_i f_i, whose squared coefficient of variation is
    (exp(sigma_ron^2) - 1) sum g_i^2 / (sum g_i)^2 plus the reads' own noise. Both are solved for
    their sigma by the moments over the devices (0 where the spread is within the measurement's).
    """
    per, ladders = [], []
    n = device.n_switches
    for name, own in pulses.groupby("device", sort=False):
        sets = _phase(own, SET_PHASES)
        hrs, sigma, floor = _rise_floor(own)
        placed = [_placed_thresholds(device, g.amplitude_V.to_numpy(), g.conductance_S.to_numpy(), hrs, floor)
                  for _, g in sets.groupby("cycle")]
        whole = [t for t in placed if t.size == n]
        ladders += whole
        full = sets.groupby("cycle").conductance_S.last()
        per.append({"device": name, "staircases_with_every_switch": len(whole), "full_read_S": float(full.mean()),
                    "read_noise_S": sigma, "cycles": int(full.size)})
    frame = pd.DataFrame(per)
    sets = _phase(pulses, SET_PHASES)
    q = float(sets.groupby("cycle").amplitude_V.apply(lambda a: np.median(np.abs(np.diff(a)))).median())
    if len(ladders) < MIN_DEVICES:
        raise InputFileError(f"only {len(ladders)} staircase(s) show all {n} switches one by one; the threshold spread "
                             f"needs {MIN_DEVICES}: measure with a finer amplitude step")
    table = np.array(ladders)
    resid = (table - np.median(table, axis=0)).ravel()
    mad = 1.4826 * float(np.median(np.abs(resid)))
    kept = resid[np.abs(resid) <= 4 * mad] if mad > 0 else resid
    vt_var = float(np.mean(kept ** 2)) * len(table) / (len(table) - 1) - q ** 2 / 12
    bank = np.array([device.switch_conductance_for_read_S(g) for g in frame.full_read_S])
    g_full = float(frame.full_read_S.mean())
    slope = (device.switch_conductance_for_read_S(1.001 * g_full) - device.switch_conductance_for_read_S(0.999 * g_full)) / (0.002 * g_full)
    noise = float(np.mean((frame.read_noise_S * slope) ** 2 / frame.cycles))
    cv2 = (float(np.var(bank, ddof=1)) - noise) / float(np.mean(bank)) ** 2
    g = 1.0 / np.asarray(device.switch_ron_ohm)
    ron_var = float(np.log1p(max(cv2, 0.0) * g.sum() ** 2 / np.sum(g ** 2)))
    values = {"d2d_vt_sigma_V": float(np.sqrt(max(vt_var, 0.0))), "d2d_ron_sigma_rel": float(np.sqrt(ron_var))}
    report = {"n_devices": int(len(frame)), "amplitude_step_V": q, **values,
              "per_device": frame.to_dict(orient="records")}
    return values, report


def _placed_thresholds(device, amp: np.ndarray, reads: np.ndarray, hrs: float, floor: float) -> np.ndarray:
    """One staircase's set thresholds in rising order, each the middle of the amplitude step of the pulse
    after which the read rose; a rise by about twice the fitted device's step there closed two switches
    (two thresholds within one amplitude step) and places both."""
    g = np.concatenate([[hrs], reads])
    steps = np.diff(device.read_curve_S())
    middles = _step_middles(amp, np.arange(amp.size))
    placed = []
    for j in _rises(g, floor) - 1:
        placed += [middles[j]] * max(1, int(round((g[j + 1] - g[j]) / steps[min(len(placed), steps.size - 1)])))
    return np.array(placed)


def train_spread(pulses: pd.DataFrame, device) -> tuple:
    """(HfOxSy's d2d_ron_sigma_rel, the report) from the devices' potentiation trains.

    A read after pulse k, turned back into the switch bank's conductance (`switch_conductance_for_read_S`),
    has risen by switch k's ON conductance, which `base.DeviceVariation` scales by exp(-N(0, sigma_ron))
    once per device: over the devices, the squared coefficient of variation of each device's mean rise
    at pulse k is exp(sigma_ron^2) - 1 plus that mean's own noise (the cycle-to-cycle sigma of the two
    reads in bank conductance, each its state's, over the device's cycles). The excess, averaged over the switches, gives
    sigma_ron (0 where the noise covers the spread).
    """
    pot = _phase(pulses, SET_PHASES)
    n = device.n_switches
    bank = np.vectorize(device.switch_conductance_for_read_S)
    sigma_S = device.c2c_sigma_uS(np.arange(n + 1)) * 1e-6 * truncated_std(device.c2c_truncate_sigma)  # each state's read spread
    starts = _phase(pulses, RESET_PHASES).groupby(["device", "cycle"]).conductance_S.last().groupby(level="device").median()
    rises, noise, per = [], [], []
    for name, own in pot.groupby("device", sort=False):
        reads = np.array([g.conductance_S.to_numpy()[:n] for _, g in own.groupby("cycle") if len(g) >= n])
        if len(reads) < 2:
            raise InputFileError(f"device {name} has {len(reads)} whole potentiation train(s); its spread needs 2 or more")
        start = float(starts[name])
        mean = np.concatenate([[start], reads.mean(axis=0)])
        rises.append(np.diff(bank(np.concatenate([np.full((len(reads), 1), start), reads], axis=1)), axis=1).mean(axis=0))
        h = 1e-3 * mean
        slope = (bank(mean + h) - bank(mean - h)) / (2 * h)
        noise.append(((sigma_S[1:] * slope[1:]) ** 2 + (sigma_S[:-1] * slope[:-1]) ** 2) / len(reads))
        per.append({"device": name, "cycles": int(len(reads)), "mean_rise_S": float(rises[-1].mean())})
    rises, noise = np.array(rises), np.array(noise)
    typical = rises.mean(axis=0)
    excess = (np.var(rises, axis=0, ddof=1) - noise.mean(axis=0)) / typical ** 2
    values = {"d2d_ron_sigma_rel": float(np.sqrt(np.log1p(max(float(excess.mean()), 0.0))))}
    report = {"n_devices": int(len(per)), **values, "per_device": per}
    return values, report
