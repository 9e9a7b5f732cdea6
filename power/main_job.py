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
from pathlib import Path

from arrays.netlist import R_CONTACT_OHM, R_WIRE_OHM
from arrays.programming import ENGINES
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m arrays.transfer",
        description="Transfer the quantised networks (QT, QT & PR) into a simulated 24x24 crossbar in ngspice, run "
                    "MNIST inference on it and report the average array power per class (paper 001, Fig. 12). "
                    "With --weights, transfer one level map only.",
    )
    parser.add_argument("--scheme", choices=["fast", "half-bias"], default="fast", help="transfer scheme (default fast)")
    parser.add_argument("--device", default="ht-rram",
                        help=DEVICE_HELP + ": ht-rram (default), hfoxsy (HfOxSy/HfS2, written by its pulse trains)")
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
    parser.add_argument("--reset-sigma-nS", type=float, default=None,
                        help="spread of the cells left reset around the reset state, nS (default: HT-RRAM 0.2 nS, "
                             "HfOxSy 23 700 nS; 0 switches it off)")
    parser.add_argument("--zero-state", choices=["hrs", "g1"], default="hrs",
                        help="what a zero weight and the partner of a non-zero weight hold: hrs (default, paper 001 "
                             "Fig. 8: left reset) or g1 (written to G1 = 10 nS, so +5 is G6 - G1)")
    parser.add_argument("--max-passes", type=int, default=None,
                        help="write passes at most: 1 (HT-RRAM's default) is paper 001's open-loop array model; more "
                             "verify, reset and rewrite the cells outside the tolerance, beyond the paper (HfOxSy's "
                             "default 10: its trains are lengthened against the lines' IR drop)")
    parser.add_argument("--threshold-percentile", type=float, default=None,
                        help="power study: percentile of the ReLU activations that sets the hidden threshold "
                             "(default 99.99)")
    parser.add_argument("--spike-width-ms", type=float, default=None,
                        help="power study: plateau of a spike within its 1 ms step, ms (default 0.5)")
    parser.add_argument("--spike-edge-us", type=float, default=None,
                        help="power study: rise and fall time of a spike, us (default 20)")
    parser.add_argument("--r-wire-ohm", type=float, default=R_WIRE_OHM, help="line resistance per segment, ohm")
    parser.add_argument("--r-contact-ohm", type=float, default=R_CONTACT_OHM, help="contact/driver resistance, ohm")
    parser.add_argument("--engine", choices=list(ENGINES), default="spice",
                        help="who solves the transfer's write transients and read-outs: spice (default, ngspice) or "
                             "nodal (arrays.write_engine, the array at DC at ngspice's time points; validated against "
                             "ngspice); the power study's inference runs in ngspice either way")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: a new folder under runs/); an interrupted run resumes in it")
    add_overwrite_argument(parser)
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    if args.weights is not None:
        return run_guarded(lambda: _transfer_only(args, *_spec(args)))
    return run_guarded(lambda: _study(args, *_spec(args)),
                       interrupted="finished steps are kept; run the same command with the same --out to resume")


def _spec(args) -> tuple:
    """The transfer spec and the parallelism of the command, checked before any work starts."""
    from arrays.transfer import TransferSpec

    if args.images_per_class < 1:
        raise ParameterError(f"--images-per-class {args.images_per_class} must be at least 1")
    spec = TransferSpec(device=args.device, scheme=args.scheme, seed=args.seed, sigma_nS=args.sigma_nS,
                        reset_sigma_nS=args.reset_sigma_nS, zero_state=args.zero_state, max_passes=args.max_passes, r_wire_ohm=args.r_wire_ohm,
                        r_contact_ohm=args.r_contact_ohm, engine=args.engine)
    return spec, parallelism_from(args, notify=_log)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _study(args, spec, parallelism) -> int:
    from compact_models.io import staged_results
    from power.report import format_decomposition, format_settings, format_table, format_transfers, write_study
    from power.study import StudyConfig, run_study
    from snn.data import images_per_class, load_mnist

    cfg = StudyConfig(transfer=spec, images_per_class=args.images_per_class, **_inference_choices(args))
    data = load_mnist(args.mnist_dir)  # a bad --mnist-dir fails before any folder is made
    images_per_class(data.test_y, cfg.images_per_class, cfg.seed)  # and so does asking for too many images
    out = prepare_out_dir(args.out or timestamped(f"power-{args.scheme}"))
    t0 = time.perf_counter()
    result = run_study(cfg, data, parallelism=parallelism, out=out, progress=_log, overwrite=args.overwrite)
    with staged_results(out) as stage:
        write_study(stage, result)
    s = result.summary
    print(f"average array power per MNIST class, {s['n_images']} test images ({s['images_per_class']} per class), "
          f"{s['scheme']} transfer into the 24x24 {s['device']} array:")
    print(format_table(result))
    print(format_transfers(result))
    print(format_decomposition(result))
    print(format_settings(result))
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


STUDY_ONLY = ("threshold_percentile", "spike_width_ms", "spike_edge_us")


def _inference_choices(args) -> dict:
    """The StudyConfig fields the inference flags set (the defaults where a flag is not given)."""
    from dataclasses import replace

    from snn.inference import SpikeTiming

    kw = {}
    if args.threshold_percentile is not None:
        kw["threshold_percentile"] = args.threshold_percentile
    timing = SpikeTiming()
    if args.spike_width_ms is not None:
        timing = replace(timing, pulse_s=args.spike_width_ms / 1e3)
    if args.spike_edge_us is not None:
        timing = replace(timing, edge_s=args.spike_edge_us / 1e6)
    kw["timing"] = timing
    return kw


def _transfer_only(args, spec, parallelism) -> int:
    from arrays.mapping import load_levels, random_levels
    from arrays.transfer import transfer_layer, write_transfer
    from compact_models.io import staged_results
    from compact_models.store import RunState, spec_fields

    given = [f"--{name.replace('_', '-')}" for name in STUDY_ONLY if getattr(args, name) is not None]
    if given:
        raise ParameterError(f"{', '.join(given)} set the power study's inference; with --weights there is none: "
                             "leave them out, or drop --weights")
    levels = random_levels(args.seed) if args.weights == "random" else load_levels(Path(args.weights))
    out = prepare_out_dir(args.out or timestamped(f"transfer-{args.scheme}"))
    RunState(out, "transfer", {"transfer": spec_fields(spec), "device": spec_fields(spec.params), "levels": levels.tolist()}, overwrite=args.overwrite)
    bar = _progress_bar(spec.max_passes)
    layer = transfer_layer(levels, spec, processes=parallelism.jobs, progress=bar)
    bar.close()
    with staged_results(out) as stage:
        write_transfer(stage, layer, str(args.weights))
    s = layer.summary
    print(f"{s['scheme']} transfer of {s['n_cells']} cells into {out}:")
    print(f"  within 2 nS {s['within_2nS_fraction']:.1%}, within 4 nS {s['within_4nS_fraction']:.1%}, "
          f"RMSE {s['rmse_nS']:.3f} nS, MAE {s['mae_nS']:.3f} nS")
    if layer.loaded_s is None:
        who = "ngspice" if s["engine"] == "spice" else "nodal engine"
        print(f"  {s['n_pulses']} pulses in {s['n_passes']} passes, {who} wall time {s['sim_wall_s']:.1f} s")
    else:
        print(f"  {s['n_pulses']} pulses in {s['n_passes']} passes, loaded from the cache in {layer.loaded_s:.2f} s")
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
