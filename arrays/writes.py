"""Write transients in ngspice: one phase simulated, and every cell's switch states carried out of it.

ngspice resets every switch to its instance flag at the start of an analysis, so the states are
carried between analyses here: the cell voltages of the write transient are replayed through the
switch hysteresis (`switch_states_after`) and become the instance flags of the next netlist. A
long phase can be cut where the array is at rest and its parts run in separate processes.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from arrays.energy import add_energy, power_vectors, write_energy
from arrays.netlist import device_array_netlist, live_switch_map
from arrays.schemes import Phase
from arrays.state import ArrayState
from arrays.write_engine import nodal_transient
from compact_models import osdi, simulator
from compact_models.base import live_switches, switch_states_after

logger = logging.getLogger(__name__)


def run_phase(state: ArrayState, phase: Phase, backend: str = "auto", freeze: bool = True, processes: int = 1,
              engine: str = "spice") -> tuple:
    """Simulate one write transient and carry every cell's switch states out of it.

    ``engine="nodal"`` solves it by `arrays.write_engine` instead of ngspice (the array at DC at every
    time point ngspice would take); the rest of this docstring is about ngspice.

    Only the switches a cell's nominal voltage (its wordline minus its bitline source, widened by
    `arrays.netlist.REACH_MARGIN_V`) can move are ``SW`` elements; the others are frozen into one
    resistor per cell, which is exactly what they are while they keep their state, and costs ngspice
    far less per iteration. The simulated voltages then check that no frozen switch was reached; a cell
    where one was is simulated again with every switch live. ``freeze=False`` keeps every switch.

    With ``processes`` > 1 (and a backend other than ``shared``) the transient is cut into that many parts
    at instants where every source is at 0 V (`split_phase`), and the parts run at once, each in its
    own ngspice process (`run_parts`).
    Returns the netlist of the whole phase and its energy (`arrays.energy.write_energy`).
    """
    if engine == "nodal":
        net = _kept_netlist(state, state.cells, phase, freeze)
        res = nodal_transient(state.device, state.xbar, state.cells, phase, phase_max_step(phase))
        state.cells = _states_after(state.device, state.cells, _cell_voltages(res, state.xbar))
        return net, write_energy(res, phase, state.xbar)
    split = processes > 1 and backend != "shared" and "subprocess" in simulator.available_backends()
    parts = split_phase(phase, processes) if split else [phase]
    if len(parts) == 1:
        v, net, energy = _simulate_phase(state, state.cells, phase, backend, freeze)
        state.cells = _states_after(state.device, state.cells, v)
        return net, energy
    start = state.cells
    state.cells, energy = run_parts(state, parts, freeze)
    return _kept_netlist(state, start, phase, freeze), energy


def _netlist(state: ArrayState, cells: list, phase: Phase, live, compiled: bool = False) -> str:
    """The netlist of ``phase``'s transient from ``cells``, switches ``live`` as `device_array_netlist` takes them."""
    return device_array_netlist(state.device, state.xbar, cells, [w.pwl() for w in phase.wl],
                                [w.pwl() for w in phase.bl], title=phase.name, live=live, compiled=compiled)


def _kept_netlist(state: ArrayState, cells: list, phase: Phase, freeze: bool) -> str:
    """The netlist kept with the results: the whole phase from ``cells``, the switches its sources can
    reach live (all with ``freeze`` False), the areas as B-sources so that it runs in any ngspice."""
    lo, hi = phase_reach_V(phase)
    return _netlist(state, cells, phase, live_switch_map(state.device, cells, lo, hi) if freeze else None)


def _simulate_phase(state: ArrayState, cells: list, phase: Phase, backend: str, freeze: bool) -> tuple:
    """One write transient from ``cells``: ({(i, j): stack voltage samples}, netlist, energy)."""
    xbar = state.xbar
    if freeze:
        lo, hi = phase_reach_V(phase)
        live = live_switch_map(state.device, cells, lo, hi)
    else:
        live = [[None] * xbar.cols for _ in range(xbar.rows)]
    save = power_vectors(xbar)
    step = phase_max_step(phase)
    while True:
        res = simulator.run(_netlist(state, cells, phase, live, osdi.usable()),
                            f".tran {step:.6g} {phase.end_s:.9g} 0 {step:.6g}", save=save, backend=backend)
        v = _cell_voltages(res, xbar)
        missed = [(i, j) for (i, j), vc in v.items() if live[i][j] is not None
                  and not set(live_switches(state.device, cells[i][j], vc.min(), vc.max())) <= set(live[i][j])]
        if not missed:
            # The netlist kept with the results has the B-sources: it runs in any ngspice.
            return v, _netlist(state, cells, phase, live), write_energy(res, phase, xbar)
        logger.warning("%s: %d cells reached a frozen switch; simulating them again with every switch live",
                       phase.name, len(missed))
        for i, j in missed:
            live[i][j] = None


def _cell_voltages(res, xbar) -> dict:
    """{(i, j): the stack voltage samples of cell (i, j)} of a transient."""
    return {(i, j): res[f"v(w{i}_{j})"] - res[f"v(b{i}_{j})"] for i in range(xbar.rows) for j in range(xbar.cols)}


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
    is always that of the parts run one after the other. Returns the cells and the summed energy.
    """
    from concurrent.futures import ThreadPoolExecutor

    dev = state.device
    starts = [state.cells]
    for part in parts[:-1]:
        starts.append(_states_after(dev, starts[-1], nominal_stack_V(part)))
    # Threads only wait on the ngspice processes; the shared library is never entered from two threads.
    with ThreadPoolExecutor(len(parts)) as pool:
        try:
            runs = list(pool.map(lambda k: _simulate_phase(state, starts[k], parts[k], "subprocess", freeze),
                                 range(len(parts))))
        except KeyboardInterrupt:
            simulator.stop_subprocesses()  # the threads' ngspice processes end now, not at the end of their parts
            raise
    cells = state.cells
    energy = None
    for k, part in enumerate(parts):
        v, _net, e = runs[k]
        if cells != starts[k]:
            logger.info("%s: the switch states it starts from were not the predicted ones; simulating it again",
                        part.name)
            v, _net, e = _simulate_phase(state, cells, part, "subprocess", freeze)
        cells = _states_after(dev, cells, v)
        energy = add_energy(energy, e)
    return cells, energy


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


POINTS_PER_PULSE = 16
"""The write transients' maximum step is a pulse width over this. The switch states need only the
breakpoints that pin every corner of the PWL sources (a quarter pulse gives the same states); the
programming energy (`arrays.energy.write_energy`) needs more. Against 64 points per pulse, 16 give the
energies of a small verified transfer within 1.2 % on ngspice 39 and 3.2 % on ngspice 46, whose step
control adds fewer points of its own (8: 3.6 % on 39; 24 would be within 2 % on 46, at a quarter more
time); the QT layer's transfer within 0.25 % of 32 points. A 24 x 24 fast transfer takes 1.7 times as
long as with 4 (`tests/arrays/test_transfer.py` holds the comparison)."""


def phase_max_step(phase: Phase) -> float:
    """The transient's maximum step: a pulse over `POINTS_PER_PULSE` (breakpoints pin every corner of the PWL)."""
    return phase.pulse_width_s / POINTS_PER_PULSE
