"""Fit a device file to measured pulse data: ``python -m compact_models.fit --pulses FILE.csv --out DIR``.

The input is what a device lab has after an ISPP or a pulse-train run, one row per pulse (`PULSE_COLUMNS`:
``cycle``, ``pulse``, ``amplitude_V``, ``width_s``, ``read_V`` and ``read_current_A`` or
``conductance_S``; ``phase`` optional, else the amplitude's sign). From it the fit places the switches
of the parallel-switch model and its states:

* ``ht-rram`` (one width, amplitudes stepped; paper 001's ISPP): every set pulse after which the read
  rises closes one more switch, its threshold the middle of that pulse's amplitude step; a line through
  the thresholds gives the first threshold and the spacing, the count of rises the number of switches.
  The reset pulses place the reset thresholds (first and last fall). The states are the reads after
  the switch counts closest to an even spread of ``states`` conductances from the first to the last.
* ``hfoxsy`` (pulse trains of growing amplitude and width; paper 000): the train's amplitudes and
  widths are the write scheme, the reads after each pulse the state curve (Gmin, the end steps and the
  linear step), their spread over the cycles the cycle-to-cycle sigma.

What the data do not determine (the area laws, capacitances, contacts, the ON/OFF leakage, the set
hysteresis split) is taken from a base device (``--base``, the model's built-in by default) and listed
as assumed. The fitted device is then run through the same protocol in ngspice, and `FitResult.report`
holds the agreement (RMSE and R^2 of the reads per phase, per state) with what was fitted and assumed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.errors import InputFileError, ParameterError

PULSE_COLUMNS = ("cycle", "pulse", "amplitude_V", "width_s", "read_V")
"""Columns every pulse table needs, besides ``read_current_A`` or ``conductance_S``."""
SET_PHASES, RESET_PHASES = ("set", "potentiation"), ("reset", "depression")


@dataclass
class FitResult:
    """A fitted device, the measured and simulated reads, and the report."""

    device: object
    measured: pd.DataFrame
    """The pulse table, with ``conductance_S`` and ``phase``."""
    simulated: pd.DataFrame
    """The same pulses in ngspice with the fitted device: ``cycle``, ``phase``, ``pulse``, ``conductance_S``."""
    report: dict


def read_pulses(path) -> pd.DataFrame:
    """The pulse table of a CSV file, checked: one `InputFileError` line for anything wrong."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: cannot be read as CSV ({exc})") from None
    return check_pulses(frame, str(path))


def check_pulses(frame: pd.DataFrame, where: str = "pulse table") -> pd.DataFrame:
    """``frame`` with ``conductance_S`` and ``phase``; `InputFileError` naming what is missing or wrong."""
    missing = [c for c in PULSE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{where}: missing column(s) {', '.join(missing)}; a pulse table has {', '.join(PULSE_COLUMNS)} "
                             "and read_current_A or conductance_S")
    reading = "conductance_S" if "conductance_S" in frame.columns else "read_current_A" if "read_current_A" in frame.columns else None
    if reading is None:
        raise InputFileError(f"{where}: needs a read_current_A or a conductance_S column")
    out = frame.copy()
    for col in (*PULSE_COLUMNS, reading):
        values = pd.to_numeric(out[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        if bad.size:
            raise InputFileError(f"{where}: column {col} has a non-numeric value {frame[col].iloc[bad[0]]!r} on data row {bad[0] + 1}")
        out[col] = values
    if len(out) < 4:
        raise InputFileError(f"{where}: {len(out)} row(s); a fit needs the pulses of at least one set and one reset phase")
    if np.any(out.read_V == 0):
        raise InputFileError(f"{where}: read_V is 0 V on some rows; a read needs a voltage")
    if reading == "read_current_A":
        if np.any(np.sign(out.read_current_A) * np.sign(out.read_V) < 0):
            row = int(np.flatnonzero(np.sign(out.read_current_A) * np.sign(out.read_V) < 0)[0])
            raise InputFileError(f"{where}: read_current_A {float(out.read_current_A.iloc[row]):g} on data row {row + 1} has "
                                 f"the opposite sign of its read_V {float(out.read_V.iloc[row]):g}")
        out["conductance_S"] = out.read_current_A / out.read_V
    elif np.any(out.conductance_S <= 0):
        raise InputFileError(f"{where}: conductance_S must be > 0 on every row")
    if "phase" not in out.columns:
        out["phase"] = np.where(out.amplitude_V > 0, "set", "reset")
    phases = set(out.phase.astype(str))
    if not phases & set(SET_PHASES) or not phases & set(RESET_PHASES):
        raise InputFileError(f"{where}: phases {sorted(phases)}; the fit needs a set (or potentiation) and a reset "
                             "(or depression) phase")
    return out.sort_values(["cycle"], kind="stable").reset_index(drop=True)


def fit_device(pulses: pd.DataFrame, model: str | None = None, base=None, name: str = "fitted", states: int | None = None,
               citation: str = "") -> FitResult:
    """The device of ``pulses`` (a checked pulse table), re-simulated in ngspice, with its report."""
    from compact_models.device_files import MODELS

    pulses = check_pulses(pulses)
    model = model or _guess_model(pulses)
    if model not in MODELS:
        raise ParameterError(f"--model {model!r} is unknown; choose one of {', '.join(MODELS)}")
    base = MODELS[model]() if base is None else base
    if type(base) is not MODELS[model]:
        raise ParameterError(f"--base {base.name} is a {type(base).__name__}, not a {model} device")
    fitter = _fit_ladder if model == "ht-rram" else _fit_trains
    values, notes = fitter(pulses, base, states)
    try:
        device = dataclasses.replace(base, name=name, citation=citation or f"fitted by rram-cosim to {len(pulses)} pulses", **values)
    except ParameterError as exc:
        raise InputFileError(f"the data give a device the model refuses: {exc}") from None
    simulated = _simulate(device, pulses, model)
    assumed = sorted(set(f.name for f in dataclasses.fields(base)) - set(values) - {"name", "citation"})
    report = {"model": model, "device": device.name, "base": base.name, "n_pulses": int(len(pulses)),
              "n_cycles": int(pulses.cycle.nunique()), "fitted": {k: _plain(v) for k, v in values.items()},
              "assumed": {k: _plain(getattr(device, k)) for k in assumed}, "notes": notes,
              "agreement": agreement(pulses, simulated), "states": state_errors(device, pulses, model)}
    return FitResult(device, pulses, simulated, report)


def _guess_model(pulses: pd.DataFrame) -> str:
    """``hfoxsy`` when a phase's pulses grow in width (trains), ``ht-rram`` when they share one width (a ladder)."""
    return "hfoxsy" if pulses.groupby("phase").width_s.nunique().max() > 1 else "ht-rram"


def _plain(v):
    return [float(x) for x in v] if isinstance(v, tuple) else float(v) if isinstance(v, float) else v


def _phase(pulses, phases) -> pd.DataFrame:
    return pulses[pulses.phase.isin(phases)]


def _rises(g: np.ndarray, floor_S: float) -> np.ndarray:
    """Indices of the pulses after which the read rose by more than ``floor_S``."""
    return np.flatnonzero(np.diff(g) > floor_S) + 1


def _rise_floor(pulses: pd.DataFrame) -> tuple:
    """(reset read, read noise sigma, the smallest change that counts as a switch), S.

    The noise is the spread of the set phase's reads below its first amplitude at which any cycle reads
    10 % of the way up (the reset state, read again); a change counts beyond 5 sigma of a difference of
    two reads, and never below 1e-3 of the range.
    """
    sets = _phase(pulses, SET_PHASES)
    hrs = float(_phase(pulses, RESET_PHASES).groupby("cycle").conductance_S.last().median())
    span = float(sets.conductance_S.max() - hrs)
    up = sets.amplitude_V[sets.conductance_S > hrs + 0.1 * span]
    flat = sets[sets.amplitude_V < up.min()] if len(up) else sets.iloc[:0]
    sigma = float(flat.groupby("cycle").conductance_S.std(ddof=1).mean()) if len(flat) >= 4 * max(flat.cycle.nunique(), 1) else 0.0
    return hrs, sigma, max(1e-3 * span, 5 * np.sqrt(2) * sigma)


def _fit_ladder(pulses: pd.DataFrame, base, states: int | None) -> tuple:
    sets, resets = _phase(pulses, SET_PHASES), _phase(pulses, RESET_PHASES)
    hrs, sigma, floor = _rise_floor(pulses)
    thresholds, counts, curves = [], [], []
    for _cyc, grp in sets.groupby("cycle"):
        amp, g = grp.amplitude_V.to_numpy(), np.concatenate([[hrs], grp.conductance_S.to_numpy()])
        rise = _rises(g, floor) - 1
        if rise.size == 0:
            raise InputFileError("a set phase has no read that rises: no switch can be placed; check the phase column or "
                                 "the amplitudes")
        lower = np.concatenate([[amp[0] - (amp[1] - amp[0])], amp[:-1]])
        thresholds.append(0.5 * (lower[rise] + amp[rise]))
        counts.append(rise.size)
        curves.append(np.concatenate([[hrs], g[1:][rise]]))
    n = int(np.median(counts))
    use = [t for t in thresholds if t.size == n] or thresholds
    mean_t = np.mean([t[:n] for t in use if t.size >= n], axis=0)
    k = np.arange(n)
    step, first = np.polyfit(k, mean_t, 1) if n > 1 else (base.vt_step_V, mean_t[0])
    curve = np.mean([c[: n + 1] for c in curves if c.size >= n + 1], axis=0)
    n_states = states or len(base.g_levels_nS)
    if not 2 <= n_states <= n:
        raise ParameterError(f"--states {n_states} must be within 2..{n}, the switches the staircase shows")
    targets = np.linspace(curve[1], curve[n], n_states)
    chosen = []
    for t in targets:
        free = [c for c in range(1, n + 1) if c not in chosen and (not chosen or c > chosen[-1])]
        chosen.append(min(free, key=lambda c: abs(curve[c] - t)))
    falls = []
    for _cyc, grp in resets.groupby("cycle"):
        amp, g = grp.amplitude_V.to_numpy(), grp.conductance_S.to_numpy()
        before = np.concatenate([[sets[sets.cycle == _cyc].conductance_S.iloc[-1]], g])
        drop = np.flatnonzero(np.diff(before) < -floor)
        if drop.size:
            upper = np.concatenate([[amp[0] - (amp[1] - amp[0])], amp[:-1]])
            falls.append((0.5 * (upper[drop[0]] + amp[drop[0]]), 0.5 * (upper[drop[-1]] + amp[drop[-1]])))
    if not falls:
        raise InputFileError("the reset phase has no read that falls: no reset threshold can be placed")
    top, bottom = np.median([f[0] for f in falls]), np.median([f[1] for f in falls])
    values = {"n_switches": n, "vt_min_V": float(first - base.vh_V), "vt_step_V": float(step),
              "reset_top_V": float(top), "reset_bunch_V": float(max(top - bottom, 0.0)),
              "reset_V": float(min(resets.amplitude_V.min(), bottom - 0.05)),
              "read_V": float(pulses.read_V.iloc[0]),
              "g_levels_nS": tuple(float(curve[c] * 1e9) for c in chosen), "level_switch_counts": tuple(chosen)}
    notes = [f"{n} switches from the rises of {len(counts)} set phase(s); thresholds the middles of their amplitude steps, "
             f"a line through them: first {first:.4f} V, spacing {step * 1e3:.2f} mV (the set hysteresis vh_V is the base's)",
             f"reset thresholds from the first and last fall: {top:.4f} V and {bottom:.4f} V",
             f"{n_states} states at {chosen} closed switches, the reads closest to an even spread",
             f"read noise {sigma * 1e9:.3g} nS (the reset state's reads); a switch counts beyond {floor * 1e9:.3g} nS"]
    return values, notes


def _fit_trains(pulses: pd.DataFrame, base, states: int | None) -> tuple:
    pot, dep = _phase(pulses, SET_PHASES), _phase(pulses, RESET_PHASES)
    n = int(pot.groupby("cycle").size().median())
    if n < 6:
        raise InputFileError(f"{n} pulses per potentiation train; the model needs at least 6 (2 end steps each side)")
    first = pot.groupby("cycle").head(n)
    amp = first.groupby("pulse").amplitude_V.median().to_numpy()
    width = first.groupby("pulse").width_s.median().to_numpy()
    mean = first.groupby("pulse").conductance_S.mean().to_numpy()
    start = float(dep.groupby("cycle").conductance_S.last().median())
    curve = np.concatenate([[start], mean])
    steps_uS = np.diff(curve) * 1e6
    if np.any(steps_uS <= 0):
        raise InputFileError("a potentiation read does not rise on every pulse: the trains' switches cannot be placed")
    ends = (float((steps_uS[0] + steps_uS[-1]) / 2), float((steps_uS[1] + steps_uS[-2]) / 2))
    g_min = _g_min_for_read(base, start)
    resid = first.conductance_S.to_numpy() - first.groupby("pulse").conductance_S.transform("mean").to_numpy()
    sigma_uS = float(np.std(resid, ddof=1) * 1e6) if pulses.cycle.nunique() > 1 else base.sigma_c2c_uS
    values = {"n_switches": n, "n_linear_states": n - 4, "v_start_V": float(amp[0]), "v_stop_V": float(amp[-1]),
              "width_start_s": float(width[0]), "width_stop_s": float(width[-1]), "g_min_uS": float(g_min),
              "step_uS": float(np.mean(steps_uS[2:-2])), "end_steps_uS": ends, "sigma_c2c_uS": sigma_uS,
              "read_V": float(pulses.read_V.iloc[0])}
    if states:
        values["n_weight_states"] = int(states)
    notes = [f"{n} pulses per train: amplitudes {amp[0]:g}..{amp[-1]:g} V, widths {width[0]:g}..{width[-1]:g} s",
             f"Gmin {g_min:.2f} uS from the read after depression ({start * 1e6:.2f} uS), linear step "
             f"{values['step_uS']:.3f} uS, end steps {ends[0]:.2f} and {ends[1]:.2f} uS",
             f"cycle-to-cycle sigma {sigma_uS:.2f} uS: the reads' spread about each pulse's mean over the cycles"]
    return values, notes


def _g_min_for_read(base, g_read_S: float) -> float:
    """The Gmin (uS) whose reset state reads ``g_read_S`` through the base device's series resistance: the
    read current leaves the switching area ``|read_V| - I R_series``, where Gmin V + g5 V^5 must carry it."""
    va = abs(base.read_V)
    i = g_read_S * va
    v_ab = va - i * base.series_ohm
    if not v_ab > 0:
        raise InputFileError(f"the reset read {g_read_S * 1e6:.4g} uS cannot pass the base device's {base.series_ohm:g} ohm "
                             "in series")
    return (i - base.g_programming_uS * 1e-6 * v_ab**5) / v_ab * 1e6


def _simulate(device, pulses: pd.DataFrame, model: str) -> pd.DataFrame:
    """The measured protocol again in ngspice with ``device``: read conductances per pulse."""
    from compact_models import protocols

    cycles = int(pulses.cycle.nunique())
    if model == "ht-rram":
        sets, resets = _phase(pulses, SET_PHASES), _phase(pulses, RESET_PHASES)
        s, r = np.sort(sets.amplitude_V.unique()), np.sort(resets.amplitude_V.unique())[::-1]
        set_step = float(np.median(np.diff(s))) if s.size > 1 else 0.025
        reset_step = float(np.median(np.diff(r))) if r.size > 1 else -0.05
        res = protocols.ispp(device, cycles=cycles, set_V=(s[0], s[-1], set_step), reset_V=(r[0], r[-1], reset_step),
                             width_s=float(sets.width_s.median()))
        out = res.reads.assign(conductance_S=res.reads.read_current_nA * 1e-9 / device.read_V)
    else:
        res = protocols.pulse_trains(device, cycles=cycles, noise=False)
        out = res.reads.assign(conductance_S=res.reads.conductance_uS * 1e-6)
    return out[["cycle", "phase", "pulse", "conductance_S"]]


def agreement(measured: pd.DataFrame, simulated: pd.DataFrame) -> dict:
    """RMSE (S and as a share of the measured range) and R^2 of the reads per phase, pulse by pulse."""
    out = {}
    for phase in sorted(set(measured.phase)):
        m = measured[measured.phase == phase].groupby(["cycle", "pulse"]).conductance_S.mean()
        s = simulated[simulated.phase == phase].groupby(["cycle", "pulse"]).conductance_S.mean()
        both = pd.concat([m.rename("m"), s.rename("s")], axis=1, join="inner")
        if both.empty:
            raise InputFileError(f"the simulated {phase} phase has no pulse in common with the measured one")
        err = both.s - both.m
        span = float(measured.conductance_S.max() - measured.conductance_S.min())
        ss = float(((both.m - both.m.mean()) ** 2).sum())
        out[phase] = {"rmse_S": float(np.sqrt((err ** 2).mean())), "rmse_of_range": float(np.sqrt((err ** 2).mean()) / span),
                      "r2": float(1 - (err ** 2).sum() / ss) if ss > 0 else float("nan"), "n_pulses": int(len(both))}
    return out


def state_errors(device, pulses: pd.DataFrame, model: str) -> list:
    """Per programmable state: its conductance in the file against the mean measured read after its pulses."""
    sets = _phase(pulses, SET_PHASES)
    rows = []
    for level, (g_nS, count) in enumerate(zip(device.g_levels_nS, device.level_switch_counts), 1):
        if model == "ht-rram":
            per = [grp.conductance_S.to_numpy() for _c, grp in sets.groupby("cycle")]
            hrs, _sigma, floor = _rise_floor(pulses)
            reads = [g[_rises(np.concatenate([[hrs], g]), floor) - 1] for g in per]
            measured = np.mean([r[count - 1] for r in reads if r.size >= count]) * 1e9
        else:
            measured = sets[sets.pulse == count].conductance_S.mean() * 1e9
        rows.append({"state": level, "switches": int(count), "file_nS": float(g_nS), "measured_nS": float(measured),
                     "error_nS": float(g_nS - measured)})
    return rows


def pulse_table(result, device) -> pd.DataFrame:
    """The pulse table (`PULSE_COLUMNS`) of a protocol's result: what a lab would hand the fit."""
    reads = result.reads
    if result.protocol == "ispp":
        return pd.DataFrame({"cycle": reads.cycle, "phase": reads.phase, "pulse": reads.pulse, "amplitude_V": reads.amplitude_V,
                             "width_s": result.summary["pulse_width_s"], "read_V": device.read_V,
                             "read_current_A": reads.read_current_nA * 1e-9})
    if result.protocol == "pulse-train":
        return pd.DataFrame({"cycle": reads.cycle, "phase": reads.phase, "pulse": reads.pulse, "amplitude_V": reads.amplitude_V,
                             "width_s": reads.width_ns * 1e-9, "read_V": device.read_V, "conductance_S": reads.conductance_uS * 1e-6})
    raise ParameterError(f"protocol {result.protocol!r} has no pulse table; use ispp or pulse-train")


def plot_fit(fit: FitResult):
    """Measured against simulated reads, pulse by pulse over every cycle, one panel per phase."""
    from compact_models.io import new_figure

    phases = sorted(set(fit.measured.phase), key=lambda p: (p not in SET_PHASES, p))
    fig, axes = new_figure(1, len(phases), figsize=(5.2 * len(phases), 3.8), squeeze=False)
    for ax, phase in zip(axes[0], phases):
        for frame, style, label in ((fit.measured, dict(marker="o", ls="", ms=3, alpha=0.6), "measured"),
                                    (fit.simulated, dict(ls="-", lw=1.2), "simulated (ngspice, fitted device)")):
            sel = frame[frame.phase == phase]
            for n, (_cyc, grp) in enumerate(sel.groupby("cycle")):
                ax.plot(grp.pulse, grp.conductance_S * 1e6, color="C0" if label == "measured" else "C3",
                        label=label if n == 0 else None, **style)
        stats = fit.report["agreement"].get(phase, {})
        ax.set_title(f"{phase}: RMSE {stats.get('rmse_of_range', float('nan')) * 100:.2f} % of range, "
                     f"$R^2$ {stats.get('r2', float('nan')):.4f}", fontsize=9)
        ax.set_xlabel("pulse number in the phase")
        ax.set_ylabel(r"read conductance $G$ ($\mu$S)")
        ax.legend(fontsize=8)
    fig.suptitle(f"{fit.device.name}: fit of the {fit.report['model']} model to {fit.report['n_cycles']} cycle(s)")
    fig.tight_layout()
    return fig


def build_parser():
    import argparse

    from compact_models.cli import add_common_arguments, add_overwrite_argument
    from compact_models.device_files import MODELS

    parser = argparse.ArgumentParser(prog="python -m compact_models.fit", description=__doc__.splitlines()[0])
    parser.add_argument("--pulses", type=Path, required=True,
                        help="CSV, one row per pulse: cycle, pulse, amplitude_V, width_s, read_V and read_current_A or "
                             "conductance_S; phase (set/reset or potentiation/depression) optional")
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
    from compact_models.device_files import NAME_PATTERN, device_file_text
    from compact_models.devices import resolve_device
    from compact_models.io import atomic_save_figure, atomic_write_json, atomic_write_text, staged_results
    from compact_models.simulator import ngspice_info
    from compact_models.store import RunState, content_key, spec_fields

    if not NAME_PATTERN.match(args.name):
        raise ParameterError(f"--name {args.name!r} must be 1-40 lower-case letters, digits, '-', '_' or '.'")
    pulses = read_pulses(args.pulses)
    base = resolve_device(args.base) if args.base else None
    fit = fit_device(pulses, args.model, base, args.name, args.states)
    out = prepare_out_dir(args.out)
    RunState(out, "fit", {"pulses": content_key(pulses.to_dict(orient="list")), "model": args.model, "name": args.name,
                          "base": spec_fields(fit.device if base is None else base), "states": args.states},
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
