"""The main job, ``python -m arrays.transfer --scheme fast``: weight transfer, inference and power.

With no ``--weights`` it runs the power study of paper 001 (`power.study`): both quantised
networks transferred into the simulated array, the same test images (3 per class) through both,
the average array power per class printed and written to ``--out`` (``summary.json``,
``power_per_class.csv``, ``images.csv``, the PWL inputs, Fig. 12a/b and each transfer's Fig. 8-10).
An interrupted run resumes from its finished steps when started again with the same ``--out``.

With ``--weights FILE`` (or ``random``) it transfers that one level map and writes
``transfer.csv``, ``summary.json``, ``levels.csv``, ``pwl/`` and Fig. 8-10.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.cli import add_common_arguments, add_parallel_arguments, fail, prepare_out_dir, setup_logging
from compact_models.errors import RRAMError

TRANSFER_COLUMNS = ["wordline", "bitline", "level", "side", "state", "target_nS", "final_nS", "error_nS", "pulses",
                    "written"]
"""Columns of the per-cell transfer CSVs."""


@dataclass
class LayerTransfer:
    """A transferred layer: per-cell table, summary, and the simulated array state."""

    cells: pd.DataFrame
    summary: dict
    result: object
    levels: np.ndarray


def transfer_layer(levels: np.ndarray, scheme: str = "fast", device: str = "ht-rram", seed: int = 0,
                   sigma_nS: float | None = None, zero_state: str = "g1", r_wire_ohm: float = 1.0,
                   r_contact_ohm: float = 10.0, max_passes: int | None = None, backend: str = "auto", progress=None,
                   cache: bool = True, size: int = 24, variation=None, jobs: int | None = None) -> LayerTransfer:
    """Map a 24 x 10 level map onto a ``size`` x ``size`` array and write it in by ``scheme``, in ngspice.

    ``sigma_nS`` is the write-error sigma (default: the device's, `write_error`); ``variation`` a
    `compact_models.base.DeviceVariation` drawn per device (device-to-device spread). ``jobs``: ngspice
    processes per write transient (default: the CPUs; the result does not depend on it).

    A transfer is deterministic in its arguments, so with ``cache`` the result is kept in the cache
    folder (`compact_models.io.cache_dir`) under a key of the levels, every setting, the device
    parameters and the package version, and a repeated call loads it instead of re-simulating.
    """
    from arrays.programming import _say
    from compact_models.devices import device_params
    from compact_models.io import atomic_pickle, load_pickle

    params = device_params(device)
    if sigma_nS is not None and params.write_error(sigma_nS) == params.write_error(None):
        sigma_nS = None  # the device's own write error: one cache entry, whichever way it was named
    settings = dict(scheme=scheme, seed=seed, sigma_nS=sigma_nS, zero_state=zero_state, r_wire_ohm=r_wire_ohm,
                    r_contact_ohm=r_contact_ohm, max_passes=max_passes)
    if size != 24:
        settings["size"] = size
    if variation is not None and variation.active:
        settings["variation"] = variation
    path = _cache_path(levels, params, settings) if cache else None
    if path is not None and path.exists():
        layer = load_pickle(path)
        _say(progress, f"{scheme} transfer of this layer loaded from the cache ({path.parent})")
        return layer
    layer = _simulate_transfer(np.asarray(levels), params, backend=backend, progress=progress, jobs=jobs, **settings)
    if path is not None:
        atomic_pickle(path, layer)
    return layer


def _cache_path(levels, params, settings) -> Path:
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    from compact_models.io import cache_dir

    try:
        pkg = version("rram-cosim")
    except PackageNotFoundError:
        pkg = "source"
    levels = np.asarray(levels)
    text = repr((levels.shape, levels.astype(int).tolist(), repr(params), sorted(settings.items()), pkg, 1))
    return cache_dir("transfers") / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.pkl"


def _simulate_transfer(levels, params, scheme, seed, sigma_nS, zero_state, r_wire_ohm, r_contact_ohm, max_passes,
                       backend, progress, size=24, variation=None, jobs=None) -> LayerTransfer:
    from arrays.mapping import level_of_cells, target_states
    from arrays.netlist import CrossbarParams
    from arrays.programming import TransferConfig, transfer_states
    xbar = CrossbarParams(rows=size, cols=size, r_wire_wl_ohm=r_wire_ohm, r_wire_bl_ohm=r_wire_ohm,
                          r_contact_ohm=r_contact_ohm)
    targets = target_states(levels, xbar.shape, zero_state)
    result = transfer_states(params, targets, TransferConfig(scheme=scheme, max_passes=max_passes), xbar=xbar,
                             error=params.write_error(sigma_nS), variation=variation, seed=seed, backend=backend,
                             progress=progress, jobs=jobs)
    cells = result.cells.copy()
    n_out = levels.shape[1]
    cells.insert(2, "level", level_of_cells(levels, xbar.shape).ravel())
    side = np.full(xbar.shape, "unused", dtype=object)
    side[: levels.shape[0], :n_out] = "positive"
    side[: levels.shape[0], n_out : 2 * n_out] = "negative"
    cells.insert(3, "side", side.ravel())
    summary = dict(result.summary, zero_state=zero_state, seed=seed, r_wire_ohm=r_wire_ohm, r_contact_ohm=r_contact_ohm,
                   size=size)
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
        description="Transfer the quantised networks (QT, QT & PR) into a simulated 24x24 crossbar in ngspice, run "
                    "MNIST inference on it and report the average array power per class (paper 001, Fig. 12). "
                    "With --weights, transfer one level map only.",
    )
    parser.add_argument("--scheme", choices=["fast", "half-bias"], default="fast", help="transfer scheme (default fast)")
    parser.add_argument("--device", choices=["ht-rram", "hfoxsy"], default="ht-rram",
                        help="device of the array: ht-rram (default) or hfoxsy (HfOxSy/HfS2, written by its pulse trains)")
    parser.add_argument("--images-per-class", type=int, default=3, help="test images per class for the power study (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image choice, the write errors and variation")
    parser.add_argument("--jobs", type=int, default=None, help="parallel ngspice processes (default: the number of CPUs)")
    add_parallel_arguments(parser)
    parser.add_argument("--mnist-dir", default=None,
                        help="folder with MNIST IDX files (default: $MNIST_DIR, else the embedded sample)")
    parser.add_argument("--weights", default=None,
                        help="transfer only this map: a CSV of 24 rows x 10 integer levels in -7..7, or 'random'")
    parser.add_argument("--sigma-nS", type=float, default=None,
                        help="write-error sigma, nS (default: HT-RRAM 1.06 nS, HfOxSy 23 700 nS; 0 switches it off)")
    parser.add_argument("--zero-state", choices=["g1", "hrs"], default="g1",
                        help="with --weights: what a zero weight and the partner of a non-zero weight hold (default g1)")
    parser.add_argument("--max-passes", type=int, default=None,
                        help="with --weights: write passes at most (1 = open loop; default: HT-RRAM 3, HfOxSy 10)")
    parser.add_argument("--r-wire-ohm", type=float, default=1.0, help="line resistance per segment, ohm")
    parser.add_argument("--r-contact-ohm", type=float, default=10.0, help="contact/driver resistance, ohm")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: a new folder under runs/); an interrupted run resumes in it")
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    if args.jobs is not None and args.jobs < 1:
        return fail(f"--jobs {args.jobs} must be at least 1")
    if args.scheduler and args.backend != "dask":
        return fail("--scheduler needs --backend dask")
    if args.images_per_class < 1:
        return fail(f"--images-per-class {args.images_per_class} must be at least 1")
    try:
        if args.weights is not None:
            return _transfer_only(args)
        return _study(args)
    except RRAMError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print("interrupted: finished steps are kept; run the same command with the same --out to resume", file=sys.stderr)
        return 130


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _study(args) -> int:
    import os

    from compact_models.devices import device_params
    from power.report import format_table, write_study
    from power.study import StudyConfig, run_study
    from snn.data import load_mnist
    from snn.inference import spike_V

    cfg = StudyConfig(scheme=args.scheme, device=args.device, images_per_class=args.images_per_class, seed=args.seed,
                      sigma_nS=args.sigma_nS, r_wire_ohm=args.r_wire_ohm, r_contact_ohm=args.r_contact_ohm)
    data = load_mnist(args.mnist_dir)  # a bad --mnist-dir fails before any folder is made
    out = prepare_out_dir(args.out or Path("runs") / time.strftime(f"power-{args.scheme}-%Y%m%d-%H%M%S"))
    jobs = args.jobs or os.cpu_count() or 1
    t0 = time.perf_counter()
    result = run_study(cfg, data, jobs=jobs, out=out, progress=_log, parallel_backend=args.backend,
                       scheduler=args.scheduler)
    write_study(out, result, spike_V(device_params(args.device)))
    s = result.summary
    print(f"average array power per MNIST class, {s['n_images']} test images ({s['images_per_class']} per class), "
          f"{s['scheme']} transfer into the 24x24 {s['device']} array:")
    print(format_table(result))
    for v, t in s["transfer"].items():
        print(f"transfer {v}: {t['within_tolerance_fraction']:.1%} of {t['n_cells']} cells within {t['tolerance_nS']:.4g} nS, "
              f"RMSE {t['rmse_nS']:.4g} nS, MAE {t['mae_nS']:.4g} nS, {t['n_pulses']} pulses in {t['n_passes']} passes")
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


def _transfer_only(args) -> int:
    from arrays.mapping import load_levels, random_levels, save_levels
    from arrays.programming import write_pwl
    from compact_models.devices import device_params
    from compact_models.io import atomic_write_csv, atomic_write_json

    levels = random_levels(args.seed) if args.weights == "random" else load_levels(Path(args.weights))
    out = prepare_out_dir(args.out or Path("runs") / time.strftime(f"transfer-{args.scheme}-%Y%m%d-%H%M%S"))
    bar = _progress_bar(args.max_passes or device_params(args.device).transfer_max_passes)
    layer = transfer_layer(levels, args.scheme, args.device, args.seed, args.sigma_nS, args.zero_state,
                           args.r_wire_ohm, args.r_contact_ohm, args.max_passes, progress=bar, jobs=args.jobs)
    bar.close()
    save_levels(out / "levels.csv", levels)
    atomic_write_csv(out / "transfer.csv", layer.cells[TRANSFER_COLUMNS])
    write_pwl(layer.result.phases, layer.result.netlists, out / "pwl")
    figures = write_figures(out, layer)
    atomic_write_json(out / "summary.json", {"transfer": dict(layer.summary, weights=str(args.weights), pwl="pwl/", figures=figures)})
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
