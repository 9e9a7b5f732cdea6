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

from arrays.mapping import save_levels
from arrays.nodal import NodalArray
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
                  engine: str = "spice") -> InferenceRun:
    """Transfer ``net``'s second layer by ``spec`` (unless ``layer`` is given) and classify test images on the array.

    ``engine="spice"`` runs every image in ngspice (``mode``: transient or quasi-static), as
    ``parallelism`` says; ``engine="nodal"`` solves all images' steps at once with `arrays.nodal`
    (the quasi-static currents). The images are ``image_index``, else ``images_per_class`` per class
    chosen with the spec's seed.
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
    hidden = snn.hidden_spikes(data.test_x[idx])
    ideal = snn.ideal_output(hidden).argmax(1)
    jobs = parallelism.jobs
    t0 = time.perf_counter()
    if engine == "nodal":
        mode = "quasi-static"
        if progress:
            progress(f"{variant}: {len(idx)} images through the array (nodal engine)")
        currents = NodalArray.from_cells(device, xbar, cells).step_currents_A(hidden, spike_V(device))
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
    predicted = np.array([r["predicted"] for r in results])
    labels = data.test_y[idx]
    diff = np.array([r["diff_current_nA"] for r in results])
    images = pd.DataFrame({"test_index": idx, "label": labels, "predicted": predicted, "predicted_ideal": ideal,
                           "correct": predicted == labels, "n_hidden_spikes": hidden.sum(axis=(1, 2))})
    for c in range(10):
        images[f"diff_current_class{c}_nA"] = diff[:, c]
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
    }
    return InferenceRun(variant, images, summary, hidden, layer,
                        np.array([r["step_currents_nA"] for r in results]))


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
    parallelism = parallelism_from(args, notify=say)
    spec = TransferSpec(device=args.device, scheme=args.scheme, seed=args.seed, sigma_nS=args.sigma_nS)
    data = load_mnist(args.mnist_dir)
    index = _image_index(args.images, len(data.test_y))
    if index is None:  # every argument is checked before any work starts
        index = pick(data.test_y, args.images_per_class, args.seed)
    out = prepare_out_dir(args.out or timestamped(f"infer-{args.variant}"))
    RunState(out, "inference", {"transfer": spec_fields(spec), "device": spec_fields(spec.params), "variant": args.variant, "images": [int(i) for i in index],
                                "engine": args.engine, "mode": args.mode, "data": data.describe()}, overwrite=args.overwrite)
    net = trained_variants(data, variants=(args.variant,), progress=say)[args.variant]
    run = run_inference(data, net, args.variant, args.images_per_class, spec, parallelism, args.mode, progress=say,
                        image_index=index, engine=args.engine)
    with staged_results(out) as stage:
        write_run(stage, run)
    s = run.summary
    print(f"{args.variant}: accuracy on the array {s['accuracy']:.4f} ({s['n_images']} images, {s['engine']}), ideal SNN "
          f"{s['snn_ideal_accuracy']:.3f}, ANN {s['ann_accuracy']:.4f} ({s['ann_accuracy_n_images']} images); wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
