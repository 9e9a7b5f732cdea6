"""Example 2: one weight transfer into a simulated HT-RRAM array through the library API.

Writes a random 8 x 3 level map (differential pairs on 6 of 8 bitlines) into an 8 x 8 array by the
fast triangular-pulse scheme, in ngspice, with the paper's programming error (sigma 1.06 nS), then
prints the error statistics and saves the conductance-by-level plot. The 24 x 24 array of the paper
works the same way (``arrays.transfer.transfer_layer``), in about a minute and a half.
Usage: python examples/02_transfer_weights.py [OUT_DIR]
"""
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from arrays.mapping import level_of_cells, random_levels, target_states  # noqa: E402
from arrays.netlist import CrossbarParams  # noqa: E402
from arrays.plots import plot_conductance_by_level  # noqa: E402
from arrays.programming import TransferConfig, transfer_states  # noqa: E402
from compact_models.ht_rram import HTRRAMParams  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/example02")
out.mkdir(parents=True, exist_ok=True)
xbar = CrossbarParams(rows=8, cols=8)
levels = random_levels(seed=4, shape=(8, 3))
result = transfer_states(HTRRAMParams(), target_states(levels, xbar.shape), TransferConfig(scheme="fast"), xbar=xbar,
                         seed=4)
s = result.summary
print(f"cells written: {s['n_cells']}")
print(f"within 2 nS: {s['within_2nS_fraction']:.3f}")
print(f"RMSE nS: {s['rmse_nS']:.3f}")
print(f"pulses: {s['n_pulses']}")
side = np.select([result.cells.bitline < 3, result.cells.bitline < 6], ["positive", "negative"], "unused")
cells = result.cells.assign(level=level_of_cells(levels, xbar.shape).ravel(), side=side)
cells.to_csv(out / "transfer.csv", index=False)
fig, ax = plt.subplots(figsize=(7, 4))
plot_conductance_by_level(ax, cells, "8 x 8 array, fast transfer")
fig.savefig(out / "conductance_by_level.png", dpi=100)
print(f"wrote {out / 'transfer.csv'} and {out / 'conductance_by_level.png'}")
