"""Example 4: bring your own device, from measured pulses to the power of an array of it.

A lab has measured a resistive memory that is neither built-in device: 20 switches whose thresholds
spread out from 3.30 V, 24 mV apart at first and 44 mV at the end (HT-RRAM: 28, evenly 25 mV apart
from 3.2625 V), so the fit gives each switch its own threshold; states from 9 to 72 nS, and
other area laws (Rs 4 Mohm with a 0.32 V slope, Ri 9.5 kohm with 0.52 V; HT-RRAM: 5.1 Mohm, 0.35 V,
8.7 kohm, 0.485 V). Its "measurements" here are synthetic, so the fit can be checked against the
truth: its ISPP in ngspice on a 16 mV ladder (finer than the thresholds' spacing, so every threshold is
placed to 8 mV), 3 cycles, with 0.05 nA of Gaussian noise on every read, and its DC I-V sweep with 1 %
noise. They are written as the CSVs a lab would have, fitted (`compact_models.fit`, as ``python -m
compact_models.fit --pulses pulses.csv --iv iv.csv --out DIR`` does), and the fitted device file is
then written into a 24 x 24 array and run through the main job's power study (QT and QT & PR, one
test image per class, in ngspice).
Usage: python examples/04_bring_your_own_device.py [OUT_DIR]
"""
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.transfer import TransferSpec
from compact_models import protocols
from compact_models.device_files import write_device_file
from compact_models.fit import fit_device, plot_fit, pulse_table, read_iv, read_pulses
from compact_models.ht_rram import HTRRAMParams
from compact_models.io import atomic_save_figure
from power.study import StudyConfig, run_study

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/example04")
out.mkdir(parents=True, exist_ok=True)

vt_table_V = 0.90 + np.concatenate([[0.0], np.cumsum(np.linspace(0.024, 0.044, 19))])
truth = replace(HTRRAMParams(), name="lab-device", citation="synthetic measurements of example 04", n_switches=20,
                vt_min_V=0.90, vt_step_V=float(np.mean(np.diff(vt_table_V))), vt_table_V=tuple(vt_table_V),
                g_levels_nS=(9.0, 18.0, 27.0, 36.0, 45.0, 54.0, 63.0, 72.0),
                level_switch_counts=(1, 4, 7, 10, 13, 16, 18, 20), rs_prefactor_ohm=4.0e6, rs_slope_V=0.32,
                ri_prefactor_ohm=9.5e3, ri_slope_V=0.52)
measured = pulse_table(protocols.ispp(truth, cycles=3, set_V=(3.0, 4.2, 0.016)), truth)
rng = np.random.default_rng(4)
measured["read_current_A"] += rng.normal(0.0, 0.05e-9, len(measured))
measured.to_csv(out / "pulses.csv", index=False)
sweep = protocols.dc_sweep(truth).trace
pd.DataFrame({"V": sweep.voltage_V, "I_A": sweep.current_nA * 1e-9 * (1 + rng.normal(0.0, 0.01, len(sweep)))}).to_csv(
    out / "iv.csv", index=False)

fit = fit_device(read_pulses(out / "pulses.csv"), name="lab-device-fit", iv=read_iv(out / "iv.csv"))
write_device_file(fit.device, out / "device.toml")
atomic_save_figure(out / "fit.png", plot_fit(fit))
fitted = fit.device
set_truth, set_fit = truth.vt_V + truth.vh_V, fitted.vt_V + fitted.vh_V
print(f"switches: {fitted.n_switches} (true {truth.n_switches}), thresholds {'each its own' if fitted.vt_table_V else 'a ladder'}")
print(f"largest threshold error mV: {np.max(np.abs(set_fit - set_truth)) * 1e3:.2f}")
print(f"largest ON resistance error: {np.max(np.abs(fitted.switch_ron_ohm / truth.switch_ron_ohm - 1)):.4f}")
print(f"states nS: {' '.join(f'{g:.2f}' for g in fitted.g_levels_nS)}")
for key in ("rs_prefactor_ohm", "rs_slope_V", "ri_prefactor_ohm", "ri_slope_V"):
    print(f"{key} fitted/true: {getattr(fitted, key) / getattr(truth, key):.4f}")
for phase, stats in fit.report["agreement"].items():
    print(f"{phase} RMSE of range: {stats['rmse_of_range']:.4f}")

# the DC I-V of the fitted device against the true one over the whole sweep (both in ngspice): its RMSE
# as a share of the current's range (a threshold a few mV off moves one 10 mV step of the staircase)
iv = {name: protocols.dc_sweep(dev).trace.current_nA.to_numpy() for name, dev in (("truth", truth), ("fit", fitted))}
rmse = np.sqrt(np.mean((iv["fit"] - iv["truth"]) ** 2)) / np.ptp(iv["truth"])
print(f"DC I-V RMSE of range: {rmse:.4f}")

study = run_study(StudyConfig(transfer=TransferSpec(device=str(out / "device.toml")), images_per_class=1))
pd.DataFrame(study.per_class).to_csv(out / "power_per_class.csv", index=False)
s = study.summary
print(f"QT power nW: {s['power_nW_mean']['qt']:.1f}")
print(f"QT & PR power nW: {s['power_nW_mean']['qtpr']:.1f}")
print(f"transfer RMSE nS: {s['transfer']['qt']['rmse_nS']:.3f}" if "transfer" in s else "transfer RMSE nS: n/a")
print(f"wrote {out}")
