"""The pulse schemes of a weight transfer: the source waveforms of one write transient (`Phase`).

* fast (paper 001, Fig. 7b): triangular pulses wordline by wordline, one per state on the line;
* half-bias (Fig. 7a): +V/2 and -V/2 rectangular pulses cell by cell, each followed by a read;
* HfOxSy's tailored trains (paper 000), wordline by wordline (fast) or cell by cell (half-bias),
  and the verify rule that lengthens or restarts them (`next_trains`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arrays.netlist import CrossbarParams
from arrays.state import ArrayState
from compact_models.errors import ParameterError
from compact_models.waveforms import Waveform

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
    reset_V: float | None = None
    """Reset pulse amplitude of the amplitude schemes, V; None takes the device's (HT-RRAM: -1.6 V, paper 001)."""
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

    def reset_for(self, device) -> float:
        """The reset amplitude of the amplitude schemes on ``device``, V."""
        return device.reset_V if self.reset_V is None else self.reset_V


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
            _add_fast_pulse(phase, i, cfg.reset_for(dev), set(dirty), cfg.pulse_width_s)
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
            pulse_and_read(i, j, cfg.reset_for(state.device), "reset")
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
            pulse(i, dev.reset_V, dev.widths_s[-1], dirty)
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
            pulse_and_read(i, j, dev.reset_V, dev.widths_s[-1], "reset")
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
