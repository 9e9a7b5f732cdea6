"""Characterisation protocols run in ngspice on one device: DC sweep, ISPP, pulse trains, state stability.

Each protocol builds its stimulus (`Waveform`), a one-cell testbench netlist, runs one transient and
returns DataFrames (reads, traces) and a summary dict. Plotting functions take an axis.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid

from compact_models import simulator
from compact_models.base import DeviceVariation, SwitchCell
from compact_models.errors import ParameterError
from compact_models.waveforms import Waveform, pwl_text, sample_windows

logger = logging.getLogger(__name__)

PROTOCOLS = ("dc", "ispp", "states", "pulse-train")
"""Protocol names; each device lists those it supports (`Device.protocols`)."""
DEFAULT_CYCLES = {"dc": 1, "ispp": 3, "states": 1, "pulse-train": 100}
"""Cycles of each protocol when none are asked for."""


@dataclass
class ProtocolResult:
    """What a protocol measured: read-outs, the full trace, and the summary numbers."""

    device: str
    protocol: str
    reads: pd.DataFrame
    trace: pd.DataFrame
    summary: dict = field(default_factory=dict)


def testbench(params, cell: SwitchCell, stimulus: str, extra: list | None = None) -> str:
    """Netlist of one device driven at its top electrode by ``stimulus``, bottom electrode grounded."""
    lines, models = params.cell_lines(cell, "d", "te", "0")
    body = ["* single-device testbench", f"Vte te 0 {stimulus}", *lines, *(extra or [])]
    body += params.shared_model_lines() if not cell.is_custom else models
    return "\n".join(body) + "\n"


MAX_STEP_S = 50e-6
"""The protocols' maximum transient step, s. Their read-outs are plateau means between corners of the
staircase, which ngspice hits as breakpoints, and the switches move on the corners' voltages, so a
step of 2 us changes no read by more than 4e-6 of it, nor a pulse train's energy
(`tests/compact_models/test_protocols.py`); the step only thins the trace between corners."""


def _run(params, cell, wave: Waveform, extra=None, save_voltage=False):
    net = testbench(params, cell, wave.pwl(), extra)
    save = ["i(vte)"] + (["v(te)"] if save_voltage else [])
    res = simulator.run(net, f".tran {MAX_STEP_S:.6g} {wave.end_s:.9g} 0 {MAX_STEP_S:.6g}", save=save)
    return res.time, -res["i(vte)"], res


def _check_cycles(cycles: int) -> int:
    if not isinstance(cycles, (int, np.integer)) or isinstance(cycles, bool) or cycles < 1 or cycles > 10000:
        raise ParameterError(f"--cycles {cycles!r} is not allowed: give a whole number from 1 to 10000")
    return int(cycles)


def _device_cell(params, seed: int | None, variation: DeviceVariation | None) -> SwitchCell:
    """The device a protocol runs: ``variation`` drawn (None: the device's own `device_variation`)."""
    variation = params.device_variation if variation is None else variation
    if not variation.active:
        return SwitchCell()
    return variation.draw(params, np.random.default_rng(seed))


def dc_sweep(params, cycles: int = 1, step_V: float = 0.01, dwell_s: float = 100e-6,
             seed: int | None = None, variation: DeviceVariation | None = None) -> ProtocolResult:
    """Quasi-static I-V sweep 0 -> +Vmax -> 0 -> -Vmin -> 0 in ``step_V`` steps, ``cycles`` times.

    The extremes are the device's ``dc_sweep_V`` (HT-RRAM: +4.2 V / -1.6 V, paper 001, Fig. 5;
    HfOxSy: +-1.05 V). Run as a transient through a PWL staircase of corners ``dwell_s`` apart,
    sampled at the corners (breakpoints ngspice hits).
    """
    cycles = _check_cycles(cycles)
    vmax, vmin = params.dc_sweep_V
    legs = [np.arange(0, vmax, step_V), np.arange(vmax, 0, -step_V), np.arange(0, vmin, -step_V), np.arange(vmin, 0, step_V)]
    one = np.round(np.concatenate(legs), 6)
    volts = np.concatenate([np.tile(one, cycles), [0.0]])
    times = dwell_s * np.arange(volts.size)
    stim = pwl_text(times, volts)
    net = testbench(params, _device_cell(params, seed, variation), stim)
    res = simulator.run(net, f".tran {dwell_s:.6g} {times[-1]:.9g} 0 {dwell_s:.6g}", save=["i(vte)"])
    current = np.interp(times, res.time, -res["i(vte)"])
    trace = pd.DataFrame({
        "cycle": np.minimum(np.arange(volts.size) // one.size, cycles - 1) + 1,
        "time_s": times,
        "voltage_V": volts,
        "current_nA": current * 1e9,
    })
    v_all, i_all = trace.voltage_V.to_numpy(), trace.current_nA.to_numpy()
    set_from = float(np.min(params.set_threshold_V)) - 0.1
    rising = np.concatenate([[False], np.diff(v_all) > 0]) & (v_all >= set_from)
    summary = {
        "max_step_ratio": float(max_step_ratio(v_all, i_all)),
        "set_region_from_V": set_from,
        "set_region_max_step_ratio": float(max_step_ratio(v_all, i_all, mask=rising)),
    }
    pos = trace[trace.voltage_V > 0]
    summary["max_current_nA"] = float(pos.current_nA.max())
    summary["min_current_nA_on_negative_side"] = float(trace[trace.voltage_V < 0].current_nA.max())
    return ProtocolResult(params.name, "dc", trace, trace, summary)


def max_step_ratio(volts: np.ndarray, current: np.ndarray, floor_V: float = 0.1, mask: np.ndarray | None = None) -> float:
    """Largest factor by which |I| grows over one sweep step, away from 0 V (|V| >= ``floor_V``, where an
    ohmic current's own growth per 10 mV step is 10 % at most), over the steps ending where ``mask`` holds."""
    a = np.abs(current)
    ok = (np.abs(volts[:-1]) >= floor_V - 1e-9) & (np.abs(volts[1:]) >= floor_V - 1e-9) & (a[:-1] > 0)
    if mask is not None:
        ok &= np.asarray(mask, dtype=bool)[1:]
    ratio = a[1:][ok] / a[:-1][ok]
    return float(ratio.max()) if ratio.size else float("nan")


READ_SETTLE_S = 10e-6
"""A read's first 10 us are left out of its mean (ISPP and state reads): the 0.1 fF capacitors charge from the edge
(through up to a GOhm, a time constant of 0.1 us), which still shows at the plateau's first point."""


def ispp(params, cycles: int = 3, set_V=(3.0, 4.2, 0.025), reset_V=(-1.0, -1.6, -0.05),
         width_s: float = 2e-3, read_width_s: float = 100e-6, seed: int | None = None,
         variation: DeviceVariation | None = None, c2c_ron_sigma_rel: float = 0.0) -> ProtocolResult:
    """Incremental step pulse programming of paper 001, Fig. 5b, with a 1 V read after every pulse.

    ``c2c_ron_sigma_rel`` > 0 adds cycle-to-cycle noise (paper 001: "Gaussian random values were added
    ... to allow conductance to fluctuate"): every cycle draws a fresh log-normal factor per switch on
    its ON resistance (sigma of ln RON), on top of the device's own variation, so the cycles differ as
    in Fig. 4a; each cycle is then its own transient from the reset state.
    """
    _check_supported(params, "ispp")
    cycles = _check_cycles(cycles)
    if not (isinstance(c2c_ron_sigma_rel, (int, float)) and 0 <= c2c_ron_sigma_rel <= 2):
        raise ParameterError(f"c2c_ron_sigma_rel={c2c_ron_sigma_rel!r} must be within 0..2")
    sets = np.round(np.arange(set_V[0], set_V[1] + 1e-9, set_V[2]), 6)
    resets = np.round(np.arange(reset_V[0], reset_V[1] - 1e-9, reset_V[2]), 6)

    def cycle_wave(n_cycles):
        wave = Waveform()
        rows = []
        for cyc in range(1, n_cycles + 1):
            for phase, amps in (("set", sets), ("reset", resets)):
                for n, amp in enumerate(amps, 1):
                    wave.rect(amp, width_s, phase, gap_s=10e-6)
                    wave.rect(params.read_V, read_width_s, "read", gap_s=10e-6)
                    rows.append((cyc, phase, n, amp))
        return wave, rows

    device = _device_cell(params, seed, variation)
    if c2c_ron_sigma_rel == 0:
        wave, rows = cycle_wave(cycles)
        t, i, _ = _run(params, device, wave)
        current = sample_windows(t, i, wave.windows("read"), READ_SETTLE_S)
    else:
        wave, rows = cycle_wave(1)
        rows = [(cyc, *r[1:]) for cyc in range(1, cycles + 1) for r in rows]
        base = np.ones(params.n_switches) if device.ron_factor is None else np.asarray(device.ron_factor)
        parts, traces = [], []
        for cyc in range(cycles):
            rng = np.random.default_rng([0 if seed is None else seed, 7, cyc])
            cell = replace(device, ron_factor=tuple(base * np.exp(rng.normal(0.0, c2c_ron_sigma_rel, params.n_switches))))
            t, i, _ = _run(params, cell, wave)
            parts.append(sample_windows(t, i, wave.windows("read"), READ_SETTLE_S))
            traces.append((t + cyc * wave.end_s, i))
        current = np.concatenate(parts)
        t, i = np.concatenate([a for a, _ in traces]), np.concatenate([b for _, b in traces])
    reads = pd.DataFrame(rows, columns=["cycle", "phase", "pulse", "amplitude_V"])
    reads["read_current_nA"] = current * 1e9
    reads.insert(0, "pulse_number", np.arange(1, len(reads) + 1))
    per = reads.groupby("cycle").read_current_nA
    summary = {
        "read_current_nA": reads.read_current_nA.round(4).tolist(),
        "cycle_max_nA": per.max().round(4).tolist(),
        "cycle_min_nA": per.min().round(4).tolist(),
        "n_set_pulses": int(sets.size),
        "n_reset_pulses": int(resets.size),
        "pulse_width_s": width_s,
        "largest_depression_drop_fraction": _largest_drop_fraction(reads),
        "c2c_ron_sigma_rel": c2c_ron_sigma_rel,
    }
    trace = pd.DataFrame({"time_s": t, "current_nA": i * 1e9})
    return ProtocolResult(params.name, "ispp", reads, trace, summary)


def _largest_drop_fraction(reads: pd.DataFrame) -> float:
    """The largest fall of the read current over one reset pulse, as a share of the cycle's range (the
    smallest over the cycles): near 1 for an abrupt depression, 1 / n_reset_pulses for a linear one."""
    out = []
    for _cyc, grp in reads.groupby("cycle"):
        cur = grp.read_current_nA.to_numpy()
        reset = grp.phase.to_numpy() == "reset"
        first = int(np.argmax(reset))
        drops = -np.diff(cur[first - 1:][: int(reset.sum()) + 1])
        out.append(float(drops.max() / (cur.max() - cur.min())))
    return min(out)


def state_stability(params, cycles: int = 1, n_reads: int = 1000, n_half_select: int = 100,
                    width_s: float = 2e-3, seed: int | None = None,
                    variation: DeviceVariation | None = None) -> ProtocolResult:
    """Program each of the 8 states from reset, then apply ``n_reads`` 1 V reads and ``n_half_select``
    V/2 pulses at the largest programming amplitude (4.2 V), reading before and after each."""
    _check_supported(params, "states")
    cycles = _check_cycles(cycles)
    wave = Waveform()
    rows = []
    half = 4.2 / 2
    for cyc in range(1, cycles + 1):
        for level in range(1, len(params.g_levels_nS) + 1):
            wave.rect(params.reset_V, width_s, "reset", gap_s=10e-6)
            wave.rect(params.set_amplitude_V(level), width_s, "set", gap_s=10e-6)
            wave.rect(params.read_V, 100e-6, "check", gap_s=10e-6)
            rows.append((cyc, level, "after_write"))
            for _ in range(n_reads):
                wave.rect(params.read_V, 20e-6, "disturb_read", gap_s=5e-6)
            wave.rect(params.read_V, 100e-6, "check", gap_s=10e-6)
            rows.append((cyc, level, "after_reads"))
            for _ in range(n_half_select):
                wave.rect(half, width_s, "half_select", gap_s=10e-6)
            wave.rect(params.read_V, 100e-6, "check", gap_s=10e-6)
            rows.append((cyc, level, "after_half_select"))
    t, i, _ = _run(params, _device_cell(params, seed, variation), wave)
    reads = pd.DataFrame(rows, columns=["cycle", "level", "stage"])
    reads["target_nS"] = [params.g_levels_nS[lv - 1] for lv in reads.level]
    reads["conductance_nS"] = sample_windows(t, i, wave.windows("check"), READ_SETTLE_S) / params.read_V * 1e9
    disturb = sample_windows(t, i, wave.windows("disturb_read"), READ_SETTLE_S) / params.read_V * 1e9
    wide = reads.pivot_table(index=["cycle", "level"], columns="stage", values="conductance_nS").reset_index()
    summary = {
        "target_nS": list(params.g_levels_nS),
        "after_write_nS": wide.after_write.round(4).tolist(),
        "after_reads_nS": wide.after_reads.round(4).tolist(),
        "after_half_select_nS": wide.after_half_select.round(4).tolist(),
        "max_write_error_nS": float((wide.after_write - np.tile(params.g_levels_nS, cycles)).abs().max()),
        "max_read_disturb_nS": float((wide.after_reads - wide.after_write).abs().max()),
        "max_half_select_disturb_nS": float((wide.after_half_select - wide.after_write).abs().max()),
        "n_reads": n_reads,
        "n_half_select": n_half_select,
        "half_select_V": half,
        "disturb_read_spread_nS": float(np.ptp(disturb.reshape(cycles * len(params.g_levels_nS), n_reads), axis=1).max()) if n_reads else 0.0,
    }
    trace = pd.DataFrame({"time_s": t, "current_nA": i * 1e9})
    return ProtocolResult(params.name, "states", reads, trace, summary)


def pulse_trains(params, cycles: int = 100, seed: int | None = 0, noise: bool = True,
                 variation: DeviceVariation | None = None) -> ProtocolResult:
    """Tailored potentiation/depression trains of paper 000 (Fig. 2c, d), a -0.1 V read after each pulse.

    Every programming pulse draws a fresh cycle-to-cycle deviation of the state it leaves (sigma 23.7 uS,
    or that state's `sigma_c2c_per_state_uS`), applied in the transient by a B-source on a PWL control voltage.
    """
    _check_supported(params, "pulse-train")
    cycles = _check_cycles(cycles)
    rng = np.random.default_rng(seed)
    cell = _device_cell(params, seed, variation)
    wave = Waveform(edge_s=10e-9)
    nz_t, nz_v = [0.0], [0.0]
    rows = []
    n = params.n_switches
    amps, widths = params.amplitudes_V, params.widths_s
    curve = params.read_curve_S()
    closed = np.tile(np.concatenate([np.arange(1, n + 1), np.arange(n - 1, -1, -1)]), cycles)  # the state each pulse leaves
    deviations = params.draw_c2c_S(rng, size=closed.size, closed=closed) if noise else np.zeros(closed.size)
    d = 0
    for cyc in range(1, cycles + 1):
        for phase, sign in (("potentiation", 1.0), ("depression", -1.0)):
            for j in range(n):
                wave.rect(sign * amps[j], widths[j], "program", gap_s=params.read_gap_s)
                k = j + 1 if sign > 0 else n - j - 1
                g_read = curve[k] + deviations[d]
                d += 1
                delta_area = params.switch_conductance_for_read_S(g_read) - params.switch_conductance_for_read_S(curve[k])
                t_switch = wave.end_s - params.read_gap_s / 2
                nz_t += [t_switch, t_switch + 1e-9]
                nz_v += [nz_v[-1], delta_area]
                wave.rect(params.read_V, params.read_width_s, "read", gap_s=params.read_gap_s)
                rows.append((cyc, phase, j + 1, sign * amps[j], widths[j] * 1e9))
    extra = [f"Vnz nz 0 {pwl_text(nz_t, nz_v)}", *params.noise_lines("d", "nz")]
    t, i, res = _run(params, cell, wave, extra=extra, save_voltage=True)
    reads = pd.DataFrame(rows, columns=["cycle", "phase", "pulse", "amplitude_V", "width_ns"])
    reads["conductance_uS"] = sample_windows(t, i, wave.windows("read")) / params.read_V * 1e6
    reads.insert(0, "pulse_number", np.arange(1, len(reads) + 1))
    summary = analyse_pulse_trains(params, reads)
    power = res["v(te)"] * i
    prog = np.zeros_like(t, dtype=bool)
    for a, b, _v in wave.windows("program"):
        prog |= (t >= a - wave.edge_s) & (t <= b + wave.edge_s)
    energy = trapezoid(np.where(prog, power, 0.0), t)
    summary["energy_per_cycle_nJ"] = float(energy / cycles * 1e9)
    summary["paper_000_energy_per_cycle_nJ"] = [23.74, 1.26]
    trace = pd.DataFrame({"time_s": t, "voltage_V": res["v(te)"], "current_uA": i * 1e6})
    return ProtocolResult(params.name, "pulse-train", reads, trace, summary)


def analyse_pulse_trains(params, reads: pd.DataFrame) -> dict:
    """Steps, linear fits, cycle-to-cycle sigma and bins of the linear region (paper 000, Fig. 2e, f)."""
    from scipy.stats import linregress

    n = params.n_switches
    counts = params.linear_state_counts
    pot_pulses = counts
    dep_pulses = n - counts[::-1]
    out = {}
    stds = []
    for phase, pulses, key in (("potentiation", pot_pulses, "potentiation"), ("depression", dep_pulses, "depression")):
        sel = reads[(reads.phase == phase) & reads.pulse.isin(pulses)]
        stats = sel.groupby("pulse").conductance_uS.agg(["mean", "std"])
        fit = linregress(stats.index.to_numpy(dtype=float), stats["mean"].to_numpy())
        out[f"step_{key}_uS"] = float(abs(fit.slope))
        out[f"r2_{key}"] = float(fit.rvalue ** 2)
        out[f"states_{key}_uS"] = stats["mean"].round(3).tolist()
        stds.extend(stats["std"].tolist())
    sigma = float(np.mean(stds))
    step = 0.5 * (out["step_potentiation_uS"] + out["step_depression_uS"])
    states = np.array(out["states_potentiation_uS"])
    diffs = np.round((states[:, None] - states[None, :]) / step).astype(int)
    out.update({
        "sigma_uS": sigma,
        "n_states": int(len(counts)),
        "n_bins": int(np.unique(diffs).size),
        "bin_width_uS": float(step),
        "bin_width_over_sigma": float(step / sigma),
        "n_cycles": int(reads.cycle.max()),
    })
    return out


def run_protocol(device, protocol: str, cycles: int | None = None, seed: int = 0,
                 variation: DeviceVariation | None = None, c2c_ron_sigma_rel: float = 0.0) -> ProtocolResult:
    """Run ``protocol`` (one of the device's ``protocols``) on ``device`` (a name or a parameter object).

    ``c2c_ron_sigma_rel`` is the ISPP's cycle-to-cycle noise (`ispp`); other protocols refuse it.
    """
    from compact_models.devices import device_params

    params = device_params(device) if isinstance(device, str) else device
    check_arguments(params, protocol, cycles, seed)
    run = {"dc": dc_sweep, "ispp": ispp, "states": state_stability, "pulse-train": pulse_trains}[protocol]
    kw = {}
    if c2c_ron_sigma_rel:
        if protocol != "ispp":
            raise ParameterError(f"cycle-to-cycle RON noise applies to the ispp protocol, not {protocol}: leave it at 0")
        kw["c2c_ron_sigma_rel"] = c2c_ron_sigma_rel
    return run(params, cycles=DEFAULT_CYCLES[protocol] if cycles is None else cycles, seed=seed, variation=variation, **kw)


def check_arguments(params, protocol: str, cycles: int | None, seed) -> None:
    """Refuse an unknown or inapplicable protocol, a cycle count below 1 and a seed that is not a whole number >= 0."""
    if protocol not in PROTOCOLS:
        raise ParameterError(f"protocol {protocol!r} is unknown; choose one of {', '.join(PROTOCOLS)}")
    _check_supported(params, protocol)
    if cycles is not None:
        _check_cycles(cycles)
    check_seed(seed)


def check_seed(seed) -> None:
    """A seed is None or a whole number >= 0 (numpy's rule), named in the error."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ParameterError(f"--seed {seed!r} must be a whole number of at least 0")


def _check_supported(params, protocol: str) -> None:
    if protocol not in params.protocols:
        raise ParameterError(f"protocol {protocol!r} does not apply to {params.name} (it is written by "
                             f"{'pulse trains' if params.write_scheme == 'trains' else 'amplitude steps'}); "
                             f"choose one of {', '.join(params.protocols)}")
