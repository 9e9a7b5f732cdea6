"""SNN inference on the simulated array: ``python -m snn.infer --variant qt --images-per-class 20``.

Trains (or loads from the cache) the quantised network, transfers its second layer into the
simulated 24 x 24 array with `arrays.transfer`, runs every image's hidden spikes through the array in
ngspice (in parallel with ``--jobs``) and writes ``summary.json`` (``accuracy``,
``snn_ideal_accuracy``, ``ann_accuracy``, ``n_images``, ``confusion``), ``images.csv``, the
confusion-matrix figure (Fig. 11b, c), the level CSV of the second layer and the inference PWL files.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.mapping import counted_devices, save_levels
from arrays.netlist import R_CONTACT_OHM, R_WIRE_OHM
from arrays.nodal import NodalArray
from arrays.tiles import TileSpec, parse_tile
from arrays.transfer import TRANSFER_COLUMNS, TransferSpec, transfer_layer, write_figures
from compact_models.cli import (
    add_common_arguments,
    add_overwrite_argument,
    add_parallel_arguments,
    fail,
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
from compact_models.simulator import ngspice_info
from compact_models.store import RunState, spec_fields
from snn import plots
from snn.data import images_per_class as pick
from snn.first_layer import TiledFirstLayer
from snn.inference import MODES, classify, infer_image, spike_V, write_spike_pwl
from snn.spiking import convert

ENGINES = ("spice", "nodal")


@dataclass
class InferenceRun:
    """Everything an inference run produced, for the API and the writers."""

    variant: str
    images: pd.DataFrame
    summary: dict
    hidden: np.ndarray
    layer: object
    step_currents_nA: np.ndarray = field(default=None)


def run_inference(data, net, variant: str, images_per_class: int = 20, spec: TransferSpec = TransferSpec(),
                  parallelism: Parallelism = Parallelism(), mode: str = "transient", spice_backend: str = "auto",
                  layer=None, progress=None, image_index: np.ndarray | None = None,
                  engine: str = "spice", first_layer: TileSpec | None = None, spice_images: int = 1) -> InferenceRun:
    """Transfer ``net``'s second layer by ``spec`` (unless ``layer`` is given) and classify test images on the array.

    ``engine="spice"`` runs every image in ngspice (``mode``: transient or quasi-static), as
    ``parallelism`` says; ``engine="nodal"`` solves all images' steps at once with `arrays.nodal`
    (the quasi-static currents). The images are ``image_index``, else ``images_per_class`` per class
    chosen with the spec's seed. ``first_layer`` puts the first layer on tiles of that spec as well
    (`snn.first_layer`), ``spice_images`` of the images then also solved tile by tile in ngspice.
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine {engine!r} is unknown; choose one of {', '.join(ENGINES)}")
    if mode not in MODES:
        raise ParameterError(f"mode {mode!r} is unknown; choose one of {', '.join(MODES)}")
    if layer is None:
        layer = transfer_layer(np.asarray(net.levels2), spec, spice_backend=spice_backend, processes=parallelism.jobs,
                               progress=progress)
    device = layer.spec.params
    seed = layer.spec.seed
    xbar = layer.crossbar
    cells = layer.result.state.cells
    idx = image_index if image_index is not None else pick(data.test_y, images_per_class, seed)
    snn = convert(net, data.train_x)
    first = None
    if first_layer is None:
        hidden = snn.hidden_spikes(data.test_x[idx])
    else:
        if progress:
            progress(f"{variant}: the first layer on {first_layer.rows}x{first_layer.cols} tiles, {len(idx)} images")
        first = TiledFirstLayer(net, device, first_layer, np.random.default_rng([seed, 7001, 1]), spike_V(device))
        t_first = time.perf_counter()
        hidden, layer1_power_W = first.hidden_spikes(snn, data.test_x[idx])
        first_wall_s = time.perf_counter() - t_first
    ideal = snn.ideal_output(hidden).argmax(1)
    ideal_software = ideal if first is None else snn.ideal_output(snn.hidden_spikes(data.test_x[idx])).argmax(1)
    jobs = parallelism.jobs
    array = NodalArray.from_cells(device, xbar, cells)
    counted = counted_devices(xbar, np.asarray(net.levels2))
    t0 = time.perf_counter()
    if engine == "nodal":
        mode = "quasi-static"
        if progress:
            progress(f"{variant}: {len(idx)} images through the array (nodal engine)")
        currents, layer2_power_W = array.step_currents_and_power(hidden, spike_V(device), counted)
        results = []
        for c in currents:
            label, diff = classify(c)
            results.append({"predicted": label, "diff_current_nA": diff * 1e9, "step_currents_nA": c * 1e9})
    else:
        if progress:
            progress(f"{variant}: {len(idx)} images through the array ({mode}, {jobs} job{'s' if jobs > 1 else ''})")
        tasks = [(infer_image, (device, xbar, cells, hidden[k]), {"mode": mode, "backend": spice_backend})
                 for k in range(len(idx))]
        results = parallelism.run(tasks)
    wall_s = time.perf_counter() - t0
    if engine != "nodal":
        layer2_power_W = array.step_power_W(hidden, spike_V(device), counted)
    predicted = np.array([r["predicted"] for r in results])
    labels = data.test_y[idx]
    diff = np.array([r["diff_current_nA"] for r in results])
    images = pd.DataFrame({"test_index": idx, "label": labels, "predicted": predicted, "predicted_ideal": ideal,
                           "correct": predicted == labels, "n_hidden_spikes": hidden.sum(axis=(1, 2))})
    for c in range(10):
        images[f"diff_current_class{c}_nA"] = diff[:, c]
    images["layer2_power_nW"] = 1e9 * layer2_power_W.mean(axis=1)
    if first is not None:
        images["layer1_power_nW"] = 1e9 * layer1_power_W
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    summary = {
        "variant": variant,
        "accuracy": float(np.mean(predicted == labels)),
        "snn_ideal_accuracy": float(np.mean(ideal == labels)),
        "ann_accuracy": net.accuracy(data.test_x, data.test_y),
        "ann_accuracy_n_images": int(len(data.test_y)),
        "n_images": int(len(idx)),
        "agreement_with_ideal": float(np.mean(predicted == ideal)),
        "confusion": confusion.tolist(),
        "engine": engine,
        "inference_wall_s": wall_s,
        "mode": mode,
        "scheme": layer.summary["scheme"],
        "seed": seed,
        "device": device.name,
        "data": data.describe(),
        "snn_threshold": snn.threshold,
        "steps": snn.steps,
        "transfer": {k: v for k, v in layer.summary.items()},
        "power_per_class_nW": _power_per_class(images),
    }
    if first is not None:
        checks = [first.spice_check(data.test_x[i], snn.steps) for i in idx[:spice_images]]
        summary["first_layer"] = {
            "tile": f"{first_layer.rows}x{first_layer.cols}", "r_line_ohm": first_layer.r_line_ohm,
            "r_contact_ohm": first_layer.r_contact_ohm, "n_tiles": first.layer.n_tiles, "wall_s": first_wall_s,
            "snn_software_first_layer_accuracy": float(np.mean(ideal_software == labels)),
            "spice_images": len(checks), "spice_max_rel_error": max(checks) if checks else None}
    return InferenceRun(variant, images, summary, hidden, layer,
                        np.array([r["step_currents_nA"] for r in results]))


def _power_per_class(images: pd.DataFrame) -> list:
    """Mean power of each layer on the arrays per true class, nW (the quasi-static power of a time step's reads)."""
    cols = [c for c in ("layer1_power_nW", "layer2_power_nW") if c in images]
    table = images.groupby("label")[cols].mean()
    return [{"class": int(c), **{k: float(v) for k, v in row.items()}} for c, row in table.iterrows()]


def write_run(out: Path, run: InferenceRun) -> None:
    """Levels, images and transfer CSVs, the PWL inputs (ngspice runs), the confusion matrix, Fig. 8-10, summary.json."""
    v = run.variant
    save_levels(out / f"levels_{v}.csv", run.layer.levels)
    atomic_write_csv(out / f"images_{v}.csv", run.images)
    atomic_write_csv(out / f"transfer_{v}.csv", run.layer.cells[TRANSFER_COLUMNS])
    if run.summary["engine"] == "spice":
        write_spike_pwl(out / "pwl" / v, run.hidden, run.images.test_index, spike_V(run.layer.spec.params))
    fig, ax = new_figure(figsize=(5.5, 4.5))
    plots.plot_confusion(ax, np.array(run.summary["confusion"]),
                   f"{v.upper()}: accuracy {run.summary['accuracy']:.1%} on {run.summary['n_images']} images")
    atomic_save_figure(out / f"confusion_{v}.png", fig)
    figdir = out / f"transfer_{v}"
    figdir.mkdir(exist_ok=True)
    write_figures(figdir, run.layer)
    atomic_write_json(out / "summary.json", dict(run.summary, simulator=ngspice_info()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m snn.infer",
                                     description="Rate-coded SNN inference on MNIST with the second layer on the simulated array.")
    parser.add_argument("--variant", choices=["qt", "qtpr"], default="qt", help="quantised (qt) or quantised and pruned (qtpr)")
    parser.add_argument("--images-per-class", type=int, default=20, help="test images per class (default 20)")
    parser.add_argument("--images", default=None, metavar="all|N",
                        help="instead of --images-per-class: the whole test set (all) or its first N images")
    parser.add_argument("--engine", choices=ENGINES, default="spice",
                        help="ngspice (default), or the nodal engine (arrays.nodal: all images in seconds, quasi-static currents)")
    parser.add_argument("--scheme", choices=["fast", "half-bias"], default="fast", help="weight-transfer scheme")
    parser.add_argument("--mode", choices=["transient", "quasi-static"], default="transient",
                        help="one transient per image (default), or one DC sweep over the time steps (about 10x faster)")
    parser.add_argument("--device", default="ht-rram", help=DEVICE_HELP + " (default ht-rram)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image choice and the write errors")
    parser.add_argument("--jobs", type=int, default=None,
                        help="images simulated in parallel processes (default: the number of CPUs)")
    add_parallel_arguments(parser)
    parser.add_argument("--sigma-nS", type=float, default=None, help="programming-error sigma, nS (default: the device's, 1.06 nS for HT-RRAM)")
    parser.add_argument("--first-layer", choices=["software", "tiles"], default="software",
                        help="the 784 x 24 first layer in software (default) or on tiles of arrays (snn.first_layer)")
    parser.add_argument("--first-tile", default=None, metavar="RxC", help="with --first-layer tiles: tile size (default: the device's)")
    parser.add_argument("--first-r-line-ohm", type=float, default=None,
                        help=f"with --first-layer tiles: line segment resistance, ohm (default {R_WIRE_OHM:g}, the array's)")
    parser.add_argument("--first-r-contact-ohm", type=float, default=None,
                        help=f"with --first-layer tiles: contact resistance, ohm (default {R_CONTACT_OHM:g}, the array's)")
    parser.add_argument("--spice-images", type=int, default=None,
                        help="with --first-layer tiles: images whose every first-layer tile and step is also solved in ngspice (default 1)")
    parser.add_argument("--mnist-dir", default=None, help="folder with MNIST IDX files (default: $MNIST_DIR, else the embedded sample)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a new folder under runs/)")
    add_overwrite_argument(parser)
    add_common_arguments(parser)
    return parser


def _image_index(images: str | None, n_test: int) -> np.ndarray | None:
    """The test images of ``--images``: None (choose per class), all, or the first N."""
    if images is None:
        return None
    if images == "all":
        return np.arange(n_test)
    try:
        n = int(images)
    except ValueError:
        raise ParameterError(f"--images {images!r} must be 'all' or a number of images") from None
    if not 1 <= n <= n_test:
        raise ParameterError(f"--images {n} must be between 1 and the {n_test} test images")
    return np.arange(n)


def _first_layer(args, spec_device: str) -> tuple:
    """The first layer's `TileSpec` (or None) and the ngspice-checked images, from the --first-* flags."""
    from compact_models.devices import resolve_device

    extra = {"--first-tile": args.first_tile, "--first-r-line-ohm": args.first_r_line_ohm,
             "--first-r-contact-ohm": args.first_r_contact_ohm, "--spice-images": args.spice_images}
    if args.first_layer == "software":
        given = [k for k, v in extra.items() if v is not None]
        if given:
            raise ParameterError(f"{given[0]} needs --first-layer tiles")
        return None, 0
    rows, cols = parse_tile(args.first_tile) if args.first_tile else resolve_device(spec_device).natural_tile
    spice_images = 1 if args.spice_images is None else args.spice_images
    if spice_images < 0:
        raise ParameterError(f"--spice-images {spice_images} must be at least 0")
    return TileSpec(rows=rows, cols=cols, r_line_ohm=R_WIRE_OHM if args.first_r_line_ohm is None else args.first_r_line_ohm,
                    r_contact_ohm=R_CONTACT_OHM if args.first_r_contact_ohm is None else args.first_r_contact_ohm), spice_images


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _infer(args), interrupted="stopped; nothing of this run is kept (transfers already "
                                                        "finished stay in the cache)")


def _infer(args) -> int:
    from snn.data import load_mnist
    from snn.models import trained_variants

    say = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    if args.images_per_class < 1:
        return fail(f"--images-per-class {args.images_per_class} must be at least 1")
    first, spice_images = _first_layer(args, spec_device=args.device)
    parallelism = parallelism_from(args, notify=say)
    spec = TransferSpec(device=args.device, scheme=args.scheme, seed=args.seed, sigma_nS=args.sigma_nS)
    data = load_mnist(args.mnist_dir)
    index = _image_index(args.images, len(data.test_y))
    if index is None:  # every argument is checked before any work starts
        index = pick(data.test_y, args.images_per_class, args.seed)
    out = prepare_out_dir(args.out or timestamped(f"infer-{args.variant}"))
    RunState(out, "inference", {"transfer": spec_fields(spec), "device": spec_fields(spec.params), "variant": args.variant, "images": [int(i) for i in index],
                                "engine": args.engine, "mode": args.mode, "data": data.describe(),
                                "first_layer": spec_fields(first) if first else None, "spice_images": spice_images},
             overwrite=args.overwrite)
    net = trained_variants(data, variants=(args.variant,), progress=say)[args.variant]
    run = run_inference(data, net, args.variant, args.images_per_class, spec, parallelism, args.mode, progress=say,
                        image_index=index, engine=args.engine, first_layer=first, spice_images=spice_images)
    with staged_results(out) as stage:
        write_run(stage, run)
    s = run.summary
    print(f"{args.variant}: accuracy on the array {s['accuracy']:.4f} ({s['n_images']} images, {s['engine']}), ideal SNN "
          f"{s['snn_ideal_accuracy']:.3f}, ANN {s['ann_accuracy']:.4f} ({s['ann_accuracy_n_images']} images)"
          f"{'; both layers on arrays' if first else ''}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
