"""``python -m compact_models.fit``: the command over `compact_models.fit`."""
from __future__ import annotations

from pathlib import Path

from compact_models.fit import __doc__ as FIT_DOC
from compact_models.fit.model import fit_device
from compact_models.fit.plots import plot_fit
from compact_models.fit.tables import read_iv, read_pulses, read_verify


def build_parser():
    import argparse

    from compact_models.cli import add_common_arguments, add_overwrite_argument
    from compact_models.device_files import MODELS

    parser = argparse.ArgumentParser(prog="python -m compact_models.fit", description=FIT_DOC.splitlines()[0])
    parser.add_argument("--pulses", type=Path, required=True,
                        help="CSV, one row per pulse: cycle, pulse, amplitude_V, width_s, read_V and read_current_A or "
                             "conductance_S; phase (set/reset or potentiation/depression) optional")
    parser.add_argument("--iv", type=Path, default=None,
                        help="CSV of a DC I-V sweep (V, I_A in sweep order), for the area laws (default: the base's laws)")
    parser.add_argument("--verify", type=Path, default=None,
                        help="CSV of program-and-verify outcomes (target state 1..N, final_conductance_S, pulses), for "
                             "the write error (default: the base's)")
    parser.add_argument("--model", choices=list(MODELS), default=None,
                        help="compact model to fit (default: hfoxsy if a phase's widths vary, else ht-rram)")
    parser.add_argument("--base", default=None, help="device whose unfitted parameters are assumed: a built-in or a "
                                                     "device file (default: the model's built-in)")
    parser.add_argument("--name", default="fitted", help="name of the fitted device (default fitted)")
    parser.add_argument("--states", type=int, default=None, help="programmable states to place (default: the base's)")
    parser.add_argument("--out", type=Path, required=True, help="folder for device.toml, fit_report.json and fit.png")
    add_overwrite_argument(parser)
    add_common_arguments(parser)
    return parser


def main(argv=None) -> int:
    from compact_models.cli import run_guarded, setup_logging

    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    return run_guarded(lambda: _fit(args))


def _fit(args) -> int:
    from compact_models.cli import prepare_out_dir
    from compact_models.device_files import check_name, device_file_text
    from compact_models.devices import resolve_device
    from compact_models.io import atomic_save_figure, atomic_write_json, atomic_write_text, staged_results
    from compact_models.simulator import ngspice_info
    from compact_models.store import RunState, content_key, spec_fields

    check_name(args.name, "--name")
    pulses = read_pulses(args.pulses)
    base = resolve_device(args.base) if args.base else None
    iv = read_iv(args.iv) if args.iv else None
    verify = read_verify(args.verify) if args.verify else None
    fit = fit_device(pulses, args.model, base, args.name, args.states, iv=iv, verify=verify)
    out = prepare_out_dir(args.out)
    RunState(out, "fit", {"pulses": content_key(pulses.to_dict(orient="list")), "model": args.model, "name": args.name,
                          "iv": None if iv is None else content_key(iv.to_dict(orient="list")),
                          "verify": None if verify is None else content_key(verify.to_dict(orient="list")),
                          "base": None if base is None else spec_fields(base), "states": args.states},
             overwrite=args.overwrite)
    with staged_results(out) as stage:
        atomic_write_text(stage / "device.toml", device_file_text(fit.device))
        atomic_save_figure(stage / "fit.png", plot_fit(fit))
        atomic_write_json(stage / "fit_report.json", {**fit.report, "simulator": ngspice_info()})
    print(f"wrote {out}/device.toml, fit_report.json and fit.png ({fit.report['model']} model, {fit.device.n_switches} switches, "
          f"{len(fit.device.g_levels_nS)} states)")
    for phase, stats in fit.report["agreement"].items():
        print(f"  {phase}: RMSE {stats['rmse_of_range'] * 100:.3f} % of the range, R^2 {stats['r2']:.5f} over {stats['n_pulses']} pulses")
    for note in fit.report["notes"]:
        print(f"  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
