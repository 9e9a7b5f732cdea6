"""Benchmark: simulated weight transfer, fast scheme against half-bias, on the same weights.

    .venv/bin/python benchmarks/transfer_speed.py [--seed 0] [--out benchmarks/transfer_speed.json]

Runs both schemes on the full 24 x 24 HT-RRAM array in ngspice with the default programming error
and prints one table: ngspice wall time, pulses, passes and the error statistics of each, and the
ratio of the wall times (paper 001: the fast scheme halves the transfer simulation time).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arrays.mapping import random_levels  # noqa: E402
from arrays.transfer import transfer_layer  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("transfer_speed.json"))
    args = parser.parse_args(argv)
    levels = random_levels(args.seed)
    rows = {}
    for scheme in ("fast", "half-bias"):
        t0 = time.perf_counter()
        layer = transfer_layer(levels, scheme=scheme, seed=args.seed)
        s = layer.summary
        rows[scheme] = {
            "total_wall_s": round(time.perf_counter() - t0, 2),
            "sim_wall_s": s["sim_wall_s"],
            "n_pulses": s["n_pulses"],
            "n_passes": s["n_passes"],
            "within_2nS_fraction": s["within_2nS_fraction"],
            "rmse_nS": s["rmse_nS"],
        }
    ratio = rows["fast"]["sim_wall_s"] / rows["half-bias"]["sim_wall_s"]
    print(f"{'scheme':<10} {'ngspice wall s':>14} {'total s':>8} {'pulses':>7} {'passes':>6} {'<=2 nS':>7} {'RMSE nS':>8}")
    for scheme, r in rows.items():
        print(f"{scheme:<10} {r['sim_wall_s']:>14.1f} {r['total_wall_s']:>8.1f} {r['n_pulses']:>7d} {r['n_passes']:>6d} "
              f"{r['within_2nS_fraction']:>7.1%} {r['rmse_nS']:>8.3f}")
    print(f"fast / half-bias ngspice wall time: {ratio:.3f} (target <= 0.5)")
    record = {"transfer_fast_s": rows["fast"]["sim_wall_s"], "transfer_half_bias_s": rows["half-bias"]["sim_wall_s"],
              "fast_over_half_bias": ratio, "schemes": rows, "seed": args.seed,
              "machine": {"python": platform.python_version(), "processor": platform.processor(), "cores": __import__("os").cpu_count()}}
    from compact_models.io import atomic_write_json

    atomic_write_json(args.out, record)
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
