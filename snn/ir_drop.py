"""Where IR drop starts to cost accuracy: ``python -m snn.ir_drop --device hfoxsy --out DIR``.

The deployment of `snn.evaluate` at programming time (no drift) for every line segment resistance of
``--r-line-ohm`` and every tile size of ``--tiles``, with the same networks, noise draws and
converters throughout, so the accuracy changes only with the lines; ``--programming`` potentiation
(the default), depression or both (depression leaves the partners at the top of the ladder, so the
lines carry more current). Writes ``results.csv`` (device, tile, r_line_ohm, programming, repeat,
network, accuracy), ``summary.json`` (the mean per tile, resistance and mode) and ``ir_drop.png``
(accuracy against segment resistance, one line per tile size and mode).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.tiles import parse_tile
from compact_models.cli import (
    add_common_arguments,
    add_overwrite_argument,
    add_parallel_arguments,
    parallelism_from,
    prepare_out_dir,
    run_guarded,
    setup_logging,
    timestamped,
)
from compact_models.devices import DEVICE_HELP
from compact_models.errors import ParameterError
from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure, staged_results
from compact_models.parallel import Parallelism
from compact_models.store import RunState, spec_fields
from snn import evaluate

R_LINE_OHM = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
"""Segment resistances of the study, ohm (the issue's 0.1-10 ohm, and ideal lines as the reference)."""
TILES = ("24x24", "64x64", "128x128")
"""Tile sizes of the study."""


def run_ir_drop(base: evaluate.EvaluateConfig, r_values: tuple, tiles: tuple, data,
                parallelism: Parallelism = Parallelism(), state: RunState | None = None, progress=None) -> pd.DataFrame:
    """Accuracy at programming time for every (tile, segment resistance) and repeat of ``base``."""
    x, y = evaluate.training_data(data)
    nets = evaluate.trained_networks(base, x, y, progress)
    calib = x[: evaluate.CALIBRATION_IMAGES]
    configs = point_configs(base, r_values, tiles)
    tasks = {_name(key, k): (evaluate.evaluate_repeat, (cfg, nets, calib, data.test_x, data.test_y, k), {})
             for key, cfg in configs.items() for k in range(base.repeats)}
    done = evaluate.run_resumable(tasks, parallelism, state, "run")
    out = []
    for (tile, r) in configs:
        for k in range(base.repeats):
            for row in done[_name((tile, r), k)]:
                out.append({"device": base.params.name, "tile": f"{tile[0]}x{tile[1]}", "tile_rows": tile[0], "r_line_ohm": r,
                            "r_contact_ohm": base.r_contact_ohm, "programming": row["programming"], "repeat": k,
                            "network": row["network"],
                            "accuracy": row["accuracy"]})
    return pd.DataFrame(out)


def point_configs(base: evaluate.EvaluateConfig, r_values: tuple, tiles: tuple) -> dict:
    """The study's configuration of every (tile, segment resistance), each checked."""
    return {(t, r): replace(base, tile_rows=t[0], tile_cols=t[1], r_line_ohm=r, drift_models=()) for t in tiles for r in r_values}


def _name(key, k: int) -> str:
    (rows, cols), r = key
    return f"tile-{rows}x{cols}-r{r:g}-repeat-{k}"


def summarise(frame: pd.DataFrame) -> dict:
    """Mean and spread of the accuracy per network, tile, segment resistance and programming mode."""
    g = frame.groupby(["network", "tile", "r_line_ohm", "programming"]).accuracy
    table = pd.DataFrame({"accuracy_mean": g.mean(), "accuracy_std": g.std().fillna(0.0)}).reset_index()
    return {"device": str(frame.device.iloc[0]), "points": table.to_dict(orient="records")}


def plot_ir_drop(ax, frame: pd.DataFrame, digital: float | None = None):
    """Accuracy (HWAT network) against segment resistance, one line per tile size (dashed: depression)."""
    part = frame[frame.network == "hwat"]
    modes = list(dict.fromkeys(part.programming))
    tiles = list(dict.fromkeys(part.sort_values("tile_rows", kind="stable").tile))
    for (tile, mode), g in sorted(part.groupby(["tile", "programming"]), key=lambda kv: (kv[1].tile_rows.iloc[0], kv[0][1])):
        acc = g.groupby("r_line_ohm").accuracy
        r = np.asarray(acc.mean().index, dtype=float)
        ax.errorbar(np.where(r == 0, np.nan, r), 100 * acc.mean(), yerr=100 * acc.std().fillna(0), marker="o", ms=3,
                    capsize=2, ls="--" if mode == "depression" else "-", color=f"C{tiles.index(tile)}",
                    label=f"{tile} tiles" + (f", {mode}" if len(modes) > 1 else ""))
        if np.any(r == 0):
            ax.axhline(100 * acc.mean()[0.0], ls=":", lw=0.8, color=ax.lines[-1].get_color())
    ax.set_xscale("log")
    ax.set_xlabel(r"line segment resistance $R_\mathrm{line}$ ($\Omega$)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{frame.device.iloc[0]}: deployed (HWAT) accuracy against IR drop (dotted: ideal lines)")
    ax.legend(fontsize=8)
    return ax


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m snn.ir_drop",
                                description="Deployed accuracy against line resistance and tile size (paper 000's network).")
    p.add_argument("--device", default="hfoxsy", help=DEVICE_HELP + " (default hfoxsy)")
    p.add_argument("--r-line-ohm", default=",".join(f"{r:g}" for r in R_LINE_OHM), help="segment resistances, ohm, comma-separated")
    p.add_argument("--r-contact-ohm", type=float, default=0.0, help="contact resistance at each line end, ohm (default 0)")
    p.add_argument("--tiles", default=",".join(TILES), help="tile sizes RxC, comma-separated (default 24x24,64x64,128x128)")
    p.add_argument("--programming", default="potentiation",
                   help="programming modes, comma-separated: potentiation (default), depression or both")
    p.add_argument("--repeats", type=int, default=1, help="deployments with fresh noise per point (default 1)")
    p.add_argument("--epochs", type=int, default=30, help="digital training epochs (default 30)")
    p.add_argument("--hwat-epochs", type=int, default=5, help="hardware-aware training epochs (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of training and deployments")
    p.add_argument("--mnist-dir", default=None, help="folder with MNIST IDX files (default: $MNIST_DIR, else the embedded sample)")
    p.add_argument("--jobs", type=int, default=1, help="deployments in parallel processes (default 1)")
    add_parallel_arguments(p)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: a new folder under runs/)")
    add_overwrite_argument(p)
    add_common_arguments(p)
    return p


def _values(text: str, flag: str) -> tuple:
    values = evaluate.parse_numbers(text, flag)
    if any(not (0 <= v <= 1e4) for v in values):
        raise ParameterError(f"{flag} {text!r}: every value must be within 0..1e4 ohm")
    return values


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _run(args), interrupted="stopped; finished deployments are kept in --out: run the "
                                                      "same command again to resume")


def _run(args) -> int:
    from snn.data import load_mnist

    def say(m):
        print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)

    r_values = _values(args.r_line_ohm, "--r-line-ohm")
    tiles = tuple(parse_tile(t) for t in args.tiles.split(","))
    base = evaluate.EvaluateConfig(device=args.device, repeats=args.repeats, r_contact_ohm=args.r_contact_ohm,
                                   drift_models=(), spice_tiles=0, seed=args.seed,
                                   programming=evaluate.parse_programming(args.programming),
                                   mlp=evaluate.mlp.MLPConfig(epochs=args.epochs, hwat_epochs=args.hwat_epochs,
                                                              seed=args.seed))
    point_configs(base, r_values, tiles)  # every tile and resistance checked before any work starts
    parallelism = parallelism_from(args, notify=say)
    data = load_mnist(args.mnist_dir)
    out = prepare_out_dir(args.out or timestamped(f"ir-drop-{base.params.name}"))
    state = RunState(out, "ir-drop", {"config": spec_fields(base), "device": spec_fields(base.params), "r_line_ohm": r_values,
                                      "tiles": tiles, "data": data.describe()}, overwrite=args.overwrite)
    frame = run_ir_drop(base, r_values, tiles, data, parallelism, state, progress=say)
    with staged_results(out) as stage:
        atomic_write_csv(stage / "results.csv", frame)
        atomic_write_json(stage / "summary.json", dict(summarise(frame), n_test_images=int(len(data.test_y))))
        fig, ax = new_figure(figsize=(6.5, 4.5))
        plot_ir_drop(ax, frame)
        atomic_save_figure(stage / "ir_drop.png", fig)
    print(f"{base.params.name}: {len(frame)} deployments over {len(tiles)} tile sizes and {len(r_values)} line "
          f"resistances; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
