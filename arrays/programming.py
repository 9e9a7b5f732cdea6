"""Weight transfer into a simulated array: the half-bias (V/2, ISPVA) and fast (triangular) schemes.

Both schemes run as ngspice transients on the whole array, so half-select disturbs and line
resistance act as they would. ngspice resets every switch to its instance flag at the start of an
analysis, so the states are carried between analyses here: the cell voltages of the write
transient are replayed through the switch hysteresis (`switch_states_after`) and become the
instance flags of the next netlist. After every write the programming error (paper 001: Gaussian,
sigma 1.06 nS, truncated at 4 nS) is drawn for the written cell and realised as that cell's
switch-conductance scale; cells that stay reset carry the reset state's own spread instead
(`apply_reset_spread`). The result is then read out (`read_conductance_S`).

Paper 001's array model is open loop: one write per cell, its error standing for the outcome of the
device's program-and-verify (``max_passes=1``). More passes (verify, reset and rewrite the cells
outside the tolerance) go beyond the paper.

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
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arrays import nodal
from arrays.energy import add_energy
from arrays.netlist import CrossbarParams, live_switch_map
from arrays.readout import read_conductance_S
from arrays.schemes import (
    TransferConfig,
    fast_phase,
    half_bias_phase,
    next_trains,
    train_fast_phase,
    train_half_bias_phase,
)
from arrays.state import (
    ArrayState,
    apply_programming_error,
    apply_reset_spread,
    ideal_cells,
    target_conductance_S,
)
from arrays.statistics import pulses_per_cell, transfer_statistics
from arrays.writes import run_phase
from compact_models.base import DeviceVariation
from compact_models.errors import ParameterError

logger = logging.getLogger(__name__)

@dataclass
class TransferResult:
    """What a transfer produced."""

    cells: pd.DataFrame
    summary: dict
    state: ArrayState
    phases: list
    netlists: dict


def transfer_states(device, targets: np.ndarray, cfg: TransferConfig = TransferConfig(), xbar: CrossbarParams | None = None,
                    error=None, variation: DeviceVariation | None = None,
                    seed: int = 0, backend: str = "auto", progress=None, state: ArrayState | None = None,
                    processes: int = 1, stream: int = 0, reset_error=None, engine: str = "spice") -> TransferResult:
    """Write the state map ``targets`` (0 = reset, 1..8) into a simulated array by ``cfg.scheme``.

    Cells whose target is 0 are not written. HT-RRAM is written by set-amplitude pulses, HfOxSy by
    its tailored pulse trains (`train_fast_phase`, `train_half_bias_phase`). ``error`` is the write
    error drawn per written cell (default: the device's, `write_error`); in a fresh array
    (``state`` None) each cell that stays reset draws the reset state's spread from ``reset_error``
    (default: the device's, `reset_error`). Both come from streams of their own for each (``seed``,
    ``stream``): two transfers with one seed and another ``stream`` draw independent errors. ``progress`` is called
    with a message per step. HT-RRAM's fast-scheme write transients without threshold variation run in
    parts on ``processes`` ngspice processes (`run_phase`), with the same outcome as one process.
    ``engine="nodal"`` solves the write transients and the read-outs by the nodal engine
    (`arrays.write_engine`, `arrays.nodal`) instead of ngspice.
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine {engine!r} is unknown; choose one of {', '.join(ENGINES)}")

    def read(cells):
        return read_out(device, xbar, cells, backend, engine)

    xbar = xbar or CrossbarParams(rows=targets.shape[0], cols=targets.shape[1])
    if targets.shape != xbar.shape:
        raise ParameterError(f"target map is {targets.shape}, the array is {xbar.shape}")
    trains = device.write_scheme == "trains"
    error = device.write_error() if error is None else error
    tolerance_nS = cfg.tolerance_nS or device.transfer_tolerance_nS
    reset_error = device.reset_error() if reset_error is None else reset_error
    rng = np.random.default_rng([seed, 2, stream])
    spread = state is None and reset_error.sigma_nS > 0
    state = state or ArrayState.fresh(device, xbar, variation, seed)
    if spread:
        apply_reset_spread(state, list(zip(*np.nonzero(targets == 0))), reset_error, np.random.default_rng([seed, 3, stream]))
    g_before = state.nominal_conductance_S()
    g_target = target_conductance_S(device, targets)
    if trains:
        # HfOxSy's ~1 mS cells read up to ~20 % low through 1 ohm lines: verify against what the
        # target states read through the same lines (the read-out of the ideal array).
        g_target = read(ideal_cells(device, targets))
        # unwritten cells: compared with their read before the writes
        g_before = read(state.cells) if spread else g_target
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
    parts = processes if split else 1
    phases, netlists = [], {}
    energy = None
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
        say(progress, f"{cfg.scheme} pass {n}: {int(to_write.sum())} cells, {phase.n_pulses} pulses, "
                       f"{phase.end_s * 1e3:.3g} ms simulated")
        t0 = time.perf_counter()
        netlists[name], phase_energy = run_phase(state, phase, backend, freeze=cfg.freeze_switches,
                                                       processes=parts, engine=engine)
        energy = add_energy(energy, phase_energy)
        sim_wall += time.perf_counter() - t0
        pulses += pulses_per_cell(phase, xbar)
        written_now = [(i, j) for (i, cols), *_ in phase.writes for j in cols]
        n_capped += apply_programming_error(state, written_now, error, rng, [targets[c] for c in written_now])
        phases.append(phase)
        say(progress, f"{cfg.scheme} pass {n}: verify read-out")
        t0 = time.perf_counter()
        g_read = read(state.cells)
        sim_wall += time.perf_counter() - t0
        err_nS = (g_read - g_target) * 1e9
        to_write = written & (np.abs(err_nS) > tolerance_nS)
        if trains:
            lengths, starts = next_trains(lengths, np.rint(err_nS / step_nS).astype(int), to_write,
                                          device.max_train_pulses)
        elif cfg.scheme == "half-bias":
            amplitudes = np.where(to_write, np.clip(amplitudes - gain * err_nS, 3.0, 4.2), amplitudes)
    if g_read is None:
        g_read = read(state.cells)
    frame, summary = transfer_statistics(targets, g_target, g_read, written, pulses, g_before, tolerance_nS)
    zeros = np.zeros(xbar.shape)
    selected = energy["selected_J"] if energy else zeros
    half = energy["half_selected_J"] if energy else zeros
    frame["selected_energy_nJ"] = selected.ravel() * 1e9
    frame["half_selected_energy_nJ"] = half.ravel() * 1e9
    programming_time_s = float(sum(p.end_s for p in phases))
    summary.update({
        "programming_energy_nJ": energy["sources_J"] * 1e9 if energy else 0.0,
        "programming_energy_selected_nJ": float(selected.sum() * 1e9),
        "programming_energy_half_selected_nJ": float(half.sum() * 1e9),
        "programming_energy_lines_nJ": energy["lines_J"] * 1e9 if energy else 0.0,
        "programming_energy_per_written_cell_nJ": float(selected[written].sum() * 1e9 / max(int(written.sum()), 1)),
        "programming_time_s": programming_time_s,
        "programming_time_per_written_cell_s": programming_time_s / max(int(written.sum()), 1),
        "scheme": cfg.scheme,
        "engine": engine,
        "device": device.name,
        "n_passes": n_passes,
        "n_pulses": int(sum(p.n_pulses for p in phases)),
        "simulated_time_s": programming_time_s,
        "sim_wall_s": round(sim_wall, 3),
        "programming_error_sigma_nS": error.sigma_nS,
        "reset_sigma_nS": reset_error.sigma_nS if spread else 0.0,
        "error_stream": [int(seed), int(stream)],
        "tolerance_nS": tolerance_nS,
        "errors_capped_at_ceiling": n_capped,
    })
    return TransferResult(frame, summary, state, phases, netlists)


ENGINES = ("spice", "nodal")
"""Who solves a transfer's write transients and read-outs: ngspice, or the nodal engine."""


def read_out(device, xbar: CrossbarParams, cells, backend: str = "auto", engine: str = "spice") -> np.ndarray:
    """The array's read-out (`arrays.readout.read_conductance_S`) by ``engine``, rows x cols in S.

    The nodal engine's read keeps every switch as it is; a read that could move one (a threshold that
    device variation put within reach of the read voltage) is refused there.
    """
    if engine == "spice":
        return read_conductance_S(device, xbar, cells, backend)
    v = device.read_V
    reach = live_switch_map(device, cells, np.full(xbar.shape, min(0.0, v)), np.full(xbar.shape, max(0.0, v)))
    if any(k for row in reach for k in row):
        raise ParameterError("a read can move a switch of this array (its thresholds vary into the read voltage's "
                             "reach); use --engine spice")
    return nodal.read_conductance_S(device, xbar, cells)


def say(progress, message):
    """Log ``message`` and hand it to the ``progress`` callback, if any."""
    logger.info(message)
    if progress is not None:
        progress(message)
