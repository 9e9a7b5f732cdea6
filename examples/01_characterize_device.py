"""Example 1: characterise the HT-RRAM compact model in ngspice through the library API.

Runs the ISPP protocol of paper 001 (Fig. 5b) for 3 cycles, prints the read-current range of each
cycle and saves the plot.   Usage: python examples/01_characterize_device.py [OUT_DIR]
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from compact_models import plots, protocols  # noqa: E402
from compact_models.ht_rram import HTRRAMParams  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/example01")
out.mkdir(parents=True, exist_ok=True)
result = protocols.ispp(HTRRAMParams(), cycles=3)
per_cycle = result.reads.groupby("cycle").read_current_nA.agg(["min", "max"])
print(per_cycle.round(2).to_string())
fig, ax = plt.subplots(figsize=(7, 4))
plots.plot_ispp(ax, result.reads, "HT-RRAM ISPP, 3 cycles")
fig.savefig(out / "ispp.png", dpi=100)
print(f"wrote {out / 'ispp.png'}")
