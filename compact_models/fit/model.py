"""The fit of a device to its pulse table: switches, thresholds and states, then ngspice runs it again."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from compact_models.errors import InputFileError, ParameterError
from compact_models.fit.laws import LAW_KEYS, fit_laws
from compact_models.fit.spread import MIN_DEVICES, device_spread, train_spread
from compact_models.fit.tables import (
    RESET_PHASES,
    SET_PHASES,
    _phase,
    _rise_floor,
    _rises,
    _step_middles,
    check_iv,
    check_pulses,
    check_verify,
)
from compact_models.hfoxsy import read_table_changes
from compact_models.write_error import truncated_std

MIN_OUTCOMES_PER_STATE = 20
"""Verify outcomes each state needs before it may get a sigma of its own (fewer: one pooled sigma)."""
TRAIN_MISS_SEM = 4.0
"""A train's linear step and end steps describe its potentiation curve unless they miss a pulse's mean read
by more than this many standard errors of that mean (4: a 2 % chance that one of 20 pulses does by noise)."""
STATE_DEPENDENCE_P = 0.01
"""The Brown-Forsythe test's p-value below which the states' write errors count as unequal in spread."""


@dataclass
class FitResult:
    """A fitted device, the measured and simulated reads, and the report."""

    device: object
    measured: pd.DataFrame
    """The pulse table, with ``conductance_S`` and ``phase``."""
    simulated: pd.DataFrame
    """The same pulses in ngspice with the fitted device: ``cycle``, ``phase``, ``pulse``, ``conductance_S``."""
    report: dict


def fit_device(pulses: pd.DataFrame, model: str | None = None, base=None, name: str = "fitted", states: int | None = None,
               citation: str = "", iv: pd.DataFrame | None = None, verify: pd.DataFrame | None = None) -> FitResult:
    """The device of ``pulses`` (a checked pulse table), re-simulated in ngspice, with its report; with a
    DC I-V table ``iv`` (`read_iv`) its area laws are fitted too, and with program-and-verify outcomes
    ``verify`` (`read_verify`) its write error."""
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
    spread_report = None
    n_devices = pulses.device.nunique() if "device" in pulses.columns else 1
    if n_devices >= MIN_DEVICES:
        spread, spread_report = (device_spread if model == "ht-rram" else train_spread)(pulses, device)
        values.update(spread)
        device = dataclasses.replace(device, **spread)
        notes.append(f"{n_devices} devices, fitted together as one; their device-to-device spread " + (
            "from each threshold's deviation across the staircases and the spread of their full-on reads: d2d_vt_sigma_V "
            f"{spread['d2d_vt_sigma_V'] * 1e3:.2f} mV, " if model == "ht-rram" else
            "from the spread of each switch's rise over the devices (d2d_vt_sigma_V stays the base's: a threshold "
            "that moves within its pulse's amplitude step changes nothing a train shows): ")
            + f"d2d_ron_sigma_rel {spread['d2d_ron_sigma_rel']:.3f}")
    elif n_devices > 1:
        notes.append(f"the table holds {n_devices} devices, fitted together as one; their device-to-device spread is not "
                     f"fitted (it needs {MIN_DEVICES} devices: d2d_ron_sigma_rel and d2d_vt_sigma_V stay the base's)")
    iv_report = None
    if iv is not None:
        tables = [k for k in ("rs_table_V", "ri_table_V", "area_table_V") if getattr(device, k, ())]
        if tables:
            raise ParameterError(f"--iv fits the exponential area laws, but the base device gives {' and '.join(tables)}: "
                                 "fit without --iv, or from a base whose area tables are empty")
        laws, iv_report = fit_laws(device, check_iv(iv), LAW_KEYS[model])
        values.update(laws)
        device = dataclasses.replace(device, **laws)
        notes.append(f"area laws {', '.join(LAW_KEYS[model])} from the DC I-V: its RMSE {iv_report['rmse_of_range_before']:.4f} of the "
                     f"range with the base's laws, {iv_report['rmse_of_range']:.4f} fitted")
    verify_report = None
    if verify is not None:
        errors, verify_report = write_errors(device, check_verify(verify))
        if model == "ht-rram":
            values.update(errors)
            device = dataclasses.replace(device, **errors)
            per_state = (f"; its spread differs between the states (Brown-Forsythe p = {verify_report['state_dependence_p']:.2g}), "
                         "so each state has its own sigma" if errors["write_sigma_per_state_nS"] else
                         f"; one sigma for every state (Brown-Forsythe p = {verify_report['state_dependence_p']:.2g})")
            notes.append(f"write error sigma {errors['write_sigma_nS']:.3f} nS, truncated at {errors['write_truncate_nS']:.3f} nS, "
                         f"from the verify outcomes{per_state}")
    simulated = _simulate(device, pulses, model)
    assumed = sorted(set(f.name for f in dataclasses.fields(base)) - set(values) - {"name", "citation"})
    report = {"model": model, "device": device.name, "base": base.name, "n_pulses": int(len(pulses)),
              "n_cycles": int(pulses.cycle.nunique()), "fitted": {k: _plain(v) for k, v in values.items()},
              "assumed": {k: _plain(getattr(device, k)) for k in assumed}, "notes": notes,
              "agreement": agreement(pulses, simulated), "states": state_errors(device, pulses, model), "iv": iv_report,
              "verify": verify_report, "device_spread": spread_report}
    return FitResult(device, pulses, simulated, report)


def _guess_model(pulses: pd.DataFrame) -> str:
    """``hfoxsy`` when a phase's pulses grow in width (trains), ``ht-rram`` when they share one width (a ladder)."""
    return "hfoxsy" if pulses.groupby("phase").width_s.nunique().max() > 1 else "ht-rram"


def _plain(v):
    return [float(x) for x in v] if isinstance(v, tuple) else float(v) if isinstance(v, float) else v


def _staircases(sets: pd.DataFrame, hrs: float, floor: float) -> list:
    """Per set phase (cycle): its amplitudes, the pulses after which the read rose, and the reads after them."""
    out = []
    for _cyc, grp in sets.groupby("cycle"):
        amp, g = grp.amplitude_V.to_numpy(), grp.conductance_S.to_numpy()
        rise = _rises(np.concatenate([[hrs], g]), floor) - 1
        out.append((amp, rise, g[rise]))
    return out


def _fit_ladder(pulses: pd.DataFrame, base, states: int | None) -> tuple:
    sets, resets = _phase(pulses, SET_PHASES), _phase(pulses, RESET_PHASES)
    hrs, sigma, floor = _rise_floor(pulses)
    thresholds, counts, curves = [], [], []
    for amp, rise, reads in _staircases(sets, hrs, floor):
        if rise.size == 0:
            raise InputFileError("a set phase has no read that rises: no switch can be placed; check the phase column or "
                                 "the amplitudes")
        thresholds.append(_step_middles(amp, rise))
        counts.append(rise.size)
        curves.append(np.concatenate([[hrs], reads]))
    # several devices: two of a device's thresholds within one amplitude step rise once, so the switches
    # are the most any staircase shows
    n = int(np.max(counts)) if "device" in pulses.columns and pulses.device.nunique() > 1 else int(np.median(counts))
    use = [t for t in thresholds if t.size == n] or thresholds
    mean_t = np.mean([t[:n] for t in use if t.size >= n], axis=0)
    k = np.arange(n)
    step, first = np.polyfit(k, mean_t, 1) if n > 1 else (base.vt_step_V, mean_t[0])
    # Each threshold is known to half its pulse's amplitude step: where the line misses one by more, the
    # switches are not evenly spaced and each keeps its own.
    resolution = 0.5 * float(np.median(np.abs(np.diff(sets.amplitude_V.to_numpy())))) if len(sets) > 1 else 0.0
    miss = float(np.max(np.abs(mean_t - (first + step * k)))) if n > 1 else 0.0
    table = n > 2 and miss > resolution
    if table:
        first, step = float(mean_t[0]), float((mean_t[-1] - mean_t[0]) / (n - 1))
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
            falls.append(tuple(_step_middles(amp, drop[[0, -1]])))
    if not falls:
        raise InputFileError("the reset phase has no read that falls: no reset threshold can be placed")
    top, bottom = np.median([f[0] for f in falls]), np.median([f[1] for f in falls])
    values = {"n_switches": n, "vt_min_V": float(first - base.vh_V), "vt_step_V": float(step),
              "vt_table_V": tuple(float(v) for v in mean_t - base.vh_V) if table else (),
              "reset_top_V": float(top), "reset_bunch_V": float(max(top - bottom, 0.0)),
              "reset_V": float(min(resets.amplitude_V.min(), bottom - 0.05)),
              "read_V": float(pulses.read_V.iloc[0]),
              "g_levels_nS": tuple(float(curve[c] * 1e9) for c in chosen), "level_switch_counts": tuple(chosen)}
    reads_note = _switch_reads(values, base, curve, n, floor)
    reset_note = _reset_table(values, base, sets, resets)
    spacing = (f"each switch its own (vt_table_V): a line through them misses one by {miss * 1e3:.1f} mV, more than the "
               f"{resolution * 1e3:.1f} mV a pulse places a threshold to; first {first:.4f} V, mean spacing {step * 1e3:.2f} mV"
               if table else f"a line through them: first {first:.4f} V, spacing {step * 1e3:.2f} mV")
    notes = [f"{n} switches from the rises of {len(counts)} set phase(s); thresholds the middles of their amplitude steps, "
             f"{spacing} (the set hysteresis vh_V is the base's)",
             f"reset thresholds from the first and last fall: {top:.4f} V and {bottom:.4f} V",
             f"{n_states} states at {chosen} closed switches, the reads closest to an even spread",
             f"read noise {sigma * 1e9:.3g} nS (the reset state's reads); a switch counts beyond {floor * 1e9:.3g} nS",
             reads_note, reset_note]
    return values, notes


def _reset_table(values: dict, base, sets: pd.DataFrame, resets: pd.DataFrame) -> str:
    """Add each switch's reset threshold (``reset_table_V``) to ``values`` where the bunched law misses the
    reset staircase by a switch or more at some pulse; the note says which.

    After each reset pulse the closed switches are read off the fitted state curve; switches open from
    the strongest down (the last to close opens first), and switch k's threshold is the middle of the
    amplitude step of the first pulse that leaves k or fewer closed (the median over the cycles).
    """
    device = dataclasses.replace(base, **values, reset_table_V=())
    curve, n, bunched_V = device.read_curve_S(), device.n_switches, device.reset_threshold_V
    tables, miss = [], 0.0
    for cyc, grp in resets.groupby("cycle"):
        amp = grp.amplitude_V.to_numpy()
        start = sets[sets.cycle == cyc].conductance_S.iloc[-1] if (sets.cycle == cyc).any() else curve[-1]
        closed = np.minimum.accumulate(np.interp(np.concatenate([[start], grp.conductance_S.to_numpy()]), curve, np.arange(n + 1)))[1:]
        bunched = np.count_nonzero(bunched_V[None, :] < amp[:, None], axis=1)
        miss = max(miss, float(np.max(np.abs(np.round(closed) - bunched))))
        if closed[-1] <= 0.5:
            first = [int(np.argmax(closed <= k + 0.5)) for k in range(n)]
            tables.append(_step_middles(amp, np.array(first)))
    if miss < 1 or not tables:
        values["reset_table_V"] = ()
        return f"reset thresholds bunched below the first fall (they miss the reset staircase by {miss:.0f} switches at most)"
    table = np.median(tables, axis=0)
    values.update(reset_table_V=tuple(float(v) for v in table), reset_top_V=float(table.max()),
                  reset_bunch_V=float(table.max() - table.min()))
    return (f"each switch's own reset threshold (reset_table_V, {table.min():.4f}..{table.max():.4f} V): the bunched law "
            f"misses the reset staircase by {miss:.0f} switches at a pulse")


def _switch_reads(values: dict, base, curve: np.ndarray, n: int, floor: float) -> str:
    """Add each switch's measured read (``switch_reads_nS``) to ``values`` where geometric steps between the
    states miss the staircase's mean read after some switch by more than the smallest change that counts;
    the note says which."""
    between = dataclasses.replace(base, **values, switch_reads_nS=())
    miss = float(np.max(np.abs(between.read_curve_S()[: n + 1] - curve[: n + 1])))
    rising = bool(np.all(np.diff(curve[1: n + 1]) > 0))
    if miss > floor and rising:
        values["switch_reads_nS"] = tuple(float(g * 1e9) for g in curve[1: n + 1])
        return (f"each switch's ON resistance from its own read (switch_reads_nS): geometric steps between the states miss "
                f"a read by {miss * 1e9:.3g} nS, more than {floor * 1e9:.3g} nS")
    values["switch_reads_nS"] = ()
    return f"ON resistances in geometric steps between the states (they miss a read by {miss * 1e9:.3g} nS at most)"


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
    area = _reset_area(base, start)
    g_min = area["g_min_uS"]
    by = ["device", "pulse"] if "device" in first.columns else ["pulse"]  # each device about its own mean read
    resid = first.conductance_S.to_numpy() - first.groupby(by).conductance_S.transform("mean").to_numpy()
    dof = resid.size - first.groupby(by).ngroups
    spread = truncated_std(base.c2c_truncate_sigma)
    sigma_uS = float(np.sqrt(np.sum(resid ** 2) / dof) * 1e6 / spread) if dof > 0 else base.sigma_c2c_uS
    per_state, per_state_note = _c2c_per_state(first, dep.groupby("cycle").head(n), n, spread)
    values = {"n_switches": n, "n_linear_states": n - 4, "v_start_V": float(amp[0]), "v_stop_V": float(amp[-1]),
              "width_start_s": float(width[0]), "width_stop_s": float(width[-1]), **area,
              "step_uS": float(np.mean(steps_uS[2:-2])), "end_steps_uS": ends, "sigma_c2c_uS": sigma_uS,
              "sigma_c2c_per_state_uS": per_state,
              "read_V": float(pulses.read_V.iloc[0])}
    if states:
        values["n_weight_states"] = int(states)
    notes = [f"{n} pulses per train: amplitudes {amp[0]:g}..{amp[-1]:g} V, widths {width[0]:g}..{width[-1]:g} s",
             f"Gmin {g_min:.2f} uS from the read after depression ({start * 1e6:.2f} uS), linear step "
             f"{values['step_uS']:.3f} uS, end steps {ends[0]:.2f} and {ends[1]:.2f} uS",
             f"cycle-to-cycle sigma {sigma_uS:.2f} uS: the reads' spread about each pulse's mean over the cycles, over "
             f"{spread:.4f} (the spread of a Gaussian of sigma 1 truncated at {base.c2c_truncate_sigma:g} sigma)",
             per_state_note,
             _train_reads(values, base, mean, sigma_uS / np.sqrt(first.cycle.nunique()))]
    return values, notes


def _c2c_per_state(pot: pd.DataFrame, dep: pd.DataFrame, n: int, spread: float) -> tuple:
    """(``sigma_c2c_per_state_uS``, the note): each read's deviation from its pulse's mean (per device and
    phase) belongs to the state the pulse leaves (potentiation pulse p: p switches closed; depression
    pulse p: n - p). Where every state has `MIN_OUTCOMES_PER_STATE` deviations and the Brown-Forsythe test
    (scipy's Levene about the medians) finds their spreads unequal at `STATE_DEPENDENCE_P`, each state's
    sigma is its own (RMS deviation with one degree of freedom per mean, over ``spread``, `truncated_std`);
    else the tuple is empty."""
    both = pd.concat([pot.assign(state=pot.pulse), dep.assign(state=n - dep.pulse)], ignore_index=True)
    by = ["device", "phase", "pulse"] if "device" in both.columns else ["phase", "pulse"]
    both["dev"] = both.conductance_S - both.groupby(by).conductance_S.transform("mean")
    groups = [both.dev[both.state == k].to_numpy() for k in range(n + 1)]
    p_value, enough, by_state = _spreads_differ(groups)
    if not enough:
        return (), (f"one cycle-to-cycle sigma for every state: the state dependence needs {MIN_OUTCOMES_PER_STATE} reads of "
                    f"each state, the trains give {min(g.size for g in groups)}")
    if not by_state:
        return (), f"one cycle-to-cycle sigma for every state (Brown-Forsythe p = {p_value:.2g} over the {n + 1} states)"
    means = both.drop_duplicates(by).groupby("state").size()  # the means each state's deviations are about
    sigma = tuple(float(np.sqrt(np.sum(g ** 2) / (g.size - means[k])) * 1e6 / spread) for k, g in enumerate(groups))
    return sigma, (f"a cycle-to-cycle sigma per state (sigma_c2c_per_state_uS, {min(sigma):.3g}..{max(sigma):.3g} uS): "
                   f"their spreads differ (Brown-Forsythe p = {p_value:.2g} over the {n + 1} states)")


def _train_reads(values: dict, base, mean_S: np.ndarray, sem_uS: float) -> str:
    """Add each pulse's mean read (``switch_reads_uS``) to ``values`` where the linear step and end steps miss
    one by more than `TRAIN_MISS_SEM` standard errors of a pulse's mean read; the note says which."""
    between = dataclasses.replace(base, **values, switch_reads_uS=())
    miss_uS = float(np.max(np.abs(between.read_curve_S()[1:] - mean_S))) * 1e6
    floor_uS = TRAIN_MISS_SEM * sem_uS
    if miss_uS <= floor_uS:
        values["switch_reads_uS"] = ()
        return (f"one linear step with end steps: they miss a pulse's mean read by {miss_uS:.3g} uS at most "
                f"({TRAIN_MISS_SEM:g} standard errors: {floor_uS:.3g} uS)")
    values.update(read_table_changes(base, [float(g * 1e6) for g in mean_S], **values))
    return (f"each switch's ON resistance from its pulse's mean read (switch_reads_uS): one linear step with end steps "
            f"misses a read by {miss_uS:.3g} uS, more than {TRAIN_MISS_SEM:g} standard errors ({floor_uS:.3g} uS)")


def _reset_area(base, g_read_S: float) -> dict:
    """The Gmin (uS) whose reset state reads ``g_read_S`` through the base device's series resistance: the
    read current leaves the switching area ``|read_V| - I R_series``, where Gmin V + g5 V^5 must carry it.
    A base whose area is a table (`area_table_uS`) has the whole table scaled to carry it instead."""
    va = abs(base.read_V)
    i = g_read_S * va
    v_ab = va - i * base.series_ohm
    if not v_ab > 0:
        raise InputFileError(f"the reset read {g_read_S * 1e6:.4g} uS cannot pass the base device's {base.series_ohm:g} ohm "
                             "in series")
    if base.area_table_V:
        k = i / float(base.area_laws()[0].current_A(v_ab))
        return {"g_min_uS": base.g_min_uS * k, "g_programming_uS": base.g_programming_uS * k,
                "area_table_uS": tuple(float(g * k) for g in base.area_table_uS)}
    return {"g_min_uS": float((i - base.g_programming_uS * 1e-6 * v_ab**5) / v_ab * 1e6)}


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
    if model == "ht-rram":
        hrs, _sigma, floor = _rise_floor(pulses)
        reads = [after for _amp, _rise, after in _staircases(sets, hrs, floor)]
    rows = []
    for level, (g_nS, count) in enumerate(zip(device.g_levels_nS, device.level_switch_counts), 1):
        if model == "ht-rram":
            measured = np.mean([r[count - 1] for r in reads if r.size >= count]) * 1e9
        else:
            measured = sets[sets.pulse == count].conductance_S.mean() * 1e9
        rows.append({"state": level, "switches": int(count), "file_nS": float(g_nS), "measured_nS": float(measured),
                     "error_nS": float(g_nS - measured)})
    return rows


def _spreads_differ(groups: list) -> tuple:
    """(Brown-Forsythe p, whether every group has `MIN_OUTCOMES_PER_STATE` values, whether both hold and p <
    `STATE_DEPENDENCE_P`) for the deviations of each state: the rule a sigma per state needs."""
    from scipy.stats import levene

    p_value = float(levene(*groups, center="median").pvalue) if len(groups) > 1 else 1.0
    enough = min(g.size for g in groups) >= MIN_OUTCOMES_PER_STATE
    return p_value, enough, enough and p_value < STATE_DEPENDENCE_P


def write_errors(device, verify: pd.DataFrame) -> tuple:
    """(HT-RRAM's write-error parameters, the per-state report) from program-and-verify outcomes: each
    outcome's error is its final read against its state's conductance in the device; the sigma is
    pooled over the states (the RMS error), the truncation the largest error seen. Where every state
    has `MIN_OUTCOMES_PER_STATE` outcomes and the Brown-Forsythe test (scipy's Levene about the
    medians) finds their spreads unequal at `STATE_DEPENDENCE_P`, each state's RMS error becomes its
    own sigma (``write_sigma_per_state_nS``); else that stays empty."""
    levels = np.asarray(device.g_levels_nS)
    if verify.target.max() > levels.size:
        raise InputFileError(f"verify table: target {int(verify.target.max())} is beyond the fitted device's {levels.size} states")
    err_nS = verify.final_conductance_S * 1e9 - levels[verify.target - 1]
    per = err_nS.groupby(verify.target).agg(["mean", "std", "size"])
    rms = err_nS.groupby(verify.target).apply(lambda e: float(np.sqrt(np.mean(e ** 2))))
    sigma = float(np.sqrt(np.mean(err_nS ** 2)))
    groups = [err_nS[verify.target == k].to_numpy() for k in per.index]
    p_value, enough, by_state = _spreads_differ(groups)
    by_state = by_state and len(per) == levels.size
    values = {"write_sigma_nS": sigma, "write_truncate_nS": float(max(np.abs(err_nS).max(), 1e-3)),
              "write_sigma_per_state_nS": tuple(float(rms[k]) for k in range(1, levels.size + 1)) if by_state else ()}
    report = {"n_outcomes": int(len(verify)), "sigma_nS": sigma, "max_abs_error_nS": float(np.abs(err_nS).max()),
              "state_dependence_p": p_value, "sigma_per_state": by_state,
              "per_state": [{"state": int(k), "mean_error_nS": float(r["mean"]), "sigma_nS": float(r["std"]),
                             "rms_error_nS": float(rms[k]), "n": int(r["size"])} for k, r in per.iterrows()]}
    if "pulses" in verify.columns:
        report["mean_pulses"] = float(pd.to_numeric(verify.pulses, errors="coerce").mean())
    return values, report
