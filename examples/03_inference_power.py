"""Example 3: one MNIST image through the array in ngspice, with its power trace, via the library API.

Trains (or loads from the cache) the QT network on the embedded MNIST sample, puts its second layer
into a 24 x 24 HT-RRAM array at the level conductances with the paper's programming error drawn
per cell (the simulated write is example 2 and ``python -m arrays.transfer``), runs one test image's
inference transient and integrates the power over the wordlines (paper 001, eqns 1-3).
Usage: python examples/03_inference_power.py [OUT_DIR]
"""
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from arrays.mapping import (
    counted_devices,  # noqa: E402
    target_states,  # noqa: E402
)
from arrays.netlist import CrossbarParams  # noqa: E402
from arrays.state import ArrayState, apply_programming_error  # noqa: E402
from compact_models.base import SwitchCell  # noqa: E402
from compact_models.ht_rram import HTRRAMParams, ProgrammingError  # noqa: E402
from power.images import infer_image_power  # noqa: E402
from snn.data import load_mnist  # noqa: E402
from snn.models import trained_variants  # noqa: E402
from snn.spiking import convert  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/example03")
out.mkdir(parents=True, exist_ok=True)
device, xbar = HTRRAMParams(), CrossbarParams()
data = load_mnist(None)
net = trained_variants(data, variants=("qt",))["qt"]
targets = target_states(np.asarray(net.levels2), xbar.shape)
state = ArrayState.fresh(device, xbar)
for i, j in zip(*np.nonzero(targets)):
    state.cells[i][j] = SwitchCell(closed=device.closed_for_level(int(targets[i, j])))
apply_programming_error(state, list(zip(*np.nonzero(targets))), ProgrammingError(), np.random.default_rng(0))

spikes = convert(net, data.train_x).hidden_spikes(data.test_x[:1])[0]
r = infer_image_power(device, xbar, state.cells, spikes, counted=counted_devices(xbar, net.levels2), trace=True)
p = r["power"]
print(f"label: {int(data.test_y[0])}")
print(f"predicted: {r['predicted']}")
print(f"array power nW: {p['array_power_nW']:.2f}")
print(f"source power nW: {p['source_power_nW']:.2f}")
print(f"time points: {p['n_time_points']}")
r["trace"].to_csv(out / "power_trace.csv", index=False)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(r["trace"].time_s * 1e3, r["trace"].array_power_nW, lw=0.8)
ax.axhline(p["array_power_nW"], ls="--", color="k", label=f"average {p['array_power_nW']:.0f} nW")
ax.set_xlabel("time (ms)")
ax.set_ylabel("array power (nW)")
ax.legend()
fig.savefig(out / "power_trace.png", dpi=100)
print(f"wrote {out / 'power_trace.csv'} and {out / 'power_trace.png'}")
