"""Transfer a weight-level map into a simulated array: ``python -m arrays.transfer --scheme fast``.

Writes into ``--out``: ``transfer.csv`` (one row per cell), ``summary.json`` (its ``transfer``
object), ``levels.csv`` (the map used), ``pwl/`` (every transfer transient as PWL text files and a
netlist) and the figures of paper 001: conductance by weight level (Fig. 8), violins (Fig. 9) and
weight maps (Fig. 10).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.cli import add_common_arguments, fail, prepare_out_dir, setup_logging
from compact_models.errors import RRAMError

STOP_AFTER = ("transfer",)


@dataclass
class LayerTransfer:
    """A transferred layer: per-cell table, summary, and the simulated array state."""

    cells: pd.DataFrame
    summary: dict
    result: object
    levels: np.ndarray


def transfer_layer(levels: np.ndarray, scheme: str = "fast", device: str = "ht-rram", seed: int = 0,
                   sigma_nS: float = 1.06, zero_state: str = "g1", r_wire_ohm: float = 1.0,
                   r_contact_ohm: float = 10.0, max_passes: int = 3, backend: str = "auto", progress=None) -> LayerTransfer:
    """Map a 24 x 10 level map onto a 24 x 24 array and write it in by ``scheme``, in ngspice."""
    from arrays.mapping import level_of_cells, target_states
    from arrays.netlist import CrossbarParams
    from arrays.programming import TransferConfig, transfer_states
    from compact_models.devices import device_params
    from compact_models.ht_rram import ProgrammingError

    params = device_params(device)
    xbar = CrossbarParams(r_wire_wl_ohm=r_wire_ohm, r_wire_bl_ohm=r_wire_ohm, r_contact_ohm=r_contact_ohm)
    targets = target_states(levels, xbar.shape, zero_state)
    result = transfer_states(params, targets, TransferConfig(scheme=scheme, max_passes=max_passes), xbar=xbar,
                             error=ProgrammingError(sigma_nS=sigma_nS), seed=seed, backend=backend, progress=progress)
    cells = result.cells.copy()
    n_out = levels.shape[1]
    cells.insert(2, "level", level_of_cells(levels, xbar.shape).ravel())
    side = np.full(xbar.shape, "unused", dtype=object)
    side[: levels.shape[0], :n_out] = "positive"
    side[: levels.shape[0], n_out : 2 * n_out] = "negative"
    cells.insert(3, "side", side.ravel())
    summary = dict(result.summary, zero_state=zero_state, seed=seed, r_wire_ohm=r_wire_ohm, r_contact_ohm=r_contact_ohm)
    return LayerTransfer(cells, summary, result, levels)


def write_figures(out: Path, layer: LayerTransfer) -> list:
    """The Fig. 8, 9 and 10 PNGs of a transfer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from arrays import plots
    from arrays.mapping import weights_from_conductance
    from arrays.readout import frame_to_map
    from compact_models.io import atomic_save_figure

    cells = layer.cells
    scheme = layer.summary["scheme"]
    names = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plots.plot_conductance_by_level(ax, cells, f"conductance by weight level ({scheme} transfer)")
    atomic_save_figure(out / "fig8_conductance_by_level.png", fig)
    plt.close(fig)
    names.append("fig8_conductance_by_level.png")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    plots.plot_violins(axes[0], cells, "positive", "positive weights (G+)")
    plots.plot_violins(axes[1], cells, "negative", "negative weights (G-)")
    atomic_save_figure(out / "fig9_violins.png", fig)
    plt.close(fig)
    names.append("fig9_violins.png")
    target = weights_from_conductance(frame_to_map(cells, "target_nS"), *layer.levels.shape[::-1])
    final = weights_from_conductance(frame_to_map(cells, "final_nS"), *layer.levels.shape[::-1])
    vmax = float(np.abs(target).max()) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    plots.plot_weight_map(axes[0], target, "target", vmax)
    plots.plot_weight_map(axes[1], final, "transferred (simulated)", vmax)
    plots.plot_weight_map(axes[2], final - target, "transferred - target", 4.0)
    fig.tight_layout()
    atomic_save_figure(out / "fig10_weight_maps.png", fig)
    plt.close(fig)
    names.append("fig10_weight_maps.png")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m arrays.transfer",
        description="Transfer quantised weights into a simulated 24x24 crossbar in ngspice and report the error statistics.",
    )
    parser.add_argument("--scheme", choices=["fast", "half-bias"], default="fast", help="transfer scheme (default fast)")
    parser.add_argument("--device", choices=["ht-rram"], default="ht-rram", help="device of the array")
    parser.add_argument("--weights", default="random",
                        help="CSV of 24 rows x 10 integer levels in -7..7, or 'random' for a seeded random map (default)")
    parser.add_argument("--stop-after", choices=STOP_AFTER, default="transfer", help="last step to run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weight map, the write errors and variation")
    parser.add_argument("--sigma-nS", type=float, default=1.06, help="programming-error sigma, nS (0 switches it off)")
    parser.add_argument("--zero-state", choices=["g1", "hrs"], default="g1",
                        help="what a zero weight and the partner of a non-zero weight hold (default g1)")
    parser.add_argument("--max-passes", type=int, default=3, help="write passes at most (1 = no verify-and-rewrite)")
    parser.add_argument("--r-wire-ohm", type=float, default=1.0, help="line resistance per segment, ohm")
    parser.add_argument("--r-contact-ohm", type=float, default=10.0, help="contact/driver resistance, ohm")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a new folder under runs/)")
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        from arrays.mapping import load_levels, random_levels, save_levels
        from arrays.programming import write_pwl
        from compact_models.io import atomic_write_csv, atomic_write_json

        levels = random_levels(args.seed) if args.weights == "random" else load_levels(Path(args.weights))
        out = args.out or Path("runs") / time.strftime(f"transfer-{args.scheme}-%Y%m%d-%H%M%S")
        out = prepare_out_dir(out)
        bar = _progress_bar(args.max_passes)
        layer = transfer_layer(levels, args.scheme, args.device, args.seed, args.sigma_nS, args.zero_state,
                               args.r_wire_ohm, args.r_contact_ohm, args.max_passes, progress=bar)
        bar.close()
        save_levels(out / "levels.csv", levels)
        columns = ["wordline", "bitline", "level", "side", "state", "target_nS", "final_nS", "error_nS", "pulses", "written"]
        atomic_write_csv(out / "transfer.csv", layer.cells[columns])
        write_pwl(layer.result.phases, layer.result.netlists, out / "pwl")
        figures = write_figures(out, layer)
        summary = {"transfer": dict(layer.summary, weights=str(args.weights), pwl="pwl/", figures=figures)}
        atomic_write_json(out / "summary.json", summary)
    except RRAMError as exc:
        return fail(str(exc))
    s = layer.summary
    print(f"{s['scheme']} transfer of {s['n_cells']} cells into {out}:")
    print(f"  within 2 nS {s['within_2nS_fraction']:.1%}, within 4 nS {s['within_4nS_fraction']:.1%}, "
          f"RMSE {s['rmse_nS']:.3f} nS, MAE {s['mae_nS']:.3f} nS")
    print(f"  {s['n_pulses']} pulses in {s['n_passes']} passes, ngspice wall time {s['sim_wall_s']:.1f} s")
    return 0


def _progress_bar(max_passes: int):
    from tqdm import tqdm

    bar = tqdm(total=2 * max_passes, desc="transfer", unit="step", file=sys.stderr, disable=None)

    def update(message: str):
        bar.set_postfix_str(message, refresh=False)
        bar.update(1)

    update.close = bar.close
    return update


if __name__ == "__main__":
    sys.exit(main())
