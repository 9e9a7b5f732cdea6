"""Characterise a device in ngspice: ``python -m compact_models.characterize --device ht-rram --protocol ispp``.

Writes ``summary.json``, the read-outs and the trace as CSV, and a PNG plot into ``--out``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compact_models.cli import add_common_arguments, add_overwrite_argument, prepare_out_dir, run_guarded, setup_logging, timestamped
from compact_models.devices import DEVICE_HELP
from compact_models.protocols import DEFAULT_CYCLES, PROTOCOLS
from compact_models.simulator import ngspice_info


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m compact_models.characterize",
        description="Run a characterisation protocol on one device in ngspice and write its data and plots.",
    )
    parser.add_argument("--device", default="ht-rram", help=DEVICE_HELP + " (default ht-rram)")
    parser.add_argument(
        "--protocol", choices=PROTOCOLS, default=None,
        help="dc: I-V sweep (both devices); ispp: incremental step pulses (HT-RRAM, the default there); "
             "states: HT-RRAM's 8 states programmed, read 1000 times and half-selected; "
             "pulse-train: HfOxSy's tailored potentiation/depression trains (the default there)",
    )
    parser.add_argument("--cycles", type=int, default=None,
                        help="cycles (default: " + ", ".join(f"{k} {v}" for k, v in DEFAULT_CYCLES.items()) + ")")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cycle-to-cycle noise and variation")
    parser.add_argument("--d2d-ron-sigma", type=float, default=None,
                        help="device-to-device spread of ln(RON) (0 = nominal device; default: the device's own, 0 for the built-ins)")
    parser.add_argument("--d2d-vt-sigma-V", type=float, default=None,
                        help="device-to-device spread of VT, V (default: the device's own, 0 for the built-ins)")
    parser.add_argument("--c2c-ron-sigma", type=float, default=0.0,
                        help="ispp: cycle-to-cycle spread of ln(RON), drawn per switch and cycle (0 = identical cycles)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: a new folder runs/characterize-<protocol>-<time>)")
    add_overwrite_argument(parser)
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _characterize(args))


def _characterize(args) -> int:
    from compact_models.base import DeviceVariation
    from compact_models.devices import resolve_device
    from compact_models.errors import ParameterError
    from compact_models.io import staged_results
    from compact_models.protocols import check_arguments, run_protocol
    from compact_models.store import RunState, spec_fields

    params = resolve_device(args.device)
    protocol = args.protocol or params.protocols[0]
    check_arguments(params, protocol, args.cycles, args.seed)
    if args.c2c_ron_sigma and protocol != "ispp":
        raise ParameterError(f"--c2c-ron-sigma applies to --protocol ispp, not {protocol}: leave it out")
    if not 0 <= args.c2c_ron_sigma <= 2:
        raise ParameterError(f"--c2c-ron-sigma {args.c2c_ron_sigma!r} must be within 0..2")
    own = params.device_variation
    variation = DeviceVariation(ron_sigma_rel=own.ron_sigma_rel if args.d2d_ron_sigma is None else args.d2d_ron_sigma,
                                vt_sigma_V=own.vt_sigma_V if args.d2d_vt_sigma_V is None else args.d2d_vt_sigma_V)
    out = prepare_out_dir(args.out or timestamped(f"characterize-{protocol}"))
    RunState(out, "characterization", {"device": spec_fields(params), "protocol": protocol, "cycles": args.cycles,
                                       "seed": args.seed, "variation": spec_fields(variation),
                                       "c2c_ron_sigma": args.c2c_ron_sigma}, overwrite=args.overwrite)
    print(f"characterize: {protocol} of {params.name} in ngspice ({args.cycles or 'default'} cycles)", file=sys.stderr)
    result = run_protocol(params, protocol, args.cycles, seed=args.seed, variation=variation,
                          c2c_ron_sigma_rel=args.c2c_ron_sigma)
    with staged_results(out) as stage:
        write_result(stage, params, result)
    print(f"wrote {out}/summary.json ({params.name}, {protocol})")
    for key, value in result.summary.items():
        if not isinstance(value, list):
            print(f"  {key}: {value:.6g}" if isinstance(value, float) else f"  {key}: {value}")
        elif len(value) <= 10:
            print(f"  {key}: {[round(v, 3) for v in value]}")
    return 0


PLOTS = {"dc": "iv.png", "ispp": "ispp.png", "states": "states.png", "pulse-train": "pulse_trains.png"}
"""The figure each protocol writes."""


def write_result(out: Path, params, result) -> None:
    """Write the CSVs, the plot and ``summary.json`` (last, so its presence means a complete run)."""
    from compact_models import plots as P
    from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure

    atomic_write_csv(out / "reads.csv", result.reads)
    atomic_write_csv(out / "trace.csv", result.trace)
    fig, ax = new_figure(figsize=(7, 4.5))
    title = f"{params.name} {result.protocol}"
    if result.protocol == "dc":
        P.plot_iv(ax, result.trace, title)
    elif result.protocol == "states":
        P.plot_states(ax, result.reads, title)
    elif result.protocol == "pulse-train":
        P.plot_pulse_trains(ax, params, result.reads, result.summary, title)
        fig2, axes = new_figure(1, 2, figsize=(10, 3.8))
        P.plot_pulse_scheme(axes, params, f"{params.name} pulse trains")
        P.panel_letters(axes)
        fig2.tight_layout()
        atomic_save_figure(out / "fig2c_pulse_scheme.png", fig2)
        fig3, ax3 = new_figure(figsize=(6, 4))
        P.plot_state_sigma(ax3, result.reads, result.summary, f"{params.name} cycle-to-cycle spread per state")
        atomic_save_figure(out / "fig2f_state_sigma.png", fig3)
    else:
        P.plot_ispp(ax, result.reads, title)
    atomic_save_figure(out / PLOTS[result.protocol], fig)
    summary = {"device": params.name, "protocol": result.protocol, **result.summary, "simulator": ngspice_info()}
    atomic_write_json(out / "summary.json", summary)


if __name__ == "__main__":
    sys.exit(main())
