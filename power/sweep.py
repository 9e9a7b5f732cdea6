"""Monte Carlo and parameter sweeps of the whole flow: ``python -m arrays.sweep --parameter sigma_nS``.

Every sweep point (a parameter value and a Monte Carlo seed) writes the QT network's second layer
into its own simulated array in ngspice (the fast scheme, as the main job; each seed draws its own
write errors and device-to-device spread) and then runs test images through that array with the
nodal engine (`arrays.nodal`, validated against ngspice in the tests), which makes hundreds of
images per point a matter of seconds. Per point it reports the accuracy, the transfer error and
the average array power; the results are a long-format CSV (one row per point and metric), a
per-value summary (mean, standard deviation) and a plot with error bars.

Parameters: ``sigma_nS`` (programming-error sigma), ``ron_sigma`` and ``vt_sigma_V`` (device-to-device
spread of the switches' RON, log-normal, and thresholds), ``r_wire_ohm`` (line resistance per
segment) and ``size`` (an N x N array; the 24 x 20 layer in its corner, the rest reset).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.mapping import counted_devices
from arrays.netlist import R_CONTACT_OHM
from arrays.nodal import NodalArray
from arrays.programming import ENGINES
from arrays.transfer import TransferSpec, transfer_layer
from compact_models.base import DeviceVariation
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
from compact_models.plots import panel_letters
from compact_models.simulator import ngspice_info
from compact_models.store import RunState, spec_fields
from power.integrator import quasi_static_power_nW
from power.plots import plot_sweep_metric
from snn.data import MNIST, load_mnist
from snn.inference import classify, spike_V
from snn.models import trained_variants
from snn.spiking import convert

PARAMETERS = {
    "sigma_nS": ("programming-error sigma (nS)", (0.5, 1.06, 2.0, 4.0)),
    "ron_sigma": ("device-to-device spread of ln RON", (0.0, 0.1, 0.3)),
    "vt_sigma_V": ("device-to-device spread of VT (V)", (0.0, 0.01, 0.02)),
    "r_wire_ohm": ("line resistance per segment (Ω)", (1.0, 10.0, 30.0)),
    "size": ("array size N (N x N)", (24, 32, 48)),
}
"""Sweepable parameters: axis label and default values."""

METRICS = ("accuracy", "transfer_rmse_nS", "transfer_within_2nS_fraction", "power_nW")
"""Metrics of every point, in the long CSV's ``metric`` column."""


@dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """One sweep: a parameter, its values, Monte Carlo seeds per value, and the images per point."""

    parameter: str = "sigma_nS"
    values: tuple = field(default=(0.5, 1.06, 2.0, 4.0))
    seeds: int = 3
    """Monte Carlo repetitions per value (seeds 0..seeds-1)."""
    n_images: int = 1000
    """The first n_images of the test set, through every point's array."""
    variant: str = "qt"
    device: str = "ht-rram"
    r_contact_ohm: float = R_CONTACT_OHM
    """Contact resistance at each line end, ohm."""
    engine: str = "spice"
    """Who solves each point's transfer: ``spice`` (ngspice) or ``nodal`` (`arrays.write_engine`)."""

    def __post_init__(self):
        if self.parameter not in PARAMETERS:
            raise ParameterError(f"--parameter {self.parameter!r} is unknown; choose one of {', '.join(PARAMETERS)}")
        if not self.values:
            raise ParameterError("--values needs at least one value")
        if self.seeds < 1:
            raise ParameterError(f"--seeds {self.seeds} must be at least 1")
        if self.n_images < 1:
            raise ParameterError(f"--images {self.n_images} must be at least 1")
        if self.variant not in ("qt", "qtpr"):
            raise ParameterError(f"--variant {self.variant!r} must be qt or qtpr")
        for v in self.values:
            point_spec(self, v, 0)


def point_spec(cfg: SweepConfig, value, seed: int) -> TransferSpec:
    """The `TransferSpec` of one sweep point; checks the value."""
    parameter = cfg.parameter
    kw = dict(scheme="fast", device=cfg.device, seed=seed, r_contact_ohm=cfg.r_contact_ohm, engine=cfg.engine)
    if parameter == "sigma_nS":
        if not 0 <= value <= 20:
            raise ParameterError(f"sigma_nS={value!r} must be within 0..20 nS")
        kw["sigma_nS"] = float(value)
    elif parameter == "ron_sigma":
        kw["variation"] = DeviceVariation(ron_sigma_rel=float(value))
    elif parameter == "vt_sigma_V":
        kw["variation"] = DeviceVariation(vt_sigma_V=float(value))
    elif parameter == "r_wire_ohm":
        if not 1e-3 <= value <= 1e3:
            raise ParameterError(f"r_wire_ohm={value!r} must be within 0.001..1000 ohm")
        kw["r_wire_ohm"] = float(value)
    else:
        if value != int(value) or not 24 <= value <= 128:
            raise ParameterError(f"size={value!r} must be a whole number of lines within 24..128 (the layer needs 24 x 20)")
        kw["size"] = int(value)
    return TransferSpec(**kw)


def run_point(levels: np.ndarray, hidden: np.ndarray, labels: np.ndarray, cfg: SweepConfig, value, seed: int,
              spice_backend: str = "auto", processes: int = 1) -> dict:
    """One sweep point: the transfer by the config's engine (ngspice: its write transients on ``processes`` processes),
    then the images through the array by the nodal engine."""
    layer = transfer_layer(levels, point_spec(cfg, value, seed), spice_backend=spice_backend, processes=processes)
    device = layer.spec.params
    xbar = layer.crossbar
    arr = NodalArray.from_cells(device, xbar, layer.result.state.cells)
    currents = arr.step_currents_A(hidden, spike_V(device))
    predicted = np.array([classify(c)[0] for c in currents])
    power = quasi_static_power_nW(arr.step_power_W(hidden, spike_V(device), counted_devices(xbar, levels)))
    s = layer.summary
    return {"accuracy": float(np.mean(predicted == labels)), "transfer_rmse_nS": float(s["rmse_nS"]),
            "transfer_within_2nS_fraction": float(s["within_2nS_fraction"]), "power_nW": float(power.mean())}


def run_sweep(cfg: SweepConfig = SweepConfig(), data=None, parallelism: Parallelism = Parallelism(),
              out: Path | None = None, progress=None, overwrite: bool = False) -> pd.DataFrame:
    """All points of ``cfg``, as ``parallelism`` says (local processes or a Dask cluster); the long-format DataFrame.

    With ``out``, every finished point is kept in ``out/.state`` and a repeated call with the same
    sweep (parameter, values, seeds, images, variant, device, data) carries on; another is refused
    (or its folder cleared first with ``overwrite``).
    """
    say = progress or (lambda _m: None)
    if not isinstance(data, MNIST):
        data = load_mnist(data)
    if cfg.n_images > len(data.test_y):
        raise ParameterError(f"--images {cfg.n_images} is more than the {len(data.test_y)} test images")
    device = spec_fields(point_spec(cfg, cfg.values[0], 0).params)
    state = RunState(out, "sweep", {"config": spec_fields(cfg), "device": device, "data": data.describe()}, overwrite)
    net = trained_variants(data, variants=(cfg.variant,), progress=say)[cfg.variant]
    levels = np.asarray(net.levels2)
    hidden = convert(net, data.train_x).hidden_spikes(data.test_x[: cfg.n_images])
    labels = data.test_y[: cfg.n_images]
    points = [(v, s) for v in cfg.values for s in range(cfg.seeds)]
    done = {p: state.load(_point_name(p)) for p in points}
    todo = [p for p in points if done[p] is None]
    if todo:
        who = "ngspice" if cfg.engine == "spice" else "the nodal engine"
        say(f"{len(todo)} sweep points ({len(points) - len(todo)} already done): transfer by {who}, "
            f"{cfg.n_images} images by the nodal engine each")
        kw = {"processes": parallelism.processes_per_task(len(todo))}
        tasks = [(run_point, (levels, hidden, labels, cfg, v, s), kw) for v, s in todo]
        bar = _bar(len(todo))
        for p, metrics in zip(todo, parallelism.run(tasks, generator=True)):
            done[p] = metrics
            state.save(_point_name(p), metrics)
            bar.update(1)
        bar.close()
    rows = [{"parameter": cfg.parameter, "parameter_value": v, "seed": s, "metric": m, "value": done[(v, s)][m]}
            for v, s in points for m in METRICS]
    return pd.DataFrame(rows)


def _point_name(point) -> str:
    return f"point_{point[0]!r}_{point[1]}"


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="sweep", unit="point", file=sys.stderr, disable=None)


def summarize(long: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1; 0 for one seed) and count per parameter value and metric."""
    g = long.groupby(["parameter", "parameter_value", "metric"], sort=False)["value"]
    out = g.agg(mean="mean", std="std", n="size").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def plot_sweep(summary: pd.DataFrame, cfg: SweepConfig):
    """Accuracy, transfer RMSE and power against the parameter (`power.plots.plot_sweep_metric`), lettered panels."""
    panels = [("accuracy", "accuracy"), ("transfer_rmse_nS", "transfer RMSE (nS)"), ("power_nW", "array power (nW)")]
    fig, axes = new_figure(1, 3, figsize=(12, 3.6))
    for ax, (metric, label) in zip(axes, panels):
        plot_sweep_metric(ax, summary, metric, PARAMETERS[cfg.parameter][0], label)
    panel_letters(axes)
    fig.suptitle(f"{cfg.variant.upper()} on the {cfg.device} array: {cfg.seeds} seed{'s' if cfg.seeds > 1 else ''} "
                 f"per value, {cfg.n_images} test images per point")
    fig.tight_layout()
    return fig


def write_sweep(out: Path, long: pd.DataFrame, cfg: SweepConfig) -> None:
    """``sweep.csv`` (long format), ``sweep_summary.csv``, ``sweep.png`` and ``summary.json``."""
    summary = summarize(long)
    atomic_write_csv(out / "sweep.csv", long)
    atomic_write_csv(out / "sweep_summary.csv", summary)
    fig = plot_sweep(summary, cfg)
    atomic_save_figure(out / "sweep.png", fig)
    atomic_write_json(out / "summary.json", {"config": {k: list(v) if isinstance(v, tuple) else v
                                                        for k, v in asdict(cfg).items()},
                                             "engine": f"transfer: {'ngspice' if cfg.engine == 'spice' else 'nodal'}; "
                                                       "inference and power: nodal",
                                             "points": len(long) // len(METRICS), "simulator": ngspice_info()})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arrays.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--parameter", choices=list(PARAMETERS), default="sigma_nS", help="what to sweep")
    parser.add_argument("--values", type=float, nargs="+", default=None,
                        help="its values (default: " + "; ".join(f"{k} {' '.join(map(str, v[1]))}" for k, v in PARAMETERS.items()) + ")")
    parser.add_argument("--seeds", type=int, default=3, help="Monte Carlo repetitions per value (default 3)")
    parser.add_argument("--images", type=int, default=1000, help="first N test images per point (default 1000)")
    parser.add_argument("--variant", choices=["qt", "qtpr"], default="qt")
    parser.add_argument("--device", default="ht-rram", help=DEVICE_HELP + " (default ht-rram)")
    parser.add_argument("--engine", choices=list(ENGINES), default="spice",
                        help="who solves each point's transfer: spice (default, ngspice) or nodal (arrays.write_engine, "
                             "validated against ngspice); the images always run on the nodal engine")
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes at once: sweep points side by side, each point's transfer on what the others "
                             "leave (default: the number of CPUs)")
    add_parallel_arguments(parser)
    parser.add_argument("--mnist-dir", default=None, help="folder with MNIST IDX files (default: $MNIST_DIR, else the embedded sample)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a new folder under runs/); rerun to resume")
    add_overwrite_argument(parser)
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _sweep(args),
                       interrupted="finished points are kept; run the same command with the same --out to resume")


def _sweep(args) -> int:
    values = tuple(args.values) if args.values else PARAMETERS[args.parameter][1]
    if args.parameter == "size":
        values = tuple(int(v) if float(v).is_integer() else v for v in values)
    cfg = SweepConfig(parameter=args.parameter, values=values, seeds=args.seeds, n_images=args.images,
                      variant=args.variant, device=args.device, engine=args.engine)
    say = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    parallelism = parallelism_from(args, notify=say)
    data = load_mnist(args.mnist_dir)
    if cfg.n_images > len(data.test_y):
        raise ParameterError(f"--images {cfg.n_images} is more than the {len(data.test_y)} test images")
    out = prepare_out_dir(args.out or timestamped(f"sweep-{args.parameter}"))
    long = run_sweep(cfg, data, parallelism, out, progress=say, overwrite=args.overwrite)
    with staged_results(out) as stage:
        write_sweep(stage, long, cfg)
    table = summarize(long).pivot(index="parameter_value", columns="metric", values="mean")[list(METRICS)]
    print(table.to_string(float_format=lambda x: f"{x:.4g}"))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
