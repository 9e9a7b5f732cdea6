"""Weight transfer into a simulated array: the half-bias (V/2, ISPVA) and fast (triangular) schemes.

Both schemes run as ngspice transients on the whole array, so half-select disturbs and line
resistance act as they would. ngspice resets every switch to its instance flag at the start of an
analysis, so the states are carried between analyses here: the cell voltages of the write
transient are replayed through the switch hysteresis (`switch_states_after`) and become the
instance flags of the next netlist. After every write the programming error (paper 001: Gaussian,
sigma 1.06 nS, truncated at 4 nS) is drawn for the written cell and realised as that cell's
switch-conductance scale. The result is then verified by a read-out (`read_conductance_S`).

* **fast** (Fig. 7b): per wordline and per state present on it, one triangular pulse (2 ms) of
  the state's set amplitude on the selected wordline, V/2 on the others, bitlines at GND (write)
  or VIH = V/2 (inhibit); all cells of one wordline with the same state are written together.
  A verify read-out follows, and cells outside the tolerance are reset and rewritten the same way
  (``max_passes``; 1 is the paper's open-loop transfer).
* **half-bias** (Fig. 7a): per cell, +V/2 on its wordline and -V/2 on its bitline (others at
  0 V), rectangular pulses (2 ms), a 1 V read after every pulse; cells outside the tolerance are
  reset and set again with the amplitude corrected by the measured error (ISPVA), at most
  ``max_passes`` times.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.netlist import CrossbarParams, device_array_netlist, live_switch_map, reset_cells
from arrays.readout import read_conductance_S
from compact_models import simulator
from compact_models.base import DeviceVariation, SwitchCell, live_switches, switch_states_after
from compact_models.errors import ParameterError
from compact_models.ht_rram import ProgrammingError, scale_for_read
from compact_models.waveforms import Waveform

logger = logging.getLogger(__name__)

SCHEMES = ("fast", "half-bias")


@dataclass(frozen=True, kw_only=True)
class TransferConfig:
    """How a transfer runs."""

    scheme: str = "fast"
    """``fast`` (triangular pulses, paper 001 Fig. 7b) or ``half-bias`` (V/2 ISPVA, Fig. 7a)."""
    pulse_width_s: float = 2e-3
    """Width of the programming pulses, s (paper 001: 2 ms in the array model)."""
    read_width_s: float = 100e-6
    """Width of the 1 V reads after each half-bias pulse, s."""
    tolerance_nS: float | None = None
    """Verify tolerance, nS; None takes the device's (HT-RRAM: 2 nS as in paper 001; HfOxSy: half a step)."""
    max_passes: int | None = None
    """Write passes at most: the first write and up to max_passes - 1 verify-and-rewrite passes;
    None takes the device's (HT-RRAM 3, HfOxSy 10: its trains need more to make up for IR drop)."""
    reset_V: float = -1.6
    """Reset pulse amplitude, V (paper 001: -1.6 V)."""
    ispva_gain: float = 0.5
    """Fraction of the measured error corrected by the next amplitude (half-bias ISPVA)."""
    freeze_switches: bool = True
    """Simulate only the switches a write can reach (`run_phase`); False keeps every switch, the slow
    reference the frozen runs are tested against."""

    def __post_init__(self):
        if self.scheme not in SCHEMES:
            raise ParameterError(f"scheme {self.scheme!r} is unknown; choose one of {', '.join(SCHEMES)}")
        if self.max_passes is not None and not 1 <= self.max_passes <= 20:
            raise ParameterError(f"max_passes={self.max_passes!r} must be within 1..20")
        if self.tolerance_nS is not None and not self.tolerance_nS > 0:
            raise ParameterError(f"tolerance_nS={self.tolerance_nS!r} must be > 0 nS")
        if not 1e-6 <= self.pulse_width_s <= 1.0:
            raise ParameterError(f"pulse_width_s={self.pulse_width_s!r} must be within 1 us..1 s")


@dataclass
class ArrayState:
    """The programmable state of every cell of a simulated array."""

    device: object
    xbar: CrossbarParams
    cells: list

    @classmethod
    def fresh(cls, device, xbar: CrossbarParams, variation: DeviceVariation | None = None, seed: int = 0) -> "ArrayState":
        """All cells reset, with device-to-device variation drawn per cell when given."""
        cells = reset_cells(xbar)
        if variation is not None and variation.active:
            rng = np.random.default_rng([seed, 1])
            cells = [[variation.draw(device, rng) for _ in range(xbar.cols)] for _ in range(xbar.rows)]
        return cls(device, xbar, cells)

    def nominal_conductance_S(self) -> np.ndarray:
        """Read conductance of every cell from the device equations (no wires), S."""
        return np.array([[self.device.read_conductance_of(c) for c in row] for row in self.cells])


@dataclass
class Phase:
    """One write transient: the source waveforms and which cells each pulse selected."""

    name: str
    wl: list
    bl: list
    pulse_width_s: float
    writes: list = field(default_factory=list)
    n_pulses: int = 0

    @property
    def end_s(self) -> float:
        return max(w.end_s for w in self.wl + self.bl)

    def pad(self):
        end = self.end_s
        for w in self.wl + self.bl:
            if w.end_s < end:
                w.wait(end - w.end_s)


@dataclass
class TransferResult:
    """What a transfer produced."""

    cells: pd.DataFrame
    summary: dict
    state: ArrayState
    phases: list
    netlists: dict


def _new_phase(name: str, xbar: CrossbarParams, pulse_width_s: float, edge_s: float | None = None) -> Phase:
    kw = {} if edge_s is None else {"edge_s": edge_s}
    return Phase(name, [Waveform(**kw) for _ in range(xbar.rows)], [Waveform(**kw) for _ in range(xbar.cols)],
                 pulse_width_s)


def _add_fast_pulse(phase: Phase, row: int, amplitude: float, selected_cols, width: float):
    """A triangular pulse on wordline ``row``; V/2 elsewhere; selected bitlines at GND."""
    # Back to back: each triangle ends at 0 V where the next begins; a gap would add a breakpoint
    # (and a few time points) per pulse without changing what any cell sees.
    half = amplitude / 2
    for i, w in enumerate(phase.wl):
        w.triangle(amplitude if i == row else half, width, gap_s=0.0)
    for j, w in enumerate(phase.bl):
        w.triangle(0.0 if j in selected_cols else half, width, gap_s=0.0)
    phase.n_pulses += 1


def fast_phase(state: ArrayState, targets: np.ndarray, to_write: np.ndarray, cfg: TransferConfig, name: str) -> Phase:
    """Triangular pulses: reset the cells to rewrite (wordline by wordline), then one pulse per state."""
    dev = state.device
    phase = _new_phase(name, state.xbar, cfg.pulse_width_s)
    for i in range(state.xbar.rows):
        cols = np.flatnonzero(to_write[i])
        if cols.size == 0:
            continue
        dirty = [j for j in cols if state.cells[i][j].closed]
        if dirty:
            _add_fast_pulse(phase, i, cfg.reset_V, set(dirty), cfg.pulse_width_s)
        for level in sorted(set(targets[i, cols]) - {0}):
            sel = [int(j) for j in cols if targets[i, j] == level]
            _add_fast_pulse(phase, i, dev.set_amplitude_V(int(level)), set(sel), cfg.pulse_width_s)
            phase.writes.append(((i, tuple(sel)), phase.end_s, 1))
    phase.pad()
    return phase


def half_bias_phase(state: ArrayState, targets: np.ndarray, to_write: np.ndarray, amplitudes: np.ndarray,
                    cfg: TransferConfig, name: str) -> Phase:
    """Per cell: +V/2 on its wordline, -V/2 on its bitline (reset first if needed), then a 1 V read."""
    phase = _new_phase(name, state.xbar, cfg.pulse_width_s)
    gap = cfg.pulse_width_s / 20
    read_V = state.device.read_V

    def pulse_and_read(i, j, amplitude, label):
        for r, w in enumerate(phase.wl):
            w.rect_then(amplitude / 2 if r == i else 0.0, cfg.pulse_width_s, read_V if r == i else 0.0,
                        cfg.read_width_s, label, gap_s=gap)
        for c, w in enumerate(phase.bl):
            w.rect_then(-amplitude / 2 if c == j else 0.0, cfg.pulse_width_s, 0.0, cfg.read_width_s, label, gap_s=gap)
        phase.n_pulses += 1

    for i, j in zip(*np.nonzero(to_write)):
        if state.cells[i][j].closed:
            pulse_and_read(i, j, cfg.reset_V, "reset")
        if targets[i, j] > 0:
            pulse_and_read(i, j, amplitudes[i, j], "set")
            phase.writes.append(((int(i), (int(j),)), phase.wl[0].end_s, 1))
    phase.pad()
    return phase


TRAIN_EDGE_S = 10e-9
"""Rise and fall of the pulses of a tailored train, s."""
TRAIN_GAP_S = 100e-9
"""Gap between the pulses of a train in the fast scheme, s."""
TRAIN_PHASE_STEP_S = 1e-6
"""`Phase.pulse_width_s` of a train phase: sets the transient's maximum step (corners are breakpoints)."""


def train_fast_phase(state: ArrayState, lengths: np.ndarray, starts: np.ndarray, to_write: np.ndarray,
                     name: str) -> Phase:
    """Tailored trains (HfOxSy), wordline by wordline: pulse p of the train on the selected wordline,
    bitlines at GND for the cells that take pulse p (``starts`` <= p < ``lengths``) and at V/2 for the
    rest, other wordlines at V/2. A cell starting from 0 that holds a state is first reset by one
    full depression pulse; a cell starting further on continues its train (see `transfer_states`)."""
    dev = state.device
    phase = _new_phase(name, state.xbar, TRAIN_PHASE_STEP_S, TRAIN_EDGE_S)

    def pulse(row, amplitude, width, selected):
        for i, w in enumerate(phase.wl):
            w.rect(amplitude if i == row else amplitude / 2, width, gap_s=TRAIN_GAP_S)
        for j, w in enumerate(phase.bl):
            w.rect(0.0 if j in selected else amplitude / 2, width, gap_s=TRAIN_GAP_S)
        phase.n_pulses += 1

    for i in range(state.xbar.rows):
        cols = [int(j) for j in np.flatnonzero(to_write[i])]
        if not cols:
            continue
        dirty = {j for j in cols if starts[i, j] == 0 and state.cells[i][j].closed}
        if dirty:
            pulse(i, dev.reset_amplitude_V, dev.widths_s[-1], dirty)
        span = {j: (int(starts[i, j]), int(lengths[i, j])) for j in cols if lengths[i, j] > starts[i, j]}
        for p in range(max((b for _, b in span.values()), default=0)):
            selected = {j for j, (a, b) in span.items() if a <= p < b}
            if selected:  # pulses no cell takes are left out
                pulse(i, *dev.train_pulse(p), selected)
        for j, (a, b) in span.items():
            phase.writes.append(((i, (j,)), phase.end_s, b - a))
    phase.pad()
    return phase


def train_half_bias_phase(state: ArrayState, lengths: np.ndarray, starts: np.ndarray, to_write: np.ndarray,
                          name: str) -> Phase:
    """Tailored trains (HfOxSy), cell by cell: +V/2 on its wordline and -V/2 on its bitline for every
    pulse from ``starts`` to ``lengths``, others at 0 V, each pulse followed by a -0.1 V read
    (paper 000: 30 us); a cell starting from 0 that holds a state is reset first."""
    dev = state.device
    phase = _new_phase(name, state.xbar, TRAIN_PHASE_STEP_S, TRAIN_EDGE_S)

    def pulse_and_read(i, j, amplitude, width, label):
        for r, w in enumerate(phase.wl):
            w.rect_then(amplitude / 2 if r == i else 0.0, width, dev.read_V if r == i else 0.0, dev.read_width_s,
                        label, gap_s=TRAIN_GAP_S)
        for c, w in enumerate(phase.bl):
            w.rect_then(-amplitude / 2 if c == j else 0.0, width, 0.0, dev.read_width_s, label, gap_s=TRAIN_GAP_S)
        phase.n_pulses += 1

    for i, j in zip(*np.nonzero(to_write)):
        i, j = int(i), int(j)
        a, b = int(starts[i, j]), int(lengths[i, j])
        if a == 0 and state.cells[i][j].closed:
            pulse_and_read(i, j, dev.reset_amplitude_V, dev.widths_s[-1], "reset")
        for p in range(a, b):
            pulse_and_read(i, j, *dev.train_pulse(p), "set")
        if b > a:
            phase.writes.append(((i, (j,)), phase.wl[0].end_s, b - a))
    phase.pad()
    return phase


def next_trains(lengths: np.ndarray, err_steps: np.ndarray, to_write: np.ndarray, max_pulses: int) -> tuple:
    """Train lengths and starting pulses of the next verify pass, from each cell's error in state steps.

    Short by n steps: continue the train for n more pulses (switches only close going up). On the
    step but outside the tolerance (cycle-to-cycle noise): repeat the last pulse, a fresh draw.
    Over by n steps: reset and write a train n pulses shorter.
    """
    new = np.where(to_write, np.clip(lengths - err_steps, 1, max_pulses), lengths)
    starts = np.where(err_steps < 0, lengths, np.where(err_steps == 0, lengths - 1, 0))
    starts = np.where(to_write, np.clip(np.minimum(starts, new - 1), 0, None), 0)
    return new, starts


def run_phase(state: ArrayState, phase: Phase, backend: str = "auto", freeze: bool = True, jobs: int = 1) -> str:
    """Simulate one write transient and carry every cell's switch states out of it.

    Only the switches a cell's nominal voltage (its wordline minus its bitline source, widened by
    `arrays.netlist.REACH_MARGIN_V`) can move are ``SW`` elements; the others are frozen into one
    resistor per cell, which is exactly what they are while they keep their state, and costs ngspice
    far less per iteration. The simulated voltages then check that no frozen switch was reached; a cell
    where one was is simulated again with every switch live. ``freeze=False`` keeps every switch.

    With ``jobs`` > 1 (and a backend other than ``shared``) the transient is cut into that many parts
    at instants where every source is at 0 V (`split_phase`), and the parts run at once, each in its
    own ngspice process (`run_parts`).
    Returns the netlist of the whole phase.
    """
    split = jobs > 1 and backend != "shared" and "subprocess" in simulator.available_backends()
    parts = split_phase(phase, jobs) if split else [phase]
    if len(parts) == 1:
        v, net = _simulate_phase(state, state.cells, phase, backend, freeze)
        state.cells = _states_after(state.device, state.cells, v)
        return net
    start = state.cells
    state.cells = run_parts(state, parts, freeze)
    lo, hi = phase_reach_V(phase)
    live = live_switch_map(state.device, start, lo, hi) if freeze else None
    return device_array_netlist(state.device, state.xbar, start, [w.pwl() for w in phase.wl],
                                [w.pwl() for w in phase.bl], title=phase.name, live=live)


def _simulate_phase(state: ArrayState, cells: list, phase: Phase, backend: str, freeze: bool) -> tuple:
    """One write transient from ``cells``: ({(i, j): stack voltage samples}, netlist)."""
    xbar = state.xbar
    if freeze:
        lo, hi = phase_reach_V(phase)
        live = live_switch_map(state.device, cells, lo, hi)
    else:
        live = [[None] * xbar.cols for _ in range(xbar.rows)]
    save = [f"v(w{i}_{j})" for i in range(xbar.rows) for j in range(xbar.cols)]
    save += [f"v(b{i}_{j})" for i in range(xbar.rows) for j in range(xbar.cols)]
    step = phase_max_step(phase)
    while True:
        net = device_array_netlist(state.device, xbar, cells, [w.pwl() for w in phase.wl],
                                   [w.pwl() for w in phase.bl], title=phase.name, live=live)
        res = simulator.run(net, f".tran {step:.6g} {phase.end_s:.9g} 0 {step:.6g}", save=save, backend=backend)
        v = {(i, j): res[f"v(w{i}_{j})"] - res[f"v(b{i}_{j})"] for i in range(xbar.rows) for j in range(xbar.cols)}
        missed = [(i, j) for (i, j), vc in v.items() if live[i][j] is not None
                  and not set(live_switches(state.device, cells[i][j], vc.min(), vc.max())) <= set(live[i][j])]
        if not missed:
            return v, net
        logger.warning("%s: %d cells reached a frozen switch; simulating them again with every switch live",
                       phase.name, len(missed))
        for i, j in missed:
            live[i][j] = None


def _states_after(device, cells: list, v: dict) -> list:
    """The cells after their stack voltages ran through ``v``; a cell whose switches moved loses its write scale."""
    out = [list(row) for row in cells]
    for (i, j), vc in v.items():
        cell = cells[i][j]
        closed = switch_states_after(device, cell, vc)
        if closed != cell.closed:
            out[i][j] = replace(cell, closed=closed, g_scale=1.0)
    return out


def split_phase(phase: Phase, parts: int) -> list:
    """Cut ``phase`` into at most ``parts`` transients of about equal length, at corners where every
    source is at 0 V.

    There the array is at rest: the stacks' 0.1 fF capacitors settle through their resistances within
    tens of ns, against ms pulses. So a part simulated from rest with the switch states the earlier
    parts leave is the same transient as the whole phase over that span.
    """
    t, wl, bl = _source_corners_V(phase)
    at_rest = np.all(wl == 0.0, axis=0) & np.all(bl == 0.0, axis=0)
    cuts = t[at_rest & (t > 0) & (t < phase.end_s)]
    if cuts.size == 0 or parts < 2:
        return [phase]
    chosen = sorted({float(cuts[np.argmin(np.abs(cuts - k * phase.end_s / parts))]) for k in range(1, parts)})
    bounds = [0.0, *chosen, phase.end_s]
    return [Phase(f"{phase.name}.{k}", [w.between(a, b) for w in phase.wl], [w.between(a, b) for w in phase.bl],
                  phase.pulse_width_s)
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def run_parts(state: ArrayState, parts: list, freeze: bool = True) -> list:
    """Simulate consecutive parts of a write transient at once and return the cells after the last.

    A part must start from the switch states the previous parts leave. They are predicted from the
    sources alone (each cell's wordline minus bitline voltage replayed through its hysteresis), and
    each part runs from its prediction in its own ngspice process. Then, in order, a part whose
    prediction differs from the states actually reached is simulated again from those: the outcome
    is always that of the parts run one after the other.
    """
    from concurrent.futures import ThreadPoolExecutor

    dev = state.device
    starts = [state.cells]
    for part in parts[:-1]:
        starts.append(_states_after(dev, starts[-1], nominal_stack_V(part)))
    # Threads only wait on the ngspice processes; the shared library is never entered from two threads.
    with ThreadPoolExecutor(len(parts)) as pool:
        runs = list(pool.map(lambda k: _simulate_phase(state, starts[k], parts[k], "subprocess", freeze)[0],
                             range(len(parts))))
    cells = state.cells
    for k, part in enumerate(parts):
        v = runs[k]
        if cells != starts[k]:
            logger.info("%s: the switch states it starts from were not the predicted ones; simulating it again",
                        part.name)
            v = _simulate_phase(state, cells, part, "subprocess", freeze)[0]
        cells = _states_after(dev, cells, v)
    return cells


def _source_corners_V(phase: Phase) -> tuple:
    """(times, wordline and bitline source voltages there) at the union of all corners of the phase, s, V."""
    t = np.unique(np.concatenate([w.times for w in phase.wl + phase.bl]))
    return (t, np.array([np.interp(t, w.times, w.values) for w in phase.wl]),
            np.array([np.interp(t, w.times, w.values) for w in phase.bl]))


def nominal_stack_V(phase: Phase) -> dict:
    """Each cell's wordline source minus its bitline source at every corner of the phase, V."""
    _t, wl, bl = _source_corners_V(phase)
    return {(i, j): wl[i] - bl[j] for i in range(len(wl)) for j in range(len(bl))}


def phase_reach_V(phase: Phase) -> tuple:
    """(lowest, highest) voltage of each cell's wordline source minus its bitline source, V (rows x cols).

    The sources are piecewise linear, so the extremes of a difference lie on the union of their corners.
    """
    _t, wl, bl = _source_corners_V(phase)
    lo = np.empty((len(wl), len(bl)))
    hi = np.empty_like(lo)
    for i, row in enumerate(wl):
        d = row[None, :] - bl
        lo[i], hi[i] = d.min(axis=1), d.max(axis=1)
    return lo, hi


def phase_max_step(phase: Phase) -> float:
    """The transient's maximum step: a quarter pulse (breakpoints pin every corner of the PWL)."""
    return phase.pulse_width_s / 4


CEILING_MARGIN_S = 0.02e-9


def apply_programming_error(state: ArrayState, cells, error: ProgrammingError, rng: np.random.Generator) -> int:
    """Draw the write error of each written cell and realise it as the cell's switch scale.

    A cell cannot read above the device's ceiling (HT-RRAM: 81.0 nS, Ri at 1 V), 1 nS over G8, nor
    below its reset state (HfOxSy: a cell short of switches with a large negative draw); a draw
    beyond is capped just inside. Returns how many draws were capped.
    """
    dev = state.device
    ceiling = getattr(dev, "max_read_conductance_S", np.inf) - CEILING_MARGIN_S
    capped = 0
    cells = list(cells)
    draws = np.atleast_1d(error.draw_nS(rng, size=len(cells))) * 1e-9  # the same stream as one draw per cell
    for (i, j), draw in zip(cells, draws):
        cell = replace(state.cells[i][j], g_scale=1.0)
        if not cell.closed:
            state.cells[i][j] = cell
            continue
        nominal = dev.read_conductance_of(cell)
        drawn = nominal + draw
        # Closed switches cannot read below the reset state: a draw beyond keeps 5 % of their share.
        floor = dev.hrs_conductance_S + 0.05 * (nominal - dev.hrs_conductance_S)
        if drawn > ceiling or drawn < floor:
            drawn = min(max(drawn, floor), ceiling)
            capped += 1
        state.cells[i][j] = replace(cell, g_scale=scale_for_read(dev, cell, drawn))
    return capped


def ideal_cells(device, targets: np.ndarray) -> list:
    """Cells in their target states (code 0: reset), without write error."""
    return [[SwitchCell(closed=device.closed_for_level(int(k))) if k > 0 else SwitchCell() for k in row] for row in targets]


def target_conductance_S(device, targets: np.ndarray) -> np.ndarray:
    """Target read conductance of each state code (0 = the reset HRS), S."""
    g = np.array([device.hrs_conductance_S] + [v * 1e-9 for v in device.g_levels_nS])
    return g[targets]


def transfer_states(device, targets: np.ndarray, cfg: TransferConfig = TransferConfig(), xbar: CrossbarParams | None = None,
                    error=None, variation: DeviceVariation | None = None,
                    seed: int = 0, backend: str = "auto", progress=None, state: ArrayState | None = None,
                    jobs: int | None = None) -> TransferResult:
    """Write the state map ``targets`` (0 = reset, 1..8) into a simulated array by ``cfg.scheme``.

    Cells whose target is 0 are not written. HT-RRAM is written by set-amplitude pulses, HfOxSy by
    its tailored pulse trains (`train_fast_phase`, `train_half_bias_phase`). ``error`` is the write
    error drawn per written cell (default: the device's, `write_error`). ``progress`` is called
    with a message per step. HT-RRAM's fast-scheme write transients without threshold variation run in
    parts on ``jobs`` ngspice processes (default: the number of CPUs; `run_phase`), with the same
    outcome as one process.
    """
    xbar = xbar or CrossbarParams(rows=targets.shape[0], cols=targets.shape[1])
    if targets.shape != xbar.shape:
        raise ParameterError(f"target map is {targets.shape}, the array is {xbar.shape}")
    trains = not hasattr(device, "set_amplitude_V")
    error = device.write_error() if error is None else error
    tolerance_nS = cfg.tolerance_nS or device.transfer_tolerance_nS
    state = state or ArrayState.fresh(device, xbar, variation, seed)
    g_before = state.nominal_conductance_S()
    rng = np.random.default_rng([seed, 2])
    g_target = target_conductance_S(device, targets)
    if trains:
        # HfOxSy's ~1 mS cells read up to ~20 % low through 1 ohm lines: verify against what the
        # target states read through the same lines (the read-out of the ideal array).
        g_target = read_conductance_S(device, xbar, ideal_cells(device, targets), backend)
        g_before = g_target  # unwritten cells: compared with their read in the ideal array
    written = targets > 0
    to_write = written.copy()
    pulses = np.zeros(xbar.shape, dtype=int)
    amplitudes = np.zeros(xbar.shape)
    if trains:
        # Train lengths: the state's pulse count from reset, then corrected by the verify (IR drop).
        lengths = np.where(written, np.array([0, *device.level_switch_counts])[targets], 0)
        starts = np.zeros(xbar.shape, dtype=int)
        step_nS = device.step_uS * 1e3
    else:
        for code in range(1, len(device.g_levels_nS) + 1):
            amplitudes[targets == code] = device.set_amplitude_V(code)
        gain = cfg.ispva_gain * (device.set_amplitude_V(8) - device.set_amplitude_V(1)) / (device.g_levels_nS[-1] - device.g_levels_nS[0])
    # Parts (`run_phase`) give the transient of one process only where every switch decision clears
    # ngspice's tolerance (reltol 1e-3, a few mV): HT-RRAM's fast scheme sets at amplitudes 12.5 mV
    # from nominal thresholds and resets 62 mV past them. HfOxSy's IR drop of tens of mV, threshold
    # offsets drawn per device and the half-bias scheme's corrected amplitudes can put a cell within a
    # millivolt of a threshold, where a restart of the transient may move another switch.
    split = cfg.scheme == "fast" and not trains and not (variation is not None and variation.vt_sigma_V > 0)
    parts = (jobs or os.cpu_count() or 1) if split else 1
    phases, netlists = [], {}
    sim_wall = 0.0
    g_read = None
    n_passes = 0
    n_capped = 0
    for n in range(1, (cfg.max_passes or device.transfer_max_passes) + 1):
        if not to_write.any():
            break
        n_passes = n
        name = f"pass{n}"
        if trains:
            phase = (train_fast_phase(state, lengths, starts, to_write, name) if cfg.scheme == "fast"
                     else train_half_bias_phase(state, lengths, starts, to_write, name))
        elif cfg.scheme == "fast":
            phase = fast_phase(state, targets, to_write, cfg, name)
        else:
            phase = half_bias_phase(state, targets, to_write, amplitudes, cfg, name)
        _say(progress, f"{cfg.scheme} pass {n}: {int(to_write.sum())} cells, {phase.n_pulses} pulses, "
                       f"{phase.end_s * 1e3:.3g} ms simulated")
        t0 = time.perf_counter()
        netlists[name] = run_phase(state, phase, backend, freeze=cfg.freeze_switches, jobs=parts)
        sim_wall += time.perf_counter() - t0
        pulses += _pulses_per_cell(phase, xbar)
        written_now = [(i, j) for (i, cols), *_ in phase.writes for j in cols]
        n_capped += apply_programming_error(state, written_now, error, rng)
        phases.append(phase)
        _say(progress, f"{cfg.scheme} pass {n}: verify read-out")
        t0 = time.perf_counter()
        g_read = read_conductance_S(device, xbar, state.cells, backend)
        sim_wall += time.perf_counter() - t0
        err_nS = (g_read - g_target) * 1e9
        to_write = written & (np.abs(err_nS) > tolerance_nS)
        if trains:
            lengths, starts = next_trains(lengths, np.rint(err_nS / step_nS).astype(int), to_write,
                                          device.max_train_pulses)
        elif cfg.scheme == "half-bias":
            amplitudes = np.where(to_write, np.clip(amplitudes - gain * err_nS, 3.0, 4.2), amplitudes)
    if g_read is None:
        g_read = read_conductance_S(device, xbar, state.cells, backend)
    frame, summary = _statistics(targets, g_target, g_read, written, pulses, g_before, tolerance_nS)
    summary.update({
        "scheme": cfg.scheme,
        "device": device.name,
        "n_passes": n_passes,
        "n_pulses": int(sum(p.n_pulses for p in phases)),
        "simulated_time_s": float(sum(p.end_s for p in phases)),
        "sim_wall_s": round(sim_wall, 3),
        "programming_error_sigma_nS": error.sigma_nS,
        "tolerance_nS": tolerance_nS,
        "errors_capped_at_ceiling": n_capped,
    })
    return TransferResult(frame, summary, state, phases, netlists)


def _say(progress, message):
    logger.info(message)
    if progress is not None:
        progress(message)


def _pulses_per_cell(phase: Phase, xbar: CrossbarParams) -> np.ndarray:
    out = np.zeros(xbar.shape, dtype=int)
    for (i, cols), _t, n in phase.writes:
        for j in cols:
            out[i, j] += n
    return out


def _statistics(targets, g_target, g_read, written, pulses, g_before, tolerance_nS):
    rows, cols = np.indices(targets.shape)
    err = (g_read - g_target) * 1e9
    frame = pd.DataFrame({
        "wordline": rows.ravel(),
        "bitline": cols.ravel(),
        "state": targets.ravel(),
        "target_nS": g_target.ravel() * 1e9,
        "final_nS": g_read.ravel() * 1e9,
        "error_nS": err.ravel(),
        "pulses": pulses.ravel(),
        "written": written.ravel(),
    })
    e = err[written]
    untouched = ((g_read - g_before) * 1e9)[~written]
    summary = {
        "n_cells": int(written.sum()),
        "within_2nS_fraction": float(np.mean(np.abs(e) <= 2.0)) if e.size else float("nan"),
        "within_4nS_fraction": float(np.mean(np.abs(e) <= 4.0)) if e.size else float("nan"),
        "within_tolerance_fraction": float(np.mean(np.abs(e) <= tolerance_nS)) if e.size else float("nan"),
        "rmse_nS": float(np.sqrt(np.mean(e**2))) if e.size else float("nan"),
        "mae_nS": float(np.mean(np.abs(e))) if e.size else float("nan"),
        "max_abs_error_nS": float(np.abs(e).max()) if e.size else float("nan"),
        "unwritten_max_drift_nS": float(np.abs(untouched).max()) if untouched.size else 0.0,
        "n_unwritten": int(untouched.size),
    }
    return frame, summary


def write_pwl(phases: list, netlists: dict, folder: Path) -> list:
    """Write every phase's sources as PWL text files and its netlist (inline PWL sources)."""
    from compact_models.io import atomic_write_text

    written = []
    for phase in phases:
        d = Path(folder) / phase.name
        d.mkdir(parents=True, exist_ok=True)
        for i, w in enumerate(phase.wl):
            w.write_text(d / f"wl{i}.txt")
        for j, w in enumerate(phase.bl):
            w.write_text(d / f"bl{j}.txt")
        step = phase_max_step(phase)
        atomic_write_text(d / "transfer.cir", netlists[phase.name] + f".tran {step:.6g} {phase.end_s:.9g} 0 {step:.6g}\n.end\n")
        written.append(d)
    return written
